import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { parseTransferRequest } from '../../src/request/index.js';
import type {
  ConnectSimulatorOptions,
  FaultPlan,
  SimulatorCall,
} from '../connect-simulator/ConnectSimulator.js';
import { seededRandom } from '../connect-simulator/random.js';
import type { DynamoDBFaults } from '../local-engines/FaultyDynamoDBProxy.js';
import { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import { parseOutcomeLine } from '../local-runner/outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import { checkInvariants, type DeadLetter, type InvariantResult } from './invariants.js';
import type { ItemKind, Workload, WorkloadItem } from './workload.js';

/**
 * The harsh world every fault run uses by default: new contact ids after a transfer (a fifth keep theirs),
 * the old contact ended, Connect checking the contact before the token, and a token memory of 30 seconds
 * (the worker's replay window is 5), so retries outlive it during the run.
 */
export const HARSH_CONNECT: Partial<ConnectSimulatorOptions> = {
  contactIdMode: 'new',
  keepIdShare: 0.2,
  checkOrder: 'state-first',
  tokenWindowMs: 30_000,
};

/** A run of a workload through the synthesized stack on the local engines. */
export interface ScenarioOptions {
  readonly workload: Workload;
  /** The simulator's `TransferContact` quota and the stack's rate, per second. */
  readonly rate: number;
  readonly maxReceiveCount: number;
  readonly seed: number;
  readonly cap: number;
  readonly connectFaults?: FaultPlan;
  /** How Connect behaves. @default HARSH_CONNECT */
  readonly connect?: Partial<ConnectSimulatorOptions>;
  readonly dynamodbFaults?: DynamoDBFaults;
  /** Chance, each time the simulator holds a call, that an execution environment is killed meanwhile. */
  readonly killWhileHeldRate?: number;
  /**
   * Once the queue drained: move Connect's clock past its token window, expire the idempotency records (as
   * their TTL would), redrive the DLQ as `StartMessageMoveTask` does (new message ids), send again a share of
   * the requests that transferred, drain again, and check the invariants over both phases.
   * @default false
   */
  readonly redrive?: boolean;
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

/** What a redrive phase did. */
export interface RedriveReport {
  /** DLQ messages moved back to the transfer queue, each under a new message id. */
  readonly redriven: number;
  /** Requests that had transferred, sent again after every memory but the ledger's had expired. */
  readonly resent: number;
  /** Transfers Connect made during the phase (each must be a request that had not transferred before). */
  readonly newTransfers: number;
  readonly invariants: readonly InvariantResult[];
  readonly drained: boolean;
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
  /** Contacts a transfer started with a new id (the harsh default), and transfers that kept the id. */
  readonly newContactIds: number;
  /** The redrive phase, when asked for. */
  readonly redrive?: RedriveReport;
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body an item is sent with: a copy of what an earlier item sent, or its own naming its chain's contact. */
function bodyToSend(
  item: WorkloadItem,
  sentBodies: ReadonlyMap<number, string>,
  local: LocalOrchestrator,
): string {
  if (item.copyOf !== undefined) {
    const original = sentBodies.get(item.copyOf) ?? item.body;
    if (!item.override) return original;
    const copy = JSON.parse(original) as Record<string, unknown>;
    const target = (copy.detail as Record<string, unknown> | undefined) ?? copy;
    for (const [key, value] of Object.entries(item.override)) {
      if (value === undefined) delete target[key];
      else target[key] = value;
    }
    return JSON.stringify(copy);
  }
  if (!item.followChain || !item.chain) return item.body;
  const body = JSON.parse(item.body) as Record<string, unknown>;
  const target = (body.detail as Record<string, unknown> | undefined) ?? body;
  target.ContactId = local.connect.currentContactOf(SAMPLE_INSTANCE_ID, item.chain);
  return JSON.stringify(body);
}

/**
 * Sends the workload round by round, each round once the previous one had time to be worked on, so that a
 * request names the contact its chain is on by then. Returns message id → body.
 */
async function sendRounds(
  sqs: SQSClient,
  local: LocalOrchestrator,
  workload: Workload,
  rate: number,
  seed: number,
): Promise<{ sent: Map<string, string>; kinds: Map<ItemKind, number> }> {
  const random = seededRandom(seed + 2);
  const sent = new Map<string, string>();
  const kinds = new Map<ItemKind, number>();
  const sentBodies = new Map<number, string>();
  const rounds = new Map<number, number[]>();
  workload.items.forEach((item, index) => {
    const round = item.round ?? 0;
    rounds.set(round, [...(rounds.get(round) ?? []), index]);
  });
  for (const round of [...rounds.keys()].sort((a, b) => a - b)) {
    // Producers do not send in order within a round.
    const indexes = [...(rounds.get(round) ?? [])].sort(() => random() - 0.5);
    for (let i = 0; i < indexes.length; i += 10) {
      const batch = indexes.slice(i, i + 10).map((index) => {
        const item = workload.items[index] as WorkloadItem;
        const body = bodyToSend(item, sentBodies, local);
        sentBodies.set(index, body);
        return { item, body };
      });
      const { Successful = [], Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: local.queueUrl,
          Entries: batch.map(({ body }, n) => ({ Id: String(n), MessageBody: body })),
        }),
      );
      if (Failed.length > 0) throw new Error(`could not enqueue: ${Failed.map((f) => f.Message).join('; ')}`);
      for (const entry of Successful) {
        const sentItem = batch[Number(entry.Id)];
        if (!sentItem || !entry.MessageId) continue;
        sent.set(entry.MessageId, sentItem.body);
        count(kinds as Map<string, number>, sentItem.item.kind);
      }
    }
    await sleep(Math.max(1_000, Math.ceil((indexes.length / rate) * 1000) + 500));
  }
  return { sent, kinds };
}

/** Messages in a queue, visible, in flight or delayed. */
async function depthOf(sqs: SQSClient, url: string): Promise<number> {
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
}

/** Waits until the transfer queue is empty and Connect holds no call, or the deadline. Returns what is left. */
async function drain(
  sqs: SQSClient,
  local: LocalOrchestrator,
  deadline: number,
  onTick: (remaining: number) => void,
): Promise<number> {
  let remaining = Number.POSITIVE_INFINITY;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(500);
    remaining = await depthOf(sqs, local.queueUrl);
    quiet = remaining === 0 && local.connect.heldCalls === 0 ? quiet + 1 : 0;
    onTick(remaining);
  }
  return remaining;
}

