// The quota shared with a neighbour: the stack on local engines at Connect's default quota (2/s, burst 5),
// another caller using part of it, the fixed and the adaptive pacer side by side (two stacks, two simulators,
// at the same time). Used by `npm run bench`.
import { ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { OUTCOME_EVENT_SOURCE, TRANSFER_COMPLETED_DETAIL_TYPE } from '../../src/contract/index.js';
import { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import { buildBacklog } from '../scenario/workload.js';
import { type CountedCall, callTimeline, type PhaseResult, phaseFigures } from './callFigures.js';
import { NEIGHBOURS, type NeighbourPattern } from './neighbourPatterns.js';

export { NEIGHBOURS } from './neighbourPatterns.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

/** A stack at the default quota, its Connect with room for the backlog's chains and the neighbour's contacts. */
async function startStack(mode: 'fixed' | 'adaptive', backlog: number) {
  const workload = buildBacklog(backlog);
  // What Lambda would bill: each invocation's duration, by when it ended.
  const invocations: { endedAt: number; durationMs: number; records: number }[] = [];
  // What CloudWatch Logs would ingest: each line the worker writes (with its newline), by when it was written.
  const logLines: { at: number; bytes: number }[] = [];
  const local = await LocalOrchestrator.start({
    onLogLine: (line) => logLines.push({ at: Date.now(), bytes: Buffer.byteLength(line) + 1 }),
    onBatch: (report) =>
      invocations.push({
        endedAt: Date.now(),
        durationMs: report.durationMs,
        records: report.messageIds.length,
      }),
    context: { adaptivePacing: String(mode === 'adaptive') },
    simulator: {
      ratePerSecond: 2,
      burst: 5,
      contactIdMode: 'keep',
      checkOrder: 'token-first',
      tokenWindowMs: 7 * 86_400_000,
    },
    seed: workload.seed,
  });
  local.connect.seed({
    instances: [
      { id: SAMPLE_INSTANCE_ID, contacts: Array.from({ length: 4_000 }, (_, i) => ({ id: `nb-${i}` })) },
    ],
  });
  const latencies: number[] = [];
  local.eventBridge.onEvent((_, event) => {
    if (event.source === OUTCOME_EVENT_SOURCE && event['detail-type'] === TRANSFER_COMPLETED_DETAIL_TYPE)
      latencies.push(Number((event.detail as { LatencyMs?: number }).LatencyMs ?? 0));
  });
  return { local, workload, latencies, invocations, logLines };
}

/** The neighbour: its own client, no retries (a throttled call is a failure it sees). */
async function runNeighbour(
  local: LocalOrchestrator,
  pattern: NeighbourPattern,
  phaseMs: number,
  offset: number,
) {
  const connect = new ConnectClient({ endpoint: local.connect.endpoint, maxAttempts: 1 });
  const started = Date.now();
  const calls = pattern.schedule(phaseMs).map(async (at, i) => {
    await sleep(Math.max(0, started + at - Date.now()));
    const contact = `nb-${(offset + i) % 4_000}`;
    await connect
      .send(
        new TransferContactCommand({
          InstanceId: SAMPLE_INSTANCE_ID,
          ContactId: contact,
          ContactFlowId: 'flow-transfer-to-queue',
          QueueId: 'support',
          ClientToken: `nb-${offset + i}`,
        }),
      )
      .catch(() => undefined);
  });
  await Promise.all(calls);
  connect.destroy();
}

/** The simulator's log of `TransferContact` calls, as the figures count them. */
function countedCalls(local: LocalOrchestrator): CountedCall[] {
  return local.connect.calls
    .filter((c) => c.operation === 'TransferContact')
    .map((c) => ({
      at: c.receivedAt ?? 0,
      theirs: String(c.input.ClientToken ?? '').startsWith('nb-'),
      ok: c.status === 200,
      throttled: c.status === 429,
    }));
}

/** What the workers used per transfer in a window: what Lambda bills, and how the queue was used. */
interface WorkerUse {
  /** Invocation time per transfer (s): Lambda's billed duration. */
  readonly secondsPerTransfer: number;
  readonly invocationsPerTransfer: number;
  /** Deliveries per transfer: a request held for its slot is delivered again. */
  readonly deliveriesPerTransfer: number;
  /** Bytes of the worker's log lines per transfer (its own lines and its metrics, as Lambda would ship them). */
  readonly logBytesPerTransfer: number;
}

function workerUse(
  invocations: readonly { endedAt: number; durationMs: number; records: number }[],
  logLines: readonly { at: number; bytes: number }[],
  calls: readonly CountedCall[],
  from: number,
  to: number,
): WorkerUse {
  const inWindow = invocations.filter((i) => i.endedAt >= from && i.endedAt < to);
  const transfers = Math.max(1, calls.filter((c) => !c.theirs && c.ok && c.at >= from && c.at < to).length);
  const per = (x: number) => Math.round((x / transfers) * 1000) / 1000;
  return {
    secondsPerTransfer: per(inWindow.reduce((sum, i) => sum + i.durationMs, 0) / 1000),
    invocationsPerTransfer: per(inWindow.length),
    deliveriesPerTransfer: per(inWindow.reduce((sum, i) => sum + i.records, 0)),
    logBytesPerTransfer: Math.round(
      logLines.filter((l) => l.at >= from && l.at < to).reduce((sum, l) => sum + l.bytes, 0) / transfers,
    ),
  };
}

/**
 * Runs every neighbour pattern in turn against one pacing mode: a backlog always waiting, each phase
 * `warmupSeconds` (not measured) then `measureSeconds`; then the latency at idle.
 */
export async function neighbourRun(
  mode: 'fixed' | 'adaptive',
  warmupSeconds: number,
  measureSeconds: number,
) {
  const phaseMs = (warmupSeconds + measureSeconds) * 1000;
  const backlog = Math.ceil(2 * (phaseMs / 1000) * NEIGHBOURS.length * 1.2);
  const { local, workload, latencies, invocations, logLines } = await startStack(mode, backlog);
  const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
  for (let i = 0; i < workload.items.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: local.queueUrl,
        Entries: workload.items
          .slice(i, i + 10)
          .map((item, n) => ({ Id: String(n), MessageBody: item.body })),
      }),
    );
  }
  const phases: (PhaseResult & { readonly worker: WorkerUse })[] = [];
  const runStarted = Date.now();
  let offset = 0;
  for (const pattern of NEIGHBOURS) {
    const started = Date.now();
    await runNeighbour(local, pattern, phaseMs, offset);
    offset += 1_000;
    await sleep(Math.max(0, started + phaseMs - Date.now()));
    const from = started + warmupSeconds * 1000;
    const to = started + phaseMs;
    const calls = countedCalls(local);
    phases.push({
      ...phaseFigures(calls, pattern, from, to),
      worker: workerUse(invocations, logLines, calls, from, to),
    });
  }
  const backlogLatencies = [...latencies];
  const timeline = callTimeline(countedCalls(local), runStarted, 5_000);
  await local.stop();
  return {
    mode,
    phases,
    timeline,
    latencyUnderBacklogMs: {
      p50: percentile(backlogLatencies, 0.5),
      p99: percentile(backlogLatencies, 0.99),
    },
  };
}

