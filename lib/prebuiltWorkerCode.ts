import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

export { WORKER_HANDLER } from './workerAsset.js';

/**
 * The published construct's `workerCode` (the package build puts this file in `workerCode.ts`'s place): the
 * asset bundled once by the build into the package's `worker/` folder, deployed as it is, so an app that
 * installs the package needs neither esbuild, Docker nor this repository. Only the jsii package (CommonJS,
 * `lib/workerCode.js` beside `worker/`) runs it; this repository's own app bundles from source (`workerCode.ts`).
 */
export function workerCode(): lambda.Code {
  return lambda.Code.fromAsset(join(__dirname, '..', 'worker'));
}
