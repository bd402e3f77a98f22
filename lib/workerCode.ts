import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundleWorker, WORKER_ENTRY, WORKER_FILE } from './workerBundle.js';

/** The worker's Lambda handler name in its asset. */
export const WORKER_HANDLER = `${WORKER_FILE.replace(/\.mjs$/, '')}.handler`;

/**
 * Where the worker's code comes from. Installed as a package (compiled JavaScript), the construct deploys the
 * asset `npm run build` bundled into `dist/worker`: a consumer needs neither esbuild, Docker nor this
 * repository's lockfile. Run from this repository's TypeScript sources, it bundles the worker from source
 * at synth time, the same way (`bundleWorker`), so a change is deployed without a build step.
 */
export function workerCode(): lambda.Code {
  if (!import.meta.url.endsWith('.ts')) {
    return lambda.Code.fromAsset(fileURLToPath(new URL('../../worker/', import.meta.url)));
  }
  return lambda.Code.fromAsset(dirname(WORKER_ENTRY), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds where this source tree exists.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      local: {
        tryBundle(outputDir) {
          bundleWorker(outputDir);
          return true;
        },
      },
    },
  });
}