/**
 * Latency with nothing queued: requests sent one at a time, enqueue to transfer (the `LatencyMs` of their
 * `Completed` events); and the time a duplicate sent while its twin is in flight (Connect holding the
 * twin's call 3 s) takes to settle.
 */
export async function idleRun(mode: 'fixed' | 'adaptive', requests = 12) {
  const { local, workload, latencies } = await startStack(mode, requests + 2);
  const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
  const until = async (done: () => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await sleep(50);
  };
  for (const item of workload.items.slice(0, requests)) {
    const before = latencies.length;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: local.queueUrl,
        Entries: [{ Id: '0', MessageBody: item.body }],
      }),
    );
    await until(() => latencies.length > before);
    await sleep(1_000);
  }
  const idle = [...latencies];
  local.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 3_000 }] });
  const twin = workload.items[requests]?.body ?? '';
  const sentAt = Date.now();
  const before = latencies.length;
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: local.queueUrl,
      Entries: [
        { Id: 'a', MessageBody: twin },
        { Id: 'b', MessageBody: twin },
      ],
    }),
  );
  await until(() => latencies.length >= before + 2, 600_000);
  const duplicateSettledSeconds = (Date.now() - sentAt) / 1000;
  await local.stop();
  return {
    mode,
    latencyIdleMs: { p50: percentile(idle, 0.5), p99: percentile(idle, 0.99) },
    duplicateSettledSeconds: Math.round(duplicateSettledSeconds * 10) / 10,
  };
}

if (process.argv[1]?.endsWith('neighbours.ts')) {
  const warmup = Number(process.argv[2] ?? 20);
  const measure = Number(process.argv[3] ?? 60);
  const results = await Promise.all([
    neighbourRun('fixed', warmup, measure),
    neighbourRun('adaptive', warmup, measure),
  ]);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  process.exit(0);
}
