import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache/connect-transfer-orchestrator');
const LOCK = join(CACHE, 'build.lock');
const STAMP = join(CACHE, 'build.run');

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * `npm run build` (the construct package by jsii, its worker asset, the root package's dist/) at most once per
 * vitest run, whichever test file asks first: the test files that use the built packages (the packed tarballs,
 * the wheel, the Java and Go packages, API.md) run in parallel workers, and two builds at once would delete
 * each other's output. A lock folder serialises them; the run's id (vitest.config.ts) says whether this run
 * has built already. Outside vitest (no run id) it always builds.
 */
export function buildOnce(): void {
  const run = process.env.CTO_TEST_RUN_ID;
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than the longest build is a crashed run's: take it over.
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 900_000)
        rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${LOCK}`);
      sleep(500);
    }
  }
  try {
    const built = (() => {
      try {
        return readFileSync(STAMP, 'utf8');
      } catch {
        return undefined;
      }
    })();
    if (run !== undefined && built === run) return;
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    if (run !== undefined) writeFileSync(STAMP, run);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
