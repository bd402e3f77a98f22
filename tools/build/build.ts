// `npm run build`: both publishable packages.
//   packages/construct  the construct package, compiled by jsii with its worker asset (buildConstruct.ts);
//                       first, since the root package's `construct` entry re-exports it
//   dist/esm            tsc's ES modules and declarations of src/ (the client, the CLI, the `construct` entry)
//   dist/cjs            the same modules as CommonJS (with a package.json saying so) and the same declarations
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { buildConstruct } from './buildConstruct.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Built beside dist/ and swapped in at the end, so nothing reading dist/ meanwhile sees half a build.
const DIST = join(ROOT, 'dist.next');
const started = performance.now();

await buildConstruct();

rmSync(DIST, { recursive: true, force: true });
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
execFileSync(
  process.execPath,
  [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(DIST, 'esm')],
  {
    stdio: 'inherit',
  },
);

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });

// CommonJS twins: each module transformed on its own (relative requires keep their .js names, which the
// nested package.json makes CommonJS), `import.meta.url` computed from __filename.
const esm = join(DIST, 'esm');
const cjs = join(DIST, 'cjs');
for (const file of files(esm)) {
  const target = join(cjs, relative(esm, file));
  mkdirSync(dirname(target), { recursive: true });
  if (file.endsWith('.d.ts')) {
    cpSync(file, target);
    continue;
  }
  if (!file.endsWith('.js')) continue;
  const source = readFileSync(file, 'utf8');
  const usesImportMeta = source.includes('import.meta');
  const { code } = transformSync(source, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    ...(usesImportMeta && {
      define: { 'import.meta.url': '__importMetaUrl' },
      banner: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    }),
  });
  writeFileSync(target, code);
}
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

for (const bin of ['esm', 'cjs']) chmodSync(join(DIST, bin, 'src/cli/bin.js'), 0o755);

const previous = join(ROOT, `dist.old-${process.pid}`);
if (existsSync(join(ROOT, 'dist'))) renameSync(join(ROOT, 'dist'), previous);
renameSync(DIST, join(ROOT, 'dist'));
rmSync(previous, { recursive: true, force: true });

process.stdout.write(`built dist/ in ${Math.round(performance.now() - started)} ms\n`);
