/** The file the worker asset contains (ESM, so it runs the same whatever `package.json` surrounds it). */
export const WORKER_FILE = 'index.mjs';

/** The worker's Lambda handler name in its asset (`index.handler`). */
export const WORKER_HANDLER = `${WORKER_FILE.replace(/\.mjs$/, '')}.handler`;
