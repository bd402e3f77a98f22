import { dirname } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundleWorker, WORKER_ENTRY } from './workerBundle.js';

export { WORKER_HANDLER } from './workerAsset.js';

/**
 * Where the worker's code comes from, run from this repository's TypeScript sources (`cdk synth`, `npm start`,
 * the tests): bundled from source at synth time (`bundleWorker`), so a change is deployed without a build
 * step. The published construct package (`packages/construct`) ships `prebuiltWorkerCode.ts` in this file's
 * place instead: it deploys the asset the package build bundled the same way into the package's `worker/`,
 * so a consumer needs neither esbuild, Docker nor this repository's lockfile.
 */
export function workerCode(): lambda.Code {
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
