// Over ~300 lines: one script whose sections each print one benchmark figure, in the order of
// docs/BENCHMARKS.md, so a figure and how it is measured read together.
// `npm run bench`: quota use, overhead, cold start and cost, measured in one run; a table and a JSON summary.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { build } from 'esbuild';
import { WORKER_BUILD_OPTIONS } from '../../lib/workerBundle.js';
import { DEFAULTS } from '../../src/contract/index.js';
import { ConnectSimulator } from '../connect-simulator/ConnectSimulator.js';
import { startLocalDynamoDB, startLocalSqs } from '../local-engines/engines.js';
import { FaultyDynamoDBProxy } from '../local-engines/FaultyDynamoDBProxy.js';
import { LocalEventBridge } from '../local-eventbridge/LocalEventBridge.js';
import { provisionStack, resolveEnvironment } from '../local-runner/provision.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import { readStackModel } from '../local-runner/stackModel.js';
import { synthesizeStack } from '../local-runner/synthesize.js';
import { runScenario, type ScenarioReport } from '../scenario/runScenario.js';
import { buildBacklog } from '../scenario/workload.js';
import { costPerMillion, LAMBDA_PLATFORM_LOG_BYTES, PRICES, provisionedTablesPerMillion } from './cost.js';
import { summarizeProfileDirectory } from './cpuProfile.js';
import { idleRun, NEIGHBOURS, neighbourRun } from './neighbours.js';
import { RAISED_QUOTA_CASES, type RaisedQuotaFigures, raisedQuotaRun } from './raisedQuota.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const { values } = parseArgs({
  options: {
    backlog: { type: 'string', default: '1500' },
    quota: { type: 'string', default: '40' },
    burst: { type: 'string', default: '5' },
    records: { type: 'string', default: '1000' },
    imports: { type: 'string', default: '15' },
    // Spelled out: Node 20's parseArgs has no negated booleans.
    'no-neighbours': { type: 'boolean', default: false },
    'neighbour-warmup': { type: 'string', default: '20' },
    'neighbour-seconds': { type: 'string', default: '120' },
    'capped-heap-mb': { type: 'string', default: '48' },
    // Only the overhead figures (no quota use, cold start, neighbours or cost): a minute, not ten; or only
    // the raised quotas (10/s and 40/s, burst 5): a few minutes.
    only: { type: 'string' },
    // Writes a CPU profile of one more orchestrator run to this folder (the measured runs stay unprofiled).
    'cpu-prof': { type: 'string' },
    // Appends each raised-quota run's TransferContact calls to this file (ms since the run's first call,
    // status, transferred, token): the evidence behind the raised-quota figures.
    'calls-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`npm run bench -- [--backlog 1500] [--quota 40] [--burst 5] [--records 1000] [--imports 15]
                        [--no-neighbours] [--neighbour-warmup 20] [--neighbour-seconds 120] [--capped-heap-mb 48]
                        [--only overhead|raised-quota] [--cpu-prof DIR] [--calls-file FILE]
  neighbours: at the default quota (2/s, burst 5), another caller steady at 0.25, 0.5, 1/s and bursting
              5 calls every 5 s, the fixed and the adaptive pacer side by side; latency idle and under a
              backlog; the time a duplicate sent while its twin is in flight takes to settle
  quota use:  a backlog drained against the simulator's token bucket (quota scaled up to keep it short;
              the burst stays 5 unless --burst says otherwise)
  raised quota: 10/s (2 workers) and 40/s (8 workers), burst 5: the share of the rate used over a steady
              backlog (after 10 s of warm-up, from the simulator's call log), the 429s, and where the
              bucket's tokens went unused
  overhead:   CPU per record and DynamoDB requests per transfer, against a bare TransferContact handler
  cold start: bundle bytes and median import time, against a minimal bundle of the same dependencies
  cost:       per million transfers, from the requests counted here and list prices
  --only overhead: the overhead figures alone; --cpu-prof DIR: a CPU profile of one more orchestrator run,
              summed by source module (tools/bench/cpuProfile.ts)
  --only raised-quota: the raised quotas alone (a few minutes); --calls-file FILE: their TransferContact
              calls appended there, one a line (ms since the run's first call, status, T if transferred, token)
`);
  process.exit(0);
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const log = (text: string) => process.stdout.write(`${text}\n`);
const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const work = mkdtempSync(join(tmpdir(), 'cto-bench-'));
const table = (rows: (string | number | undefined)[][]) =>
  rows
    .map(
      (r) =>
        `  ${String(r[0]).padEnd(52)} ${r
          .slice(1)
          .map((c) => String(c).padStart(14))
          .join('')}`,
    )
    .join('\n');
const overheadOnly = values.only === 'overhead';
const raisedQuotaOnly = values.only === 'raised-quota';
if (values.only !== undefined && !overheadOnly && !raisedQuotaOnly)
  throw new Error(`--only ${values.only}: only "overhead" and "raised-quota" are known`);

// ---- 1b. Raised quota (issue 24): 10/s and 40/s, each with Connect's burst of 5 --------------------------
function printRaisedQuota(runs: readonly RaisedQuotaFigures[]) {
  log(`\nRaised quota, burst 5, steady backlog (target: ≥ 0.95 of the rate, no 429)`);
  const rows: [string, (r: RaisedQuotaFigures) => string | number][] = [
    ['', (r) => `${r.rate}/s, ${r.maxConcurrency} workers`],
    ['share of the rate used (steady window)', (r) => r.shareOfRate],
    ['  transfers/s (window, s)', (r) => `${r.transfersPerSecond} (${r.windowSeconds})`],
    ['429s caused (in the window)', (r) => `${r.throttles} (${r.throttlesInWindow})`],
    ['whole drain: share of the rate', (r) => r.wholeDrain.shareOfRate],
    ['invocations of the workers', (r) => r.invocations ?? '-'],
    [
      'transfers a second: min / median / max',
      (r) => `${r.perSecond.min}/${r.perSecond.median}/${r.perSecond.max}`,
    ],
    [
      'gaps between calls p50/p90/p99/max (ms)',
      (r) => `${r.gapsMs.p50}/${r.gapsMs.p90}/${r.gapsMs.p99}/${r.gapsMs.max}`,
    ],
    ['tokens unused (bucket full), of the capacity', (r) => r.unusedShare],
    ...[0, 1, 2, 3].map((i): [string, (r: RaisedQuotaFigures) => string] => [
      `  in gaps ${runs[0]?.unusedByGap[i]?.gap ?? ''} (gaps)`,
      (r) => `${r.unusedByGap[i]?.shareOfCapacity} (${r.unusedByGap[i]?.gaps})`,
    ]),
  ];
  for (const [name, cell] of rows)
    log(`  ${name.padEnd(48)}${runs.map((r) => String(cell(r)).padStart(24)).join('')}`);
}
if (raisedQuotaOnly) {
  const runs: RaisedQuotaFigures[] = [];
  for (const c of RAISED_QUOTA_CASES) runs.push(await raisedQuotaRun(c, log, values['calls-file']));
  printRaisedQuota(runs);
  log(
    `\nJSON summary\n${JSON.stringify({ date: new Date().toISOString(), node: process.version, raisedQuota: runs }, null, 2)}`,
  );
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

// ---- 1. Quota use ---------------------------------------------------------------------------------------
const quota = Number(values.quota);
const backlog = Number(values.backlog);
// Connect's burst at the scaled quota: 5 as at the default quota (a bucket 125 ms deep at 40/s, not 2.5 s).
const burst = Number(values.burst);
const quotaRun = async (name: string, environment: Record<string, string>, stackRate = quota) => {
  log(`quota use: ${name} (${backlog} transfers, quota ${quota}/s, burst ${burst})…`);
  const report = await runScenario({
    workload: buildBacklog(backlog),
    rate: quota,
    maxReceiveCount: 5,
    seed: 1,
    cap: 11,
    timeoutSeconds: 1_200,
    context: { transferRatePerSecond: String(stackRate), contactReadRatePerSecond: String(stackRate) },
    environment,
    // Pacing is what is measured: every request names its chain's first contact, which keeps its id.
    connect: { contactIdMode: 'keep', checkOrder: 'token-first', tokenWindowMs: 7 * 86_400_000, burst },
  });
  const transferred = report.outcomes.get('Transferred') ?? 0;
  const connectCalls = report.calls.filter((c) => c.operation === 'TransferContact');
  const throttled = connectCalls.filter((c) => c.status === 429).length;
  const achieved = transferred / Math.max(report.transferSpanSeconds, 1e-9);
  return {
    name,
    transferred,
    achievedPerSecond: round(achieved),
    quotaUse: round(achieved / quota, 3),
    throttledCalls: throttled,
    throttledShare: round(throttled / Math.max(1, connectCalls.length), 3),
    requeued: report.outcomes.get('Requeued') ?? 0,
    dlqBecauseOfThrottling: report.deadLetters.filter((d) => /Throttl/.test(d.attributes.ErrorCode ?? ''))
      .length,
    invariantsHold: report.invariants.every((r) => r.ok),
    report,
  };
};
const quotaRuns = overheadOnly
  ? []
  : [
      await quotaRun('paced, standard retry (default)', { AWS_RETRY_MODE: 'standard' }),
      await quotaRun('paced, adaptive retry', { AWS_RETRY_MODE: 'adaptive' }),
      await quotaRun('unpaced (10x rate), adaptive retry', { AWS_RETRY_MODE: 'adaptive' }, quota * 10),
    ];

const raisedQuotaRuns: RaisedQuotaFigures[] = [];
if (!overheadOnly)
  for (const c of RAISED_QUOTA_CASES)
    raisedQuotaRuns.push(await raisedQuotaRun(c, log, values['calls-file']));

// ---- 2. Overhead ----------------------------------------------------------------------------------------
log('overhead: synthesizing, bundling the bare handler, running both on the same engines…');
const cloudAssembly = join(work, 'cdk.out');
await synthesizeStack(cloudAssembly, { instanceIds: SAMPLE_INSTANCE_ID, transferRatePerSecond: '100000' });
const model = readStackModel(cloudAssembly, 'ConnectTransferOrchestrator');
const assetFile = join(model.worker.assetDirectory, model.worker.moduleFile);
// The same esbuild settings as the stack's worker asset.
const bundle = async (entry: string, outdir: string) => {
  await build({
    ...WORKER_BUILD_OPTIONS,
    mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
    entryPoints: [join(ROOT, entry)],
    outfile: join(outdir, 'index.mjs'),
  });
  return join(outdir, 'index.mjs');
};
const bareFile = await bundle('tools/bench/bareHandler.ts', join(work, 'bare'));
const minimalFile = await bundle('tools/bench/minimalDependencies.ts', join(work, 'minimal'));

const records = Number(values.records);
const [dynamodb, sqs, connect] = await Promise.all([
  startLocalDynamoDB(),
  startLocalSqs(),
  ConnectSimulator.start({ ratePerSecond: 1_000_000, burst: 1_000_000, contactIdMode: 'keep' }),
]);
// About 10 transfers per contact, under the cap (11) and Connect's own limit; each run has contacts of its
// own (RUNS of them at most), so a run never meets a chain or a contact another run used up.
const contacts = Math.ceil((records + 20) / 10);
const RUNS = 4;
let runsStarted = 0;
connect.seed({
  instances: [
    {
      id: SAMPLE_INSTANCE_ID,
      flows: [{ id: 'flow-transfer-to-queue', type: 'QUEUE_TRANSFER' }],
      queues: ['support'],
      contacts: Array.from({ length: contacts * RUNS }, (_, i) => ({ id: `bench-${i}` })),
    },
  ],
});
const proxy = await FaultyDynamoDBProxy.start(dynamodb.endpoint);
const resources = await provisionStack(model, { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint });
// The outcome events go to the stack's bus, served locally, where they are counted.
const eventBridge = await LocalEventBridge.start({ sqsEndpoint: sqs.endpoint });
eventBridge.configure({ buses: model.buses.map((bus) => bus.name), rules: [] });
let outcomeEvents = 0;
eventBridge.onEvent(() => {
  outcomeEvents += 1;
});
const childEnv = (modulePath: string, runId: string, contactOffset = 0) => ({
  ...process.env,
  ...resolveEnvironment(model.worker.environment, resources),
  AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
  AWS_ENDPOINT_URL_SQS: sqs.endpoint,
  AWS_ENDPOINT_URL_CONNECT: connect.endpoint,
  AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  MODULE_PATH: modulePath,
  RECORDS: String(records),
  CONTACTS: String(contacts),
  CONTACT_OFFSET: String(contactOffset),
  BENCH_INSTANCE_ID: SAMPLE_INSTANCE_ID,
  BENCH_RUN: runId,
});
const overheadRun = async (modulePath: string, runId: string, nodeArgs: string[] = []) => {
  const before = new Map(proxy.counts);
  const eventsBefore = outcomeEvents;
  const transfersBefore = connect.calls.filter((c) => c.transferred).length;
  const { stdout } = await run(process.execPath, [...nodeArgs, join(ROOT, 'tools/bench/overheadChild.mjs')], {
    env: childEnv(modulePath, runId, contacts * runsStarted++),
    maxBuffer: 256 * 1024 * 1024,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    records: number;
    failures: number;
    cpuMs: number;
    wallMs: number;
    maxRssMb: number;
    window: { fromUs: number; toUs: number };
  };
  const requests = new Map([...proxy.counts].map(([op, n]) => [op, n - (before.get(op) ?? 0)]));
  const transfers = connect.calls.filter((c) => c.transferred).length - transfersBefore;
  return {
    ...result,
    transfers,
    outcomeEvents: outcomeEvents - eventsBefore,
    dynamodbRequests: Object.fromEntries(requests),
  };
};
const orchestrator = await overheadRun(assetFile, 'orchestrator');
const bare = await overheadRun(bareFile, 'bare');
// The peak above is what V8 keeps when memory is plentiful (it collects lazily); a function's memory bounds
// its heap. The same records with the heap capped at CAPPED_HEAP_MB: still every record handled, and the
// peak resident set is what a function of that size must hold.
const CAPPED_HEAP_MB = Number(values['capped-heap-mb']);
const capped = await overheadRun(assetFile, 'capped', [`--max-old-space-size=${CAPPED_HEAP_MB}`]);
const sum = (o: Record<string, number>, ops?: string[]) =>
  Object.entries(o).reduce((acc, [op, n]) => acc + (ops === undefined || ops.includes(op) ? n : 0), 0);
const orchestratorReads = sum(orchestrator.dynamodbRequests, ['GetItem', 'BatchGetItem']);
const orchestratorWrites = sum(orchestrator.dynamodbRequests, ['PutItem', 'UpdateItem', 'DeleteItem']);
const reads = orchestratorReads / Math.max(1, orchestrator.transfers);
const writes = orchestratorWrites / Math.max(1, orchestrator.transfers);
function printOverhead() {
  log(`\nOverhead, ${records} records in batches of 10 (CPU of the handler's process only)`);
  log(
    table([
      ['', 'orchestrator', 'bare handler', 'ratio'],
      [
        'CPU per record (ms)',
        round(orchestrator.cpuMs / records, 3),
        round(bare.cpuMs / records, 3),
        round(orchestrator.cpuMs / bare.cpuMs),
      ],
      [
        'DynamoDB requests per transfer',
        round((orchestratorReads + orchestratorWrites) / Math.max(1, orchestrator.transfers), 2),
        0,
        '-',
      ],
      [
        '  reads (GetItem) / writes (Put, Update, Delete)',
        `${round(reads, 2)} / ${round(writes, 2)}`,
        '-',
        '-',
      ],
      ['peak resident set (MB)', orchestrator.maxRssMb, bare.maxRssMb, '-'],
      [
        `  heap capped at ${CAPPED_HEAP_MB} MB: peak (MB), records failed`,
        `${capped.maxRssMb}, ${capped.failures}`,
        '-',
        '-',
      ],
      [`  heap capped: CPU per record (ms)`, round(capped.cpuMs / records, 3), '-', '-'],
    ]),
  );
}
// A profile of one more run, for where the CPU goes; its own CPU figure is not the measured one (the
// profiler costs some).
const profile = values['cpu-prof']
  ? await (async (dir: string) => {
      const into = mkdtempSync(join(dir, 'profile-'));
      const profiled = await overheadRun(assetFile, 'profiled', ['--cpu-prof', '--cpu-prof-dir', into]);
      // The bundle and its map stay beside the profile, for a closer look (cpuProfile.ts, by function).
      copyFileSync(assetFile, join(into, 'index.mjs'));
      copyFileSync(`${assetFile}.map`, join(into, 'index.mjs.map'));
      log(`overhead: the profile, the bundle and its map are in ${into}`);
      const summary = (by: 'category' | 'module') =>
        summarizeProfileDirectory(into, `${assetFile}.map`, profiled.records, profiled.window, by);
      const [categories, modules] = [summary('category'), summary('module')];
      return { text: `${categories.text}\n\n${modules.text}`, rows: categories.rows };
    })(values['cpu-prof'])
  : undefined;
if (overheadOnly) {
  await Promise.all([proxy.stop(), dynamodb.stop(), sqs.stop(), connect.stop(), eventBridge.stop()]);
  rmSync(work, { recursive: true, force: true });
  printOverhead();
  if (profile) log(`\n${profile.text}`);
  log(
    `\nJSON summary\n${JSON.stringify({ date: new Date().toISOString(), node: process.version, overhead: { records, orchestrator, bare, cappedHeap: { heapMb: CAPPED_HEAP_MB, ...capped }, cpuRatio: round(orchestrator.cpuMs / bare.cpuMs) }, profile: profile?.rows }, null, 2)}`,
  );
  process.exit(0);
}

// ---- 3. Cold start --------------------------------------------------------------------------------------
log('cold start: import times of the asset and of the minimal bundle…');
const importTime = async (file: string, env: NodeJS.ProcessEnv) => {
  const script = `const t=performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  return Number(stdout);
};
const workerEnv = { ...childEnv(assetFile, 'cold'), POWERTOOLS_LOG_LEVEL: 'SILENT' };
// One of each in turn, so that the machine's load, which drifts, weighs on both alike.
const assetImports: number[] = [];
const minimalImports: number[] = [];
for (let i = 0; i < Number(values.imports); i += 1) {
  assetImports.push(await importTime(assetFile, workerEnv));
  minimalImports.push(await importTime(minimalFile, workerEnv));
}
await Promise.all([proxy.stop(), dynamodb.stop(), sqs.stop(), connect.stop(), eventBridge.stop()]);
const coldStart = {
  assetBytes: statSync(assetFile).size,
  minimalBytes: statSync(minimalFile).size,
  assetImportMedianMs: round(median(assetImports)),
  minimalImportMedianMs: round(median(minimalImports)),
};

// ---- 4. Neighbours, latency, duplicates (at the default quota) -------------------------------------------
const neighbourRuns = !values['no-neighbours']
  ? await (async () => {
      log(
        'neighbours: the fixed and the adaptive pacer side by side at the default quota (several minutes)…',
      );
      const warmup = Number(values['neighbour-warmup']);
      const seconds = Number(values['neighbour-seconds']);
      const shared = await Promise.all([
        neighbourRun('fixed', warmup, seconds),
        neighbourRun('adaptive', warmup, seconds),
      ]);
      const idle = await Promise.all([idleRun('fixed'), idleRun('adaptive')]);
      return shared.map((run, i) => ({ ...run, ...(idle[i] as Awaited<ReturnType<typeof idleRun>>) }));
    })()
  : [];

// ---- 5. Cost per million transfers ----------------------------------------------------------------------
const paced = quotaRuns[0]?.report as ScenarioReport;
const pacedTransfers = quotaRuns[0]?.transferred ?? 1;
const common = {
  lambdaInvocations: paced.invocations / pacedTransfers,
  // Per message: one send (batched by 10 by the client library), one receive and one delete (batches of 10).
  sqsRequests: 3 / 10,
  dynamodbWriteUnits: writes,
  dynamodbReadUnits: reads,
  outcomeEvents: orchestrator.outcomeEvents / Math.max(1, orchestrator.transfers),
  logBytes: paced.logBytes / pacedTransfers,
};
const memoryMb = DEFAULTS.workerMemorySize;
// At the scaled quota the workers were busy for what the quota run measured.
const costScaled = costPerMillion({
  ...common,
  memoryMb,
  workerSeconds: paced.invocationSeconds / pacedTransfers,
});
// At the default quota, alone on it with a backlog waiting (the neighbour runs' first phase): what the
// workers were busy and invoked per transfer, as measured; without the neighbour runs, the workers waiting
// in the function all the time (each of the two makes one call a second).
const aloneUse = (mode: 'fixed' | 'adaptive') =>
  neighbourRuns.find((r) => r.mode === mode)?.phases[0]?.worker;
const defaultQuotaCost = (mode: 'fixed' | 'adaptive', tables: 'provisioned' | 'on-demand') => {
  const use = aloneUse(mode);
  const invocations = use?.invocationsPerTransfer ?? common.lambdaInvocations;
  return costPerMillion({
    ...common,
    memoryMb,
    lambdaInvocations: invocations,
    workerSeconds: use?.secondsPerTransfer ?? DEFAULTS.maxConcurrency / 2,
    // The producer's send (batches of 10), then per invocation a receive and a delete, and the sends of
    // the requests held for their slots: at most one per invocation, and at most one per held copy (each
    // delivery past the first is a copy).
    sqsRequests:
      1 / 10 + invocations * 2 + Math.min(invocations, Math.max(0, (use?.deliveriesPerTransfer ?? 1) - 1)),
    // The worker's lines as that run measured them (without it, the scaled run's), and Lambda's own START,
    // END and REPORT lines: not written at the default system log level (WARN).
    logBytes:
      (use?.logBytesPerTransfer ?? common.logBytes) +
      (DEFAULTS.systemLogLevel === 'WARN' ? 0 : invocations * LAMBDA_PLATFORM_LOG_BYTES),
    ...(tables === 'provisioned' && {
      dynamodbProvisionedPerMillion: provisionedTablesPerMillion(DEFAULTS.transferRatePerSecond).perMillion,
    }),
  });
};
const costDefault = defaultQuotaCost('adaptive', 'provisioned');
const costOnDemand = defaultQuotaCost('adaptive', 'on-demand');
const costFixed = defaultQuotaCost('fixed', 'provisioned');
rmSync(work, { recursive: true, force: true });

// ---- Report ---------------------------------------------------------------------------------------------
log(`\nQuota use (target: ≥ 0.95 of quota, none in the DLQ because of throttling)`);
log(
  table([
    ['', 'transfers/s', 'of quota', '429s', 'requeued', 'DLQ (429)'],
    ...quotaRuns.map((r) => [
      r.name,
      r.achievedPerSecond,
      r.quotaUse,
      r.throttledCalls,
      r.requeued,
      r.dlqBecauseOfThrottling,
    ]),
  ]),
);
printRaisedQuota(raisedQuotaRuns);
printOverhead();
if (profile) log(`\n${profile.text}`);
log(`\nCold start (target: ≤ 1.1x the minimal bundle of the same dependencies)`);
log(
  table([
    ['', 'asset', 'minimal', 'ratio'],
    [
      'bundle bytes',
      coldStart.assetBytes,
      coldStart.minimalBytes,
      round(coldStart.assetBytes / coldStart.minimalBytes, 3),
    ],
    [
      `median import time (ms, ${values.imports} runs)`,
      coldStart.assetImportMedianMs,
      coldStart.minimalImportMedianMs,
      round(coldStart.assetImportMedianMs / coldStart.minimalImportMedianMs, 3),
    ],
  ]),
);
log(
  `\nNeighbours at the default quota (2/s, burst 5): our share of what the neighbour leaves, and its calls throttled`,
);
log(
  table([
    ['', 'share (fixed)', 'share (adapt.)', '429s (fixed)', '429s (adapt.)'],
    ...NEIGHBOURS.map((n, i) => [
      n.name,
      neighbourRuns[0]?.phases[i]?.shareOfWhatIsLeft ?? '-',
      neighbourRuns[1]?.phases[i]?.shareOfWhatIsLeft ?? '-',
      neighbourRuns[0]?.phases[i]?.neighbourThrottledShare ?? '-',
      neighbourRuns[1]?.phases[i]?.neighbourThrottledShare ?? '-',
    ]),
    ...neighbourRuns.map((r) => [
      `latency idle p50/p99 (ms), ${r.mode}`,
      `${r.latencyIdleMs.p50}/${r.latencyIdleMs.p99}`,
    ]),
    ...neighbourRuns.map((r) => [
      `latency under backlog p50/p99 (s), ${r.mode}`,
      `${Math.round(r.latencyUnderBacklogMs.p50 / 1000)}/${Math.round(r.latencyUnderBacklogMs.p99 / 1000)}`,
    ]),
    ...neighbourRuns.map((r) => [`duplicate in flight settled (s), ${r.mode}`, r.duplicateSettledSeconds]),
  ]),
);
log(
  `\nCost per million transfers at the default quota, a backlog waiting (us-east-1 list prices known on 2026-11-29; Lambda Arm, ${memoryMb} MB; worker peak ${orchestrator.maxRssMb} MB; tables provisioned: $${round(provisionedTablesPerMillion(DEFAULTS.transferRatePerSecond).perMonth, 2)} a month)`,
);
log(
  table([
    ['', 'scaled quota', 'adaptive', 'adapt., on-demand', 'fixed pacing'],
    [
      'worker seconds per transfer',
      '-',
      aloneUse('adaptive')?.secondsPerTransfer ?? '-',
      '',
      aloneUse('fixed')?.secondsPerTransfer ?? '-',
    ],
    ...Object.keys(costDefault).map((k) => [
      k,
      `$${round(costScaled[k] ?? 0, 2)}`,
      `$${round(costDefault[k] ?? 0, 2)}`,
      `$${round(costOnDemand[k] ?? 0, 2)}`,
      `$${round(costFixed[k] ?? 0, 2)}`,
    ]),
  ]),
);
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  quota: { quotaPerSecond: quota, burst, backlog, runs: quotaRuns.map(({ report: _r, ...r }) => r) },
  raisedQuota: raisedQuotaRuns,
  overhead: {
    records,
    orchestrator,
    bare,
    cappedHeap: { heapMb: CAPPED_HEAP_MB, ...capped },
    cpuRatio: round(orchestrator.cpuMs / bare.cpuMs),
  },
  coldStart: {
    ...coldStart,
    bytesRatio: round(coldStart.assetBytes / coldStart.minimalBytes, 3),
    importRatio: round(coldStart.assetImportMedianMs / coldStart.minimalImportMedianMs, 3),
  },
  neighbours: neighbourRuns,
  cost: {
    prices: PRICES,
    perTransfer: common,
    memoryMb,
    scaled: costScaled,
    defaultQuota: costDefault,
    defaultQuotaOnDemandTables: costOnDemand,
    defaultQuotaFixedPacing: costFixed,
    provisionedTables: provisionedTablesPerMillion(DEFAULTS.transferRatePerSecond),
  },
};
log(`\nJSON summary\n${JSON.stringify(summary, null, 2)}`);
process.exit(0);