/** Takes every message out of the DLQ, with the token each ran under. */
async function takeDeadLetters(sqs: SQSClient, url: string): Promise<DeadLetter[]> {
  const deadLetters: DeadLetter[] = [];
  for await (const m of receiveAll(sqs, url)) {
    const attributes = Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
    );
    // A message SQS itself moved carries no attributes of ours: its token is the one the worker derives.
    const parsed = parseTransferRequest(m.Body ?? '', {
      messageId: attributes.SourceMessageId ?? m.MessageId ?? '',
      clientTokenAttribute: attributes.ClientToken,
    });
    deadLetters.push({
      messageId: m.MessageId ?? '',
      body: m.Body ?? '',
      attributes,
      clientToken: parsed.ok ? parsed.value.request.ClientToken : undefined,
      receiptHandle: m.ReceiptHandle,
      messageAttributes: m.MessageAttributes,
    });
  }
  return deadLetters;
}

/** Every message of a queue, received (and hidden for 10 minutes) until it answers empty. */
async function* receiveAll(sqs: SQSClient, url: string): AsyncGenerator<Message> {
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 600,
      }),
    );
    if (Messages.length === 0) return;
    yield* Messages;
  }
}

/** The ledger's chains (chain key → tokens holding a slot), and the tokens it records as ambiguous. */
async function readLedger(
  dynamodb: DynamoDBClient,
  tableName: string,
): Promise<{ ledger: Map<string, ReadonlySet<string>>; ambiguousTokens: Set<string> }> {
  const ledger = new Map<string, ReadonlySet<string>>();
  const ambiguousTokens = new Set<string>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item.pk?.S ?? '');
      if (pk.startsWith('chain#')) ledger.set(pk, new Set(item.tokens?.SS ?? []));
      if (pk.startsWith('request#') && item.ambiguousSince) ambiguousTokens.add(pk.slice('request#'.length));
      if (process.env.SCENARIO_DEBUG && (pk.startsWith('request#') || pk.startsWith('chain#')))
        process.stderr.write(`ledger ${JSON.stringify(item)}\n`);
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return { ledger, ambiguousTokens };
}

/**
 * Deletes every idempotency record, as DynamoDB's TTL does once `idempotencyTtl` has passed: the ledger is
 * then the only memory of a token on the orchestrator's side. Returns how many it deleted.
 *
 * @example
 * await expireIdempotencyRecords(new DynamoDBClient({ endpoint }), 'idempotency');
 */
export async function expireIdempotencyRecords(dynamodb: DynamoDBClient, tableName: string): Promise<number> {
  let deleted = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { id: item.id as never } }));
      deleted += 1;
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return deleted;
}

/**
 * Moves DLQ messages back to the transfer queue as `StartMessageMoveTask` does: body and message attributes
 * kept, a new message id each. Returns new message id → body.
 */
