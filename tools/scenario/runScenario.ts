import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { parseTransferRequest } from '../../src/request';
import type { FaultPlan, SimulatorCall } from '../connect-simulator/ConnectSimulator';
import { seededRandom } from '../connect-simulator/random';
import type { DynamoDBFaults } from '../local-engines/FaultyDynamoDBProxy';
import { LocalOrchestrator } from '../local-runner/LocalOrchestrator';
import { parseOutcomeLine } from '../local-runner/outcomeLine';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter';
import { checkInvariants, type DeadLetter, type InvariantResult } from './invariants';
import type { ItemKind, Workload } from './workload';

/** A run of a workload through the synthesized stack on the local engines. */
export interface ScenarioOptions {
  readonly workload: Workload;
  /** The simulator's `TransferContact` quota and the stack's rate, per second. */
  readonly rate: number;
  readonly maxReceiveCount: number;
  readonly seed: number;
  readonly cap: number;
  readonly connectFaults?: FaultPlan;
  readonly dynamodbFaults?: DynamoDBFaults;
  /** Chance, each time the simulator holds a call, that an execution environment is killed meanwhile. */
  readonly killWhileHeldRate?: number;
  readonly timeoutSeconds: number;
  /** More CDK context (for instance `maxConcurrency`). */
  readonly context?: Readonly<Record<string, string>>;
  /** More worker environment (for instance `AWS_RETRY_MODE`). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: {
    done: number;
    total: number;
    remaining: number;
    elapsedSeconds: number;
  }) => void;
  readonly onLog?: (text: string) => void;
}

/** What a run did, read from the engines once the queue drained. */
export interface ScenarioReport {
  readonly sent: ReadonlyMap<string, string>;
  readonly kinds: ReadonlyMap<ItemKind, number>;
  readonly outcomes: ReadonlyMap<string, number>;
  readonly codes: ReadonlyMap<string, number>;
  readonly deadLetters: readonly DeadLetter[];
  readonly calls: readonly SimulatorCall[];
  readonly invariants: readonly InvariantResult[];
  readonly drained: boolean;
  readonly kills: number;
  readonly dynamodbRequests: ReadonlyMap<string, number>;
  readonly dynamodbFaultsInjected: ReadonlyMap<string, number>;
  /** From the first message sent to the queue drained. */
  readonly elapsedSeconds: number;
  /** Seconds from the first successful transfer to the last. */
  readonly transferSpanSeconds: number;
  readonly invocations: number;
  /** The invocations' total duration, in seconds (Lambda bills it by the GB-second). */
  readonly invocationSeconds: number;
  /** Bytes the worker logged (CloudWatch Logs ingests them). */
  readonly logBytes: number;
  readonly functionTimeoutSeconds: number;
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/**
 * Runs a workload through the real stack on the local engines (synthesized, bundled, polled as Lambda
 * does), with the faults asked for, waits for the queue to drain, and checks the invariants of DESIGN.md
 * from the engines' own state.
 *
 * @example
 * const report = await runScenario({ workload, rate: 20, maxReceiveCount: 4, seed: 7, cap: 11, timeoutSeconds: 600 });
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.onLog ?? (() => undefined);
  // The shortest timeout that holds a paced batch (the construct checks it): retries come back sooner.
  const maxConcurrency = Number(options.context?.maxConcurrency ?? 2);
  const functionTimeoutSeconds = Math.ceil((10 * maxConcurrency) / options.rate + 5) + 1;
  const outcomes = new Map<string, number>();
  const codes = new Map<string, number>();
  const deleted = new Set<string>();
  const transferTimes: number[] = [];
  let invocations = 0;
  let invocationSeconds = 0;
  let logBytes = 0;

  const local = await LocalOrchestrator.start({
    context: {
      instanceIds: SAMPLE_INSTANCE_ID,
      transferRatePerSecond: String(options.rate),
      functionTimeoutSeconds: String(functionTimeoutSeconds),
      maxReceiveCount: String(options.maxReceiveCount),
      transferCap: String(options.cap),
      ...options.context,
    },
    simulator: { ratePerSecond: options.rate, burst: 5, contactIdMode: 'keep', seed: options.seed },
    seed: options.workload.seed,
    environment: options.environment,
    dynamodbFaults: options.dynamodbFaults,
    onLogLine: (line) => {
      logBytes += Buffer.byteLength(line) + 1;
      const outcome = parseOutcomeLine(line);
      if (!outcome) return;
      count(outcomes, outcome.outcome);
      if (outcome.errorCode) count(codes, `${outcome.outcome}:${outcome.errorCode}`);
      if (outcome.outcome === 'Transferred') transferTimes.push(Date.now());
    },
    onBatch: (report) => {
      invocations += 1;
      invocationSeconds += report.durationMs / 1000;
      for (const id of report.deleted) deleted.add(id);
    },
  });
  log(
    `Stack: rate ${options.rate}/s, timeout ${functionTimeoutSeconds} s, maxReceiveCount ${options.maxReceiveCount}, maxConcurrency ${local.model.worker.eventSource.maxConcurrency}, cap ${options.cap}\n`,
  );
  local.connect.injectFaults(options.connectFaults ?? {});

  const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
  const sent = new Map<string, string>();
  const kinds = new Map<ItemKind, number>();
  const started = Date.now();
  for (let i = 0; i < options.workload.items.length; i += 10) {
    const batch = options.workload.items.slice(i, i + 10);
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: local.queueUrl,
        Entries: batch.map((item, n) => ({ Id: String(n), MessageBody: item.body })),
      }),
    );
    if (Failed.length > 0) throw new Error(`could not enqueue: ${Failed.map((f) => f.Message).join('; ')}`);
    for (const entry of Successful) {
      const item = batch[Number(entry.Id)];
      if (!item || !entry.MessageId) continue;
      sent.set(entry.MessageId, item.body);
      kinds.set(item.kind, (kinds.get(item.kind) ?? 0) + 1);
    }
  }
  log(`Enqueued ${sent.size} requests: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}\n`);

  // Chaos: while the simulator holds a call (before or after it acted), sometimes kill an environment.
  let kills = 0;
  let killing = true;
  const killer = (async () => {
    const random = seededRandom(options.seed + 1);
    let lastKill = 0;
    while (killing && options.killWhileHeldRate) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (
        local.connect.heldCalls > 0 &&
        Date.now() - lastKill > 500 &&
        random() < options.killWhileHeldRate
      ) {
        await local.killEnvironment(Math.floor(random() * local.environmentCount));
        kills += 1;
        lastKill = Date.now();
      }
    }
  })();

  const depth = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let remaining = sent.size;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    remaining = await depth(local.queueUrl);
    quiet = remaining === 0 && local.connect.heldCalls === 0 ? quiet + 1 : 0;
    options.onProgress?.({
      done: Math.max(0, sent.size - remaining),
      total: sent.size,
      remaining,
      elapsedSeconds: (Date.now() - started) / 1000,
    });
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  killing = false;
  await killer;

  const deadLetters: DeadLetter[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: local.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 600,
      }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      const attributes = Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      );
      // A message SQS itself redrove carries no attributes: its token is the one the worker derived.
      const parsed = parseTransferRequest(m.Body ?? '', {
        messageId: attributes.SourceMessageId ?? m.MessageId ?? '',
        clientTokenAttribute: attributes.ClientToken,
      });
      deadLetters.push({
        messageId: m.MessageId ?? '',
        body: m.Body ?? '',
        attributes,
        clientToken: parsed.ok ? parsed.value.request.ClientToken : undefined,
      });
    }
  }
  const dynamodb = new DynamoDBClient({ endpoint: local.dynamodb.endpoint });
  const ledger = new Map<string, ReadonlySet<string>>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({ TableName: local.ledgerTableName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const pk = String(item.pk?.S ?? '');
      if (pk.startsWith('chain#')) ledger.set(pk, new Set(item.tokens?.SS ?? []));
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  const calls = [...local.connect.calls];
  const transfersPerChain = new Map(local.connect.transfersPerChain());
  const dynamodbRequests = new Map(local.dynamodbProxy?.counts ?? []);
  const dynamodbFaultsInjected = new Map(local.dynamodbProxy?.injected ?? []);
  await local.stop();

  const invariants = checkInvariants({
    sent,
    deleted,
    deadLetters,
    stillQueued: remaining,
    calls,
    transfersPerChain,
    ledger,
    cap: options.cap,
  });
  return {
    sent,
    kinds,
    outcomes,
    codes,
    deadLetters,
    calls,
    invariants,
    drained: remaining === 0,
    kills,
    dynamodbRequests,
    dynamodbFaultsInjected,
    elapsedSeconds,
    transferSpanSeconds:
      transferTimes.length > 1 ? ((transferTimes.at(-1) ?? 0) - (transferTimes[0] ?? 0)) / 1000 : 0,
    invocations,
    invocationSeconds,
    logBytes,
    functionTimeoutSeconds,
  };
}

/**
 * The report as the demo and the chaos suite print it: a summary, the DLQ by reason, the invariants.
 *
 * @example
 * process.stdout.write(formatReport(report));
 */
export function formatReport(report: ScenarioReport): string {
  const get = (key: string) => report.outcomes.get(key) ?? 0;
  const transferCalls = report.calls.filter((c) => c.operation === 'TransferContact');
  const rows: [string, number | string][] = [
    ['requests sent', report.sent.size],
    ['transferred', get('Transferred')],
    ['duplicates absorbed (replayed)', get('Duplicate')],
    ['duplicates retried while in flight', report.codes.get('RetryScheduled:TransferInFlight') ?? 0],
    ['cap rejections', get('CapReached')],
    ['invalid (incl. token reuse)', get('InvalidRequest')],
    ['refused by Connect', get('ConnectRejected')],
    ['retried (transient)', get('RetryScheduled')],
    ['retries exhausted', get('RetriesExhausted')],
    ['sent back (throttled on last delivery)', get('Requeued')],
    ['in the DLQ', report.deadLetters.length],
    ['Connect calls', transferCalls.length],
    ['  answered 429', transferCalls.filter((c) => c.status === 429).length],
    [
      '  answered 5xx / dropped / abandoned',
      transferCalls.filter((c) => c.status >= 500 || c.status === 0).length,
    ],
    ['worker environments killed', report.kills],
    ['DynamoDB faults injected', [...report.dynamodbFaultsInjected.values()].reduce((a, b) => a + b, 0)],
    ['elapsed', `${Math.round(report.elapsedSeconds)} s`],
  ];
  const byReason = new Map<string, number>();
  for (const dead of report.deadLetters)
    count(
      byReason,
      `${dead.attributes.ErrorClass ?? 'redriven by SQS'} / ${dead.attributes.ErrorCode ?? '-'}`,
    );
  const failed = report.invariants.filter((r) => !r.ok).length;
  return [
    '\nSummary',
    ...rows.map(([k, v]) => `  ${k.padEnd(40)} ${String(v).padStart(6)}`),
    '\nIn the DLQ, by reason',
    ...([...byReason].sort().map(([k, v]) => `  ${k.padEnd(52)} ${String(v).padStart(4)}`) || []),
    ...(byReason.size === 0 ? ['  (empty)'] : []),
    "\nInvariants (DESIGN.md), from the engines' own state",
    ...report.invariants.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`),
    `\n${!report.drained ? 'The queue did not drain in time. ' : ''}${failed === 0 ? 'All invariants hold.' : `${failed} invariant(s) failed.`}\n`,
  ].join('\n');
}

/**
 * A progress bar for a terminal, or a line every few seconds elsewhere (CI logs).
 *
 * @example
 * runScenario({ ..., onProgress: progressPrinter() });
 */
export function progressPrinter(): NonNullable<ScenarioOptions['onProgress']> {
  let lastLine = 0;
  return ({ done, total, remaining, elapsedSeconds }) => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} done, ${remaining} queued or retrying, ${Math.round(elapsedSeconds)} s`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}${remaining === 0 ? '\n' : ''}`);
    else if (Date.now() - lastLine > 5_000 || remaining === 0) {
      process.stdout.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
}
