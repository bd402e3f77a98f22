// `npm run build:targets` (a CI stage): the construct's Java and Go packages, built by jsii-pacmak from the
// assembly `npm run build` wrote, and a small app in each language (test/jsii/fixtures/{java,go}, the README's
// example) compiled against them. Python is built and run by test/jsii/python-synth.test.ts (in `npm test`).
// .NET is not built: its SDK is not on this machine, nor in any registry it reaches (docs/PACKAGES.md).
//
//   --skip-build   use the assembly as it is (after `npm run build` or `npm test`)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConstruct, CONSTRUCT_DIR } from './buildConstruct.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/jsii/fixtures');
const manifest = JSON.parse(readFileSync(join(CONSTRUCT_DIR, 'package.json'), 'utf8')) as {
  version: string;
  jsii: { targets: { java: { maven: { groupId: string; artifactId: string } }; go: { moduleName: string } } };
};
const VERSION = manifest.version;

/**
 * The aws-cdk-lib the Java package is compiled against. The construct asks for `[2.276.0,3.0.0)`, as its npm
 * peer does, but Maven Central as this machine reaches it serves aws-cdk-lib only up to 2.263.0 (its
 * maven-metadata.xml's latest; 2.264.0 to 2.276.0 are not there): the generated pom is pointed at that
 * version for this build alone. The published pom keeps the range.
 */
const MAVEN_AWS_CDK_LIB = process.env.MAVEN_AWS_CDK_LIB ?? '2.263.0';

/** The Go modules the app needs, at the versions the Go module proxy serves (the construct's own go.mod's). */
const GO_AWS_CDK = 'v2.276.0';

const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1' };
const run = (command: string, args: string[], cwd: string, timeout = 600_000): void => {
  const started = performance.now();
  execFileSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'], timeout });
  process.stdout.write(`  ${command} ${args[0]}: ${Math.round((performance.now() - started) / 1000)} s\n`);
};
const pacmak = (targets: string[], outdir: string, codeOnly: boolean): void =>
  run(
    process.execPath,
    [
      join(ROOT, 'node_modules/jsii-pacmak/bin/jsii-pacmak'),
      ...['--targets', ...targets, '--outdir', outdir, '--no-fingerprint'],
      ...(codeOnly ? ['--code-only'] : []),
    ],
    CONSTRUCT_DIR,
  );

/** The Java package: generated, built by Maven into a folder repository, and the app compiled against it. */
function java(work: string): void {
  pacmak(['java'], join(work, 'generated'), true);
  const project = join(work, 'generated/java');
  const pom = join(project, 'pom.xml');
  const original = readFileSync(pom, 'utf8');
  const patched = original.replace(
    /(<artifactId>aws-cdk-lib<\/artifactId>\s*<version>)[^<]+(<\/version>)/,
    `$1${MAVEN_AWS_CDK_LIB}$2`,
  );
  if (patched === original) throw new Error(`no aws-cdk-lib dependency in ${pom}`);
  writeFileSync(pom, patched);
  const repository = join(work, 'maven-repository');
  // pacmak's own Maven command, without the javadoc and source jars a release also attaches.
  run(
    'mvn',
    [
      ...['--batch-mode', '--quiet', 'deploy', '-Dmaven.javadoc.skip=true', '-Dmaven.source.skip=true'],
      `-DaltDeploymentRepository=local::default::file://${repository}`,
    ],
    project,
  );
  const app = join(work, 'app');
  cpSync(join(FIXTURES, 'java'), app, { recursive: true });
  run(
    'mvn',
    [
      ...['--batch-mode', '--quiet', 'compile'],
      `-Dconstruct.repository=file://${repository}`,
      `-Dconstruct.version=${VERSION}`,
      `-Daws-cdk-lib.version=${MAVEN_AWS_CDK_LIB}`,
    ],
    app,
  );
}

/** The Go package: generated and built by jsii-pacmak, and the app built against it (a `replace`). */
function go(work: string): void {
  pacmak(['go'], join(work, 'generated'), false);
  const { moduleName } = manifest.jsii.targets.go;
  const packageDir = join(work, 'generated/go/transferorchestrator');
  const app = join(work, 'app');
  cpSync(join(FIXTURES, 'go'), app, { recursive: true });
  writeFileSync(
    join(app, 'go.mod'),
    [
      'module example.com/readme-example',
      '',
      'go 1.25',
      '',
      `require github.com/aws/aws-cdk-go/awscdk/v2 ${GO_AWS_CDK}`,
      `require ${moduleName}/transferorchestrator v${VERSION}`,
      `replace ${moduleName}/transferorchestrator => ${packageDir}`,
      '',
    ].join('\n'),
  );
  run('go', ['mod', 'tidy'], app);
  run('go', ['build', '-o', join(work, 'readme-example'), '.'], app);
}

const started = performance.now();
if (!process.argv.includes('--skip-build')) await buildConstruct();
const results: string[] = [];
for (const [name, target] of [
  ['Java', java],
  ['Go', go],
] as const) {
  const work = mkdtempSync(join(tmpdir(), `cto-${name.toLowerCase()}-`));
  const began = performance.now();
  try {
    process.stdout.write(`${name}:\n`);
    target(work);
    results.push(`${name}: ok (${Math.round((performance.now() - began) / 1000)} s)`);
  } catch (error) {
    results.push(`${name}: FAILED (${(error as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
process.stdout.write(`${results.join('; ')}; in ${Math.round((performance.now() - started) / 1000)} s\n`);
if (results.some((line) => line.includes('FAILED'))) process.exitCode = 1;
