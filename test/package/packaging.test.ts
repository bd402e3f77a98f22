import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../../lib/workerBundle.js';
import { buildOnce } from './buildOnce.js';

// From outside, as a platform team would: the packed tarballs in a fresh app made by `cdk init`. Two packages:
// the construct (`cdk-connect-transfer-orchestrator`, compiled by jsii, with the prebuilt worker) and the
// client, CLI and `connect-transfer-orchestrator/construct` (the construct re-exported), which depends on it.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSTRUCT = join(ROOT, 'packages/construct');
const INSTANCE = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

const run = (command: string, args: string[], cwd: string, timeout = 240_000): string =>
  execFileSync(command, args, {
    cwd,
    timeout,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CI: 'true' },
  });

describe('the packed package, installed into a fresh CDK app', () => {
  let work: string;
  let app: string;
  const pack = (dir: string, name: string): string => {
    // Built once for the run (`npm run build`, what `prepare` runs); packed as npm would publish it.
    const output = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], dir);
    const packed = JSON.parse(output.slice(output.indexOf('[\n'))) as {
      filename: string;
      files: { path: string }[];
    }[];
    writeFileSync(join(work, `${name}.files.json`), JSON.stringify(packed[0]?.files.map((f) => f.path)));
    return join(work, packed[0]?.filename ?? '');
  };
  const packedFiles = (name: string): string[] =>
    JSON.parse(readFileSync(join(work, `${name}.files.json`), 'utf8')) as string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'cto-package-'));
    buildOnce();
    const tarballs = [pack(CONSTRUCT, 'construct'), pack(ROOT, 'root')];

    // `cdk init` wants an empty folder and names the app after it: `consumer`, `ConsumerStack`.
    app = join(work, 'consumer');
    mkdirSync(app);
    run(
      join(ROOT, 'node_modules/.bin/cdk'),
      ['init', 'app', '--language', 'typescript', '--generate-only'],
      app,
    );
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    // Jest and its compiler are for the template's own tests, which this does not run.
    for (const name of ['jest', '@types/jest', '@swc/core', '@swc/jest'])
      delete manifest.devDependencies[name];
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8'));
    tsconfig.compilerOptions.types = ['node'];
    tsconfig.exclude = [...tsconfig.exclude, 'test'];
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], app);
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the build, the docs and the README, and no tests, tools or sources', () => {
    const files = packedFiles('root');
    expect(files).toContain('dist/esm/src/construct/index.d.ts');
    expect(files).toContain('dist/cjs/src/client/index.js');
    expect(files).toContain('docs/DESIGN.md');
    // The worker and the construct's code ship once, in the construct package.
    expect(files.filter((f) => f.includes('worker/') || f.startsWith('dist/esm/lib/'))).toEqual([]);
    expect(files.filter((f) => /^(test|tools|lambdas|lib|src|packages)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('bin/'))).toEqual(['bin/transfer-contact.js']);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('ships the construct package: jsii’s CommonJS and assembly, the worker, API.md; no sources', () => {
    const files = packedFiles('construct');
    for (const file of ['lib/index.js', 'lib/index.d.ts', '.jsii', 'worker/index.mjs', 'API.md', 'README.md'])
      expect(files).toContain(file);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^(src|dist)\//.test(f) || f.endsWith('tsconfig.json'))).toEqual([]);
  });

  it('type-checks and synthesizes the README’s construct snippet, deploying the prebuilt worker', () => {
    writeFileSync(
      join(app, 'lib', 'consumer-stack.ts'),
      `import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { TransferOrchestrator } from 'cdk-connect-transfer-orchestrator';

export class ConsumerStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const myProducer = new iam.Role(this, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });

    const orchestrator = new TransferOrchestrator(this, 'Transfers', {
      instanceIds: ['${INSTANCE}'],
    });
    orchestrator.grantSendRequests(myProducer); // the queue and the bus; also grantReadStatus, grantRedrive

    orchestrator.addTransferRule('EscalateTasks', {
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['Amazon Connect Contact Event'],
        detail: { channel: ['TASK'], eventType: ['QUEUED'] },
      },
      destination: { queueId: '<escalation-queue-id>', contactFlowId: '<transfer-to-queue-flow-id>' },
    });
  }
}
`,
    );
    // The app's own command (`npx tsc && npx tsx bin/consumer.ts`), offline, no esbuild, no Docker.
    run('npx', ['cdk', 'synth', '--quiet'], app);
    const out = join(app, 'cdk.out');
    const template = JSON.parse(readFileSync(join(out, 'ConsumerStack.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
      >;
    };
    const worker = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler',
    );
    const assetPath = worker?.Metadata?.['aws:asset:path'] ?? '';
    const deployed = readFileSync(join(out, assetPath, 'index.mjs'));
    const shipped = readFileSync(
      join(app, 'node_modules/cdk-connect-transfer-orchestrator/worker/index.mjs'),
    );
    expect(deployed.equals(shipped)).toBe(true);
    // And the shipped asset is what the current sources bundle to: the code the tests ran.
    const fresh = join(work, 'fresh-worker');
    bundleWorker(fresh);
    expect(readFileSync(join(fresh, 'index.mjs')).equals(shipped)).toBe(true);
    expect(JSON.stringify(template)).toContain(`instance/${INSTANCE}`);
  });

  it('imports the client library from plain Node: ES module and CommonJS', () => {
    const use = `const { TransferClient, prepareTransferRequest } = M;
      const prepared = prepareTransferRequest({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' });
      console.log(typeof TransferClient, prepared.ClientToken.length > 0);`;
    const esm = run(
      'node',
      ['--input-type=module', '-e', `import * as M from 'connect-transfer-orchestrator'; ${use}`],
      app,
    );
    const cjs = run('node', ['-e', `const M = require('connect-transfer-orchestrator'); ${use}`], app);
    expect(esm.trim()).toBe('function true');
    expect(cjs.trim()).toBe('function true');
    const construct = run(
      'node',
      ['-e', "console.log(typeof require('connect-transfer-orchestrator/construct').TransferOrchestrator)"],
      app,
    );
    expect(construct.trim()).toBe('function');
  });

  it('type-checks an ES module consumer too', () => {
    writeFileSync(
      join(app, 'lib', 'esm-consumer.mts'),
      `import { TransferClient } from 'connect-transfer-orchestrator';
import { TransferOrchestrator, type TransferOrchestratorProps } from 'connect-transfer-orchestrator/construct';
import { parseTransferRequest } from 'connect-transfer-orchestrator/request';
const props: TransferOrchestratorProps = { instanceIds: ['i'] };
export const used = [TransferClient, TransferOrchestrator, parseTransferRequest, props] as const;
`,
    );
    run('npx', ['tsc', '--noEmit'], app);
  });

  it('type-checks and runs a classic CommonJS consumer (node10 resolution, which ignores exports)', () => {
    const dir = join(app, 'classic');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'use.ts'),
      `import { TransferOrchestrator } from 'connect-transfer-orchestrator/construct';
import { TransferClient } from 'connect-transfer-orchestrator';
import { parseTransferRequest } from 'connect-transfer-orchestrator/request';
console.log([TransferOrchestrator, TransferClient, parseTransferRequest].map((f) => typeof f).join(' '));
`,
    );
    // This repository's TypeScript 5 (node10 resolution is gone from TypeScript 7).
    run(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        ...['--module', 'commonjs', '--moduleResolution', 'node10', '--target', 'es2022', '--skipLibCheck'],
        ...['--ignoreDeprecations', '5.0', '--outDir', dir, join(dir, 'use.ts')],
      ],
      app,
    );
    expect(run('node', [join(dir, 'use.js')], app).trim()).toBe('function function function');
  });

  it('runs the installed CLI as compiled JavaScript', () => {
    const skeleton = JSON.parse(run('npx', ['transfer-contact', '--generate-cli-skeleton'], app));
    expect(Object.keys(skeleton)).toEqual(
      expect.arrayContaining([
        'InstanceId',
        'ContactId',
        'ContactFlowId',
        'QueueId',
        'UserId',
        'ClientToken',
      ]),
    );
    const bin = readFileSync(join(app, 'node_modules/.bin/transfer-contact'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node')).toBe(true);
    expect(bin).toContain("import '../dist/esm/src/cli/bin.js'");
    expect(bin).not.toContain('tsx');
    // Its dependencies are the package's own: no TypeScript runner among them.
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules/connect-transfer-orchestrator/package.json'), 'utf8'),
    );
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
  });
});
