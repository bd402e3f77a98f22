import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../package/buildOnce.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSTRUCT = join(ROOT, 'packages/construct');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

// The Python registry serves aws-cdk-lib up to 2.275.0, not the 2.276.0 the TypeScript app uses (and the wheel
// asks for): the nearest is installed, the wheel with --no-deps, its other requirements pinned here. The
// templates are compared whole all the same, so a difference between the two versions would show.
const PYTHON_PACKAGES = ['aws-cdk-lib==2.275.0', 'constructs==10.8.1', 'jsii==1.142.0', 'publication==0.0.3'];

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
const template = (outdir: string): Template =>
  JSON.parse(readFileSync(join(outdir, 'ConsumerStack.template.json'), 'utf8')) as Template;

describe('the construct from Python: the wheel jsii-pacmak builds synthesizes what TypeScript does', () => {
  let work: string;
  let python: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cto-python-'));
    const venv = join(work, 'venv');
    python = join(venv, 'bin', 'python');
    // The venv installs from the registry while the packages build (pip's own cache makes it quick again).
    const installed = (async () => {
      await run('python3', ['-m', 'venv', venv]);
      await run(
        python,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PYTHON_PACKAGES],
        { timeout: 300_000 },
      );
    })();
    buildOnce();
    await run(
      process.execPath,
      [join(ROOT, 'node_modules/jsii-pacmak/bin/jsii-pacmak'), '--targets', 'python', '--outdir', work],
      { cwd: CONSTRUCT, timeout: 300_000 },
    );
    await installed;
    const wheel = readdirSync(join(work, 'python')).find((f) => f.endsWith('.whl'));
    await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        join(work, 'python', wheel ?? ''),
      ],
      { timeout: 120_000 },
    );
  }, 900_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the README’s example: the same template from a Python app and a TypeScript app', async () => {
    const fromPython = join(work, 'python.out');
    const fromTypeScript = join(work, 'typescript.out');
    await Promise.all([
      run(python, [join(FIXTURES, 'readme_example_app.py'), fromPython], { timeout: 180_000 }),
      run(
        process.execPath,
        [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(FIXTURES, 'readmeExampleApp.ts'), fromTypeScript],
        {
          cwd: ROOT,
          timeout: 180_000,
        },
      ),
    ]);
    const synthesized = template(fromPython);
    const typescript = template(fromTypeScript);
    // Compared as parsed JSON: nothing is normalised. The worker's asset hash is the same (both deploy the
    // package's prebuilt worker/), and so is every resource; only the order of keys inside the rule's event
    // pattern differs in the files (Python hands jsii the struct's fields in its own order), which JSON, and
    // so CloudFormation, does not see.
    expect(synthesized).toEqual(typescript);
    // And it is the README's stack: the worker, its queue, the rule.
    const types = Object.values(synthesized.Resources).map((r) => r.Type);
    expect(types).toContain('AWS::Lambda::Function');
    expect(types.filter((t) => t === 'AWS::Events::Rule')).toHaveLength(2);
    expect(JSON.stringify(synthesized)).toContain('instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
  }, 240_000);
});