async function redriveDeadLetters(
  sqs: SQSClient,
  deadLetters: readonly DeadLetter[],
  from: string,
  to: string,
): Promise<Map<string, string>> {
  const sent = new Map<string, string>();
  for (const dead of deadLetters) {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: to,
        MessageBody: dead.body,
        MessageAttributes: dead.messageAttributes,
      }),
    );
    if (MessageId) sent.set(MessageId, dead.body);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: dead.receiptHandle }));
  }
  return sent;
}

/**
 * Runs a workload through the real stack on the local engines (synthesized, bundled, polled as Lambda
 * does), in the harsh world unless told otherwise, with the faults asked for; waits for the queue to drain,
 * and checks the five invariants from the engines' own state (and again after a redrive phase, if asked).
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

  const connectOptions = { ...HARSH_CONNECT, ...options.connect };
  const local = await LocalOrchestrator.start({
    context: {
      instanceIds: SAMPLE_INSTANCE_ID,
      transferRatePerSecond: String(options.rate),
      functionTimeoutSeconds: String(functionTimeoutSeconds),
      maxReceiveCount: String(options.maxReceiveCount),
      transferCap: String(options.cap),
      tokenReplayWindowSeconds: '5',
      ...options.context,
    },
    simulator: { ratePerSecond: options.rate, burst: 5, seed: options.seed, ...connectOptions },
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
    `Stack: rate ${options.rate}/s, timeout ${functionTimeoutSeconds} s, maxReceiveCount ${options.maxReceiveCount}, maxConcurrency ${local.model.worker.eventSource.maxConcurrency}, cap ${options.cap}\n` +
      `Connect: contact ids ${connectOptions.contactIdMode === 'keep' ? 'kept' : `new (${Math.round((connectOptions.keepIdShare ?? 0) * 100)} % kept)`}, ${connectOptions.checkOrder ?? 'state-first'} checks, token memory ${connectOptions.tokenWindowMs === undefined ? '7 days' : `${connectOptions.tokenWindowMs / 1000} s`}\n`,
  );
  local.connect.injectFaults(options.connectFaults ?? {});

  const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
  const dynamodb = new DynamoDBClient({ endpoint: local.dynamodb.endpoint });
  const started = Date.now();
  const deadline = started + options.timeoutSeconds * 1000;
  let remaining = options.workload.items.length;
  const tick = (sentCount: number) => (left: number) =>
    options.onProgress?.({
      done: Math.max(0, sentCount - left),
      total: sentCount,
      remaining: left,
      elapsedSeconds: (Date.now() - started) / 1000,
    });

  // Chaos: while the simulator holds a call (before or after it acted), sometimes kill an environment.
  let kills = 0;
  let killing = true;
  const killer = (async () => {
    const random = seededRandom(options.seed + 1);
    let lastKill = 0;
    while (killing && options.killWhileHeldRate) {
      await sleep(50);
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

  const { sent, kinds } = await sendRounds(sqs, local, options.workload, options.rate, options.seed);
  log(`Enqueued ${sent.size} requests: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  remaining = await drain(sqs, local, deadline, tick(sent.size));
  const elapsedSeconds = (Date.now() - started) / 1000;

  const deadLetters = await takeDeadLetters(sqs, local.deadLetterQueueUrl);
  const callsBefore = local.connect.calls.length;
  const invariants = checkInvariants({
    sent,
    deleted,
    deadLetters,
    stillQueued: remaining,
    calls: [...local.connect.calls],
    transfersPerChain: new Map(local.connect.transfersPerChain()),
    ...(await readLedger(dynamodb, local.ledgerTableName)),
    cap: options.cap,
  });

  let redrive: RedriveReport | undefined;
  if (options.redrive) {
    redrive = await redrivePhase();
  }
  killing = false;
  await killer;

  const calls = [...local.connect.calls];
  const newContactIds = local.connect
    .snapshot()
    .contacts.filter((contact) => contact.initiationMethod === 'TRANSFER').length;
  const dynamodbRequests = new Map(local.dynamodbProxy?.counts ?? []);
  const dynamodbFaultsInjected = new Map(local.dynamodbProxy?.injected ?? []);
  await local.stop();

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
    newContactIds,
    redrive,
  };

  /** The world after Connect forgot every token and the idempotency records expired: redrive, resend, drain. */
  async function redrivePhase(): Promise<RedriveReport> {
    local.connect.advanceClock(8 * 86_400_000);
    await expireIdempotencyRecords(dynamodb, local.idempotencyTableName);
    const phaseSent = await redriveDeadLetters(sqs, deadLetters, local.deadLetterQueueUrl, local.queueUrl);
    const redriven = phaseSent.size;
    // Producers send some requests that transferred again: each must be answered from the ledger.
    const transferredTokens = new Set(
      local.connect.calls.filter((c) => c.transferred).map((c) => String(c.input.ClientToken ?? '')),
    );
    const resendable = [...sent.values()].filter((body) => {
      const parsed = parseTransferRequest(body, { messageId: 'resend' });
      return parsed.ok && transferredTokens.has(parsed.value.request.ClientToken);
    });
    const random = seededRandom(options.seed + 3);
    const resend = resendable.filter(() => random() < 0.25);
    for (const body of resend) {
      const { MessageId } = await sqs.send(
        new SendMessageCommand({ QueueUrl: local.queueUrl, MessageBody: body }),
      );
      if (MessageId) phaseSent.set(MessageId, body);
    }
    log(
      `Redrive phase: Connect's clock +8 days, idempotency records expired, ${redriven} redriven with new ids, ${resend.length} transferred requests sent again\n`,
    );
    const left = await drain(sqs, local, deadline, tick(phaseSent.size));
    const phaseDead = await takeDeadLetters(sqs, local.deadLetterQueueUrl);
    const phaseCalls = local.connect.calls.slice(callsBefore);
    return {
      redriven,
      resent: resend.length,
      newTransfers: phaseCalls.filter((c) => c.transferred).length,
      drained: left === 0,
      invariants: checkInvariants({
        sent: phaseSent,
        deleted,
        deadLetters: phaseDead,
        stillQueued: left,
        calls: [...local.connect.calls],
        transfersPerChain: new Map(local.connect.transfersPerChain()),
        ...(await readLedger(dynamodb, local.ledgerTableName)),
        cap: options.cap,
      }),
    };
  }
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
    ['ambiguous (for a person, slot kept)', get('AmbiguousTransfer')],
    ['retried (transient)', get('RetryScheduled')],
    ['retries exhausted', get('RetriesExhausted')],
    ['sent back (throttled on last delivery)', get('Requeued')],
    ['in the DLQ', report.deadLetters.length],
    ['Connect calls', transferCalls.length],
    [
      '  refused "not active" (state-first)',
      transferCalls.filter((c) => /not active/.test(c.errorMessage ?? '')).length,
    ],
    [
      'DescribeContact / contact-tree reads',
      report.calls.filter((c) => c.operation !== 'TransferContact').length,
    ],
    ['contacts a transfer started (new ids)', report.newContactIds],
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
      // SQS moves a message under its own id; a redriven one may still carry its earlier trip's attributes.
      report.sent.has(dead.messageId) || !dead.attributes.ErrorClass
        ? 'moved there by SQS itself / -'
        : `${dead.attributes.ErrorClass} / ${dead.attributes.ErrorCode ?? '-'}`,
    );
  const redrive = report.redrive;
  const failed =
    report.invariants.filter((r) => !r.ok).length + (redrive?.invariants.filter((r) => !r.ok).length ?? 0);
  return [
    '\nSummary',
    ...rows.map(([k, v]) => `  ${k.padEnd(40)} ${String(v).padStart(6)}`),
    '\nIn the DLQ, by reason',
    ...([...byReason].sort().map(([k, v]) => `  ${k.padEnd(52)} ${String(v).padStart(4)}`) || []),
    ...(byReason.size === 0 ? ['  (empty)'] : []),
    "\nInvariants (docs/DESIGN.md), from the engines' own state",
    ...report.invariants.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`),
    ...(redrive
      ? [
          `\nAfter Connect forgot every token (+8 days) and the idempotency records expired: ${redrive.redriven} redriven from the DLQ with new message ids, ${redrive.resent} transferred requests sent again, ${redrive.newTransfers} new transfers${redrive.drained ? '' : ' (did not drain)'}`,
          ...redrive.invariants.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`),
        ]
      : []),
    `\n${!report.drained || (redrive && !redrive.drained) ? 'The queue did not drain in time. ' : ''}${failed === 0 ? 'All invariants hold.' : `${failed} invariant(s) failed.`}\n`,
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
  let finished = '';
  return ({ done, total, remaining, elapsedSeconds }) => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} done, ${remaining} queued or retrying, ${Math.round(elapsedSeconds)} s`;
    // A finished bar is printed once, however many quiet ticks follow it.
    const key = `${done}/${total}`;
    if (remaining === 0 && finished === key) return;
    if (remaining === 0) finished = key;
    // Clear the whole line first: a shorter line must not leave the end of a longer one behind.
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}${remaining === 0 ? '\n' : ''}`);
    else if (Date.now() - lastLine > 5_000 || remaining === 0) {
      process.stdout.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
}
