import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWEEP_FILE } from '../src/contract/sweep.js';
import { WORKER_FILE } from './workerAsset.js';

/** The worker's entry file, named by path: the CDK code never imports runtime modules. */
export const WORKER_ENTRY = fileURLToPath(new URL('../lambdas/transfer-worker/index.ts', import.meta.url));

/** The contact sweep's entry file: a second entry of the same asset (`sweep.mjs`, beside the worker). */
export const SWEEP_ENTRY = fileURLToPath(new URL('../lambdas/contact-sweep/index.ts', import.meta.url));

export { WORKER_FILE } from './workerAsset.js';

/**
 * How the worker is bundled, in one place: the package build (`npm run build`, which ships the result in
 * the construct package's `worker/`) and the construct running from this repository's sources bundle it the same way, so the
 * shipped asset is the code the tests ran. ESM (`.mjs`) so the asset runs the same whatever `package.json`
 * surrounds it; the AWS SDK bundled at the tested versions, not taken from the runtime.
 */
export const WORKER_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'silent',
} as const;

/**
 * Bundles the worker into `outputDirectory` (`index.mjs` and its source map), and beside it the contact
 * sweep a transfer rule may schedule (`sweep.mjs`, each bundle on its own), with esbuild, synchronously as
 * CDK's local bundling needs. esbuild is a development dependency: only a checkout of this repository runs
 * this; an installed package deploys the prebuilt asset.
 *
 * @example
 * bundleWorker('dist/worker');
 */
export function bundleWorker(outputDirectory: string): void {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  for (const [entry, file] of [
    [WORKER_ENTRY, WORKER_FILE],
    [SWEEP_ENTRY, SWEEP_FILE],
  ] as const) {
    esbuild.buildSync({
      ...WORKER_BUILD_OPTIONS,
      mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
      entryPoints: [entry],
      outfile: join(outputDirectory, file),
    });
  }
}
