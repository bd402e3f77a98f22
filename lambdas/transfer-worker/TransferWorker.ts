import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  HELD_FOR_SLOT_METRIC,
  MAX_REASON_CHARS,
  OUTCOME_EVENT_VERSION,
  PACING_RATE_METRIC,
} from '../../src/contract/index.js';
import {
  classifyFailure,
  type DeadLetterEvent,
  type DeadLetterState,
  Disposition,
  deadLetterReason,
  deadLetterSteps,
  decideDisposition,
  type Failure,
  InstanceNotAllowedError,
  InvalidRequestError,
  nextDeadLetterState,
  Outcome,
  outcomeOfFailure,
  retryDelaySeconds,
  TransferNotSettledError,
} from '../../src/domain/index.js';
import { outcomeRequestOf, type TransferFailedDetail } from '../../src/events/outcomeEvents.js';
import {
  clientTokenOfBody,
  parseTransferRequest,
  requestFingerprint,
  type TransferRequest,
} from '../../src/request/index.js';
import { INVALID_REQUEST_FINGERPRINT } from '../../src/status/transferStatus.js';
import { passedOnTraceHeader } from '../../src/tracing/traceHeader.js';
import type { WorkerConfig } from './config.js';
import type { IdempotentTransfer } from './idempotentTransfer.js';
import type { RejectionLedger } from './ledger/RejectionLedger.js';
import type { TransferLedger } from './ledger/TransferLedger.js';
import type { OutcomePublisher } from './OutcomePublisher.js';
import type { Pacing, ScheduledTurn } from './pacing/index.js';
import {
  type CopyFacts,
  copyFactsOf,
  type DeadLetterQueue,
  type QueueHold,
  type RequeueSender,
  type RetryScheduler,
} from './queue/index.js';
import { inRecordTrace } from './tracing/recordTrace.js';

/** What the worker is wired with. */
export interface TransferWorkerDependencies {
  readonly config: WorkerConfig;
  readonly transfer: IdempotentTransfer;
  readonly deadLetters: DeadLetterQueue;
  /** Sends a request throttled on its last allowed delivery back to the queue. */
  readonly requeue: RequeueSender;
  /** Where rejections are recorded for `transfer-contact status`. */
  readonly rejections: Pick<RejectionLedger, 'recordDeadLetter' | 'recordRejection' | 'readDeadLetters'>;
  /** Brings a record to be retried back in seconds rather than after the whole visibility timeout. */
  readonly retries: RetryScheduler;
  /** Whether a token transferred (its durable record), read before an announce-only copy announces. */
  readonly tokens?: Pick<TransferLedger, 'hasTransferred'>;
  /** Publishes each request's outcome event (a no-op when outcome events are off). */
  readonly outcomes: OutcomePublisher;
  /**
   * The worker's pacing: it admits each batch (run now, or hold until a slot) and gives the rate it paces
   * to (a metric per invocation, a log line when it moves).
   */
  readonly pacing?: Pick<Pacing, 'admit' | 'rate'>;
  /**
   * The queue that holds a request until its slot. Without it (fixed pacing, or copies that cannot be told
   * from a producer's messages) every record waits for its turn in the function.
   */
  readonly hold?: Pick<QueueHold, 'send'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The SQS-triggered Lambda handler. */
export type TransferWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the worker's handler: each record is parsed, checked against the allowed instances, and
 * transferred at most once per token; permanent failures go to the DLQ with their reason and leave the
 * source queue; transient ones are reported as batch item failures, so one record never fails another.
 *
 * @example
 * export const handler = createTransferWorker({ config, transfer, deadLetters, requeue, rejections, logger, metrics });
 */
export function createTransferWorker(deps: TransferWorkerDependencies): TransferWorkerHandler {
  const { config, transfer, logger, metrics } = deps;

  /** Step 1: check the record; step 2: transfer it (at its slot, if it has one); on failure, step 3: decide where it goes. */
  const handleRecord = async (
    record: SQSRecord,
    received: ReceivedRecord,
    turn: ScheduledTurn | undefined,
    earlierDeadLetters: BatchDeadLetterRecords,
  ): Promise<void> => {
    // A copy kept only to announce a dead letter never runs, and is never dead-lettered itself.
    if (received.facts.deadLetteredAs) return announceFromCopy(deps, record, received, earlierDeadLetters);
    try {
      // A message once dead-lettered never runs again: it only finishes its dead letter and announces it.
      const settled = await finishEarlierDeadLetter(deps, record, received, earlierDeadLetters);
      if (settled) return;
      const request = checkedRequest(received);
      const result = await transfer.run(request, turn);
      await announceCompleted(deps, received, request, result);
    } catch (error) {
      await handleFailure(deps, record, received, error);
    }
  };

  return async (event, context) => {
    transfer.registerContext(context);
    logger.addContext(context);
    try {
      const now = Date.now();
      const received = new Map(
        event.Records.map((record) => [record.messageId, readRecord(record, config, now)]),
      );
      const earlierDeadLetters = await readDeadLetterRecords(deps, event.Records, received);
      const fresh = event.Records.filter((record) => !earlierDeadLetters.asked.has(record.messageId));
      const turns = await holdForSlots(deps, fresh, received);
      const toRun = event.Records.filter(
        (record) => turns.has(record.messageId) || earlierDeadLetters.asked.has(record.messageId),
      );
      // A processor keeps one batch's state: one per invocation, so concurrent invocations in one process
      // (the local runner, tests) never mix their results.
      return await processPartialResponse(
        { ...event, Records: toRun },
        (record: SQSRecord) =>
          // Every call made for the record carries its producer's trace (tracing/recordTrace.ts).
          inRecordTrace(passedOnTraceHeader(record.attributes?.AWSTraceHeader), () =>
            handleRecord(
              record,
              received.get(record.messageId) ?? readRecord(record, config, Date.now()),
              turns.get(record.messageId),
              earlierDeadLetters,
            ),
          ),
        new BatchProcessor(EventType.SQS),
        {
          context,
          // A batch where every record failed transiently is still answered per record, never thrown.
          throwOnFullBatchFailure: false,
        },
      );
    } finally {
      reportPacing(deps);
      metrics.publishStoredMetrics();
    }
  };
}

/** Publishes a transfer's outcome; a failure here leaves the transfer to settle later, never a failure. */
async function announceCompleted(
  deps: TransferWorkerDependencies,
  received: ReceivedRecord,
  request: TransferRequest,
  result: Awaited<ReturnType<IdempotentTransfer['run']>>,
): Promise<void> {
  const { metrics, logger } = deps;
  try {
    // Published before the record is acknowledged: a failed put retries the record (which replays).
    await deps.outcomes.completed({
      version: OUTCOME_EVENT_VERSION,
      ClientToken: request.ClientToken,
      Request: outcomeRequestOf(request),
      ContactId: result.ContactId,
      ContactArn: result.ContactArn,
      Replayed: result.replayed,
      ...(result.settledBy && { SettledBy: result.settledBy }),
      Attempts: received.receiveCount,
      LatencyMs: Math.max(0, Date.now() - received.facts.firstSentAt),
      MessageId: received.facts.originalMessageId,
    });
  } catch (error) {
    throw new TransferNotSettledError(result, { cause: error });
  }
  const outcome = result.replayed ? Outcome.Duplicate : Outcome.Transferred;
  metrics.addMetric(outcome, MetricUnit.Count, 1);
  logger.info('transfer outcome', {
    ...received.logFacts,
    outcome,
    // The contact's ARN is the instance's and this id: the outcome event carries it, the line need not.
    transferredContactId: result.ContactId,
    ...(result.settledBy && { settledBy: result.settledBy }),
  });
}

/** The dead-letter records a batch asked for: by message id, or the error that kept them from being read. */
interface BatchDeadLetterRecords {
  /** Records whose dead-letter record was asked for (redeliveries, and copies kept only to announce one). */
  readonly asked: ReadonlySet<string>;
  /** The records found (never `absent`). */
  readonly found: ReadonlyMap<string, DeadLetterState>;
  readonly error?: unknown;
}

/**
 * Reads the dead-letter earlierDeadLetters of the records that may have been dead-lettered before: every redelivery
 * (a first delivery never was), and every copy kept to announce a dead letter. One read per batch, none on
 * first deliveries.
 */
async function readDeadLetterRecords(
  deps: TransferWorkerDependencies,
  records: readonly SQSRecord[],
  received: ReadonlyMap<string, ReceivedRecord>,
): Promise<BatchDeadLetterRecords> {
  const asked = new Set<string>();
  const ids = new Set<string>();
  for (const record of records) {
    const read = received.get(record.messageId);
    const announces = read?.facts.deadLetteredAs;
    if (announces) {
      asked.add(record.messageId);
      // A copy made before copies carried their reason finds it in the dead-letter record.
      if (!read?.facts.announces) ids.add(announces);
    } else if ((read?.receiveCount ?? 1) > 1) {
      asked.add(record.messageId);
      ids.add(record.messageId);
    }
  }
  if (ids.size === 0) return { asked, found: new Map() };
  try {
    return { asked, found: await deps.rejections.readDeadLetters([...ids]) };
  } catch (error) {
    return { asked, found: new Map(), error };
  }
}

/**
 * Finishes what an earlier delivery of this message started, if it dead-lettered it (or the record is a copy
 * kept only to announce a dead letter): the DLQ send if it never finished, then the `Failed` event. Returns
 * whether the record is thereby settled (it must not run).
 */
async function finishEarlierDeadLetter(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  received: ReceivedRecord,
  earlierDeadLetters: BatchDeadLetterRecords,
): Promise<boolean> {
  if (!earlierDeadLetters.asked.has(record.messageId)) return false;
  if (earlierDeadLetters.error) throw earlierDeadLetters.error;
  const state = earlierDeadLetters.found.get(record.messageId);
  if (!state || state.kind === 'absent') return false;
  deps.logger.info('already dead-lettered', { messageId: record.messageId, state: state.kind });
  await deadLetter(deps, record, state.failure, received, state);
  return true;
}

/**
 * Sends the records whose slot is far back to wait in the queue (acknowledged here: they are new messages
 * now), and returns the records to run in this invocation, each with the slot it waits for (if any). A record
 * whose send failed runs now, paced in the function.
 */
async function holdForSlots(
  deps: TransferWorkerDependencies,
  records: readonly SQSRecord[],
  received: ReadonlyMap<string, ReceivedRecord>,
): Promise<Map<string, ScheduledTurn | undefined>> {
  const { pacing, hold, metrics, logger } = deps;
  if (!pacing || !hold) return new Map(records.map((record) => [record.messageId, undefined]));
  const plan = await pacing.admit(
    records.map((record) => {
      const read = received.get(record.messageId);
      const request = read?.request;
      return {
        record,
        facts: read?.facts ?? copyFactsOf(record, undefined, Date.now()),
        clientToken: request?.ClientToken,
        schedulable: request !== undefined && read?.instanceAllowed === true && read.receiveCount === 1,
      };
    }),
  );
  const turns = new Map(plan.run);
  if (plan.hold.length === 0) return turns;
  const held = await hold.send(plan.hold);
  for (const request of plan.hold) {
    if (!held.has(request.record.messageId)) turns.set(request.record.messageId, undefined);
  }
  metrics.addMetric(HELD_FOR_SLOT_METRIC, MetricUnit.Count, held.size);
  logger.debug('held for slots', {
    held: held.size,
    notHeld: plan.hold.length - held.size,
    delaysSeconds: plan.hold.map((request) => request.delaySeconds),
  });
  return turns;
}

/** A record as the worker reads it: its delivery count, its parsed request (or why not) and its log facts. */
interface ReceivedRecord {
  readonly receiveCount: number;
  readonly parsed: ReturnType<typeof parseTransferRequest>;
  readonly request: TransferRequest | undefined;
  /** The request's token, or an invalid body's own token (for `status` and the DLQ attribute). */
  readonly clientToken: string | undefined;
  /** What its copy attributes say, believed only on the worker's own copies. */
  readonly facts: CopyFacts;
  readonly logFacts: Readonly<Record<string, unknown>>;
  /** Whether its request names an instance the worker may touch (checked here, once). */
  readonly instanceAllowed: boolean;
}

/**
 * The room a request leaves in the queue's maximum message size for the attributes of the worker's copies
 * (slot, count, token, reason). A `TransferContact` input is well under 2 KB; a body padded near the maximum
 * would make its copies lose the attributes that say what to do with them.
 */
const COPY_ROOM_BYTES = 2_048;

function readRecord(record: SQSRecord, config: WorkerConfig, now: number): ReceivedRecord {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const bytes = Buffer.byteLength(record.body ?? '', 'utf8');
  const parsed: ReturnType<typeof parseTransferRequest> =
    bytes > config.maxMessageBytes - COPY_ROOM_BYTES
      ? {
          ok: false,
          rejection: {
            message: `the message is ${bytes} bytes: a request must leave ${COPY_ROOM_BYTES} bytes of the queue's ${config.maxMessageBytes} for the worker's attributes`,
            issues: [`body: ${bytes} bytes, at most ${config.maxMessageBytes - COPY_ROOM_BYTES}`],
          },
        }
      : parseTransferRequest(record.body ?? '', {
          messageId: record.messageId,
          clientTokenAttribute: record.messageAttributes?.ClientToken?.stringValue,
        });
  const request = parsed.ok ? parsed.value.request : undefined;
  const clientToken = request?.ClientToken ?? clientTokenOfBody(record.body ?? '');
  return {
    receiveCount,
    parsed,
    request,
    clientToken,
    instanceAllowed: request !== undefined && config.allowedInstanceIds.has(request.InstanceId),
    facts: copyFactsOf(record, config.workerRoleId, now),
    logFacts: {
      messageId: record.messageId,
      attempt: receiveCount,
      instanceId: request?.InstanceId,
      contactId: request?.ContactId,
      clientToken,
      tokenOrigin: parsed.ok ? parsed.value.tokenOrigin : undefined,
    },
  };
}

/** The valid request of a record, on an allowed instance; else the error that dead-letters it. */
function checkedRequest(received: ReceivedRecord): TransferRequest {
  const { parsed } = received;
  if (!parsed.ok)
    throw new InvalidRequestError(parsed.rejection.message, { issues: parsed.rejection.issues });
  const request = parsed.value.request;
  if (!received.instanceAllowed) throw new InstanceNotAllowedError(request.InstanceId);
  return request;
}

/**
 * Where a failed record goes (a pure decision), then there: thrown back for SQS to retry, sent back to the
 * queue (throttled on its last delivery), or dead-lettered with its reason.
 */
async function handleFailure(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  received: ReceivedRecord,
  error: unknown,
): Promise<void> {
  const { config, logger, metrics } = deps;
  const failure = classifyFailure(error);
  const disposition = decideDisposition(failure, {
    receiveCount: received.receiveCount,
    maxReceiveCount: config.maxReceiveCount,
    requeues: received.facts.requeues,
    requeueLimit: config.requeueLimit,
  });
  const outcome = outcomeOfFailure(failure, disposition);
  metrics.addMetric(outcome, MetricUnit.Count, 1);
  const log = {
    ...received.logFacts,
    outcome,
    errorClass: failure.errorClass,
    errorCode: failure.code,
    errorMessage: failure.message,
  };
  if (disposition === Disposition.Retry) {
    const retryInSeconds = retryDelaySeconds(failure, received.receiveCount);
    logger.warn('transfer outcome', { ...log, ...(retryInSeconds !== undefined && { retryInSeconds }) });
    if (retryInSeconds !== undefined) await deps.retries.retryIn(record, retryInSeconds);
    throw error;
  }
  if (disposition === Disposition.Requeue && received.request) {
    logger.warn('transfer outcome', { ...log, requeues: received.facts.requeues + 1 });
    // Sent back first, then acknowledged: if the send fails the record stays in the queue.
    await deps.requeue.send(record, received.request.ClientToken, received.facts);
    return;
  }
  logger.error('transfer outcome', log);
  await deadLetter(deps, record, deadLetterReason(failure), received, undefined);
}

/**
 * Sends a record to the DLQ once, then announces it, as the message's dead-letter record's states lead
 * (`src/domain/deadLetterRecord.ts`): the decision and its reason are recorded first (`dead-lettering`), the
 * token's rejection and the DLQ send follow, then `sent` (`dead-lettered`), then the `Failed` event. If a
 * step fails the record is reported as failed (SQS keeps it, nothing is lost); when it comes back its
 * dead-letter record, read before anything runs, finishes the same dead letter instead of running the
 * request again. On the last delivery nothing comes back: the records are then best effort, and a DLQ send
 * that fails leaves the message to SQS, which moves it to the DLQ itself (so it is announced first).
 */
async function deadLetter(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  failure: Failure,
  received: ReceivedRecord,
  earlier: DeadLetterState | undefined,
): Promise<void> {
  const { rejections, logger } = deps;
  const { clientToken } = received;
  const last = received.receiveCount >= deps.config.maxReceiveCount;
  const bestEffortOnLast = async <T>(step: string, write: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      if (!last) throw error;
      logger.warn(`${step} not written on the last delivery`, { ...received.logFacts, error: String(error) });
      return fallback;
    }
  };
  const decide: DeadLetterEvent = { kind: 'decide', failure };
  const state =
    earlier ??
    (await bestEffortOnLast(
      'dead-letter record',
      () => rejections.recordDeadLetter(record.messageId, decide),
      nextDeadLetterState({ kind: 'absent' }, decide),
    ));
  // Never absent after a decision (the write returns what it wrote): a state that says otherwise must not
  // acknowledge the record unsent and unannounced.
  if (state.kind === 'absent') throw new Error(`dead letter of ${record.messageId} not recorded`);
  const reason = state.failure;
  if (deadLetterSteps(state).send) {
    if (clientToken) {
      const rejection = {
        errorClass: reason.errorClass,
        errorCode: reason.code,
        errorMessage: reason.message,
        failedAt: new Date().toISOString(),
        messageId: record.messageId,
        // Whose rejection it is: status and waits take it only for the same request.
        fingerprint: received.request ? requestFingerprint(received.request) : INVALID_REQUEST_FINGERPRINT,
      };
      await bestEffortOnLast(
        'rejection record',
        () => rejections.recordRejection(clientToken, rejection),
        undefined,
      );
    }
    try {
      await deps.deadLetters.send(record, reason, clientToken, received.facts);
    } catch (error) {
      if (!last) throw error;
      await deps.outcomes.failed(failedDetail(record, reason, received)).catch(() => undefined);
      throw error;
    }
    try {
      await rejections.recordDeadLetter(record.messageId, { kind: 'sent' });
    } catch (error) {
      // The message is in the DLQ: acknowledging it is right; only a later return could then send it again.
      logger.warn('dead-letter record not flagged sent', {
        messageId: record.messageId,
        error: String(error),
      });
    }
  }
  if (deadLetterSteps(state).announce) await announceFailed(deps, record, reason, received, record.messageId);
}

/**
 * Publishes a dead letter's `Failed` event. If the bus refuses it on the message's last delivery, a copy is
 * sent back that only announces (carrying the reason; it never runs): SQS would otherwise move the message
 * to the DLQ a second time, unannounced.
 */
async function announceFailed(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  failure: Failure,
  received: ReceivedRecord,
  deadLetteredAs: string,
): Promise<void> {
  try {
    await deps.outcomes.failed(failedDetail(record, failure, received));
  } catch (error) {
    await announceLater(deps, record, failure, received, deadLetteredAs, error);
  }
}

/** On the last delivery, sends back a copy that only announces; before it, the record is retried. */
async function announceLater(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  failure: Failure,
  received: ReceivedRecord,
  deadLetteredAs: string,
  error: unknown,
): Promise<void> {
  if (received.receiveCount < deps.config.maxReceiveCount) throw error;
  deps.logger.warn('failed event not published: sent back to announce later', {
    ...received.logFacts,
    deadLetteredAs,
    error: String(error),
  });
  await deps.requeue.send(record, received.clientToken, received.facts, {
    announce: { deadLetteredAs, failure },
  });
}

/**
 * Handles a copy kept only to announce a dead letter: publishes its `Failed` event with the reason it
 * carries, unless the token transferred since (a redrive or a new send of the same request: its `Completed`
 * stands and a later `Failed` would contradict it). It never runs the request and is never dead-lettered:
 * what fails is retried, and on the last delivery sent back again.
 */
async function announceFromCopy(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  received: ReceivedRecord,
  earlierDeadLetters: BatchDeadLetterRecords,
): Promise<void> {
  const deadLetteredAs = received.facts.deadLetteredAs ?? record.messageId;
  const found = earlierDeadLetters.found.get(deadLetteredAs);
  const failure = received.facts.announces ?? (found?.kind === 'absent' ? undefined : found?.failure);
  if (!failure) {
    if (earlierDeadLetters.error) throw earlierDeadLetters.error;
    deps.logger.warn('nothing to announce: no reason carried or recorded', {
      ...received.logFacts,
      deadLetteredAs,
    });
    return;
  }
  try {
    const { request } = received;
    if (request && (await deps.tokens?.hasTransferred(request.ClientToken, requestFingerprint(request)))) {
      deps.logger.info('not announced: the token transferred since', {
        ...received.logFacts,
        deadLetteredAs,
      });
      return;
    }
    await deps.outcomes.failed(failedDetail(record, failure, received));
  } catch (error) {
    await announceLater(deps, record, failure, received, deadLetteredAs, error);
  }
}

/** The longest raw body a `Transfer Contact Failed` event repeats (an event may carry 256 KB in all). */
const MAX_EVENT_BODY_CHARS = 8_000;

/** The `Transfer Contact Failed` detail of a dead-lettered record. */
function failedDetail(record: SQSRecord, failure: Failure, received: ReceivedRecord): TransferFailedDetail {
  return {
    version: OUTCOME_EVENT_VERSION,
    ...(received.clientToken && { ClientToken: received.clientToken }),
    ...(received.request
      ? { Request: outcomeRequestOf(received.request) }
      : { Body: (record.body ?? '').slice(0, MAX_EVENT_BODY_CHARS) }),
    ErrorClass: failure.errorClass,
    ErrorCode: failure.code,
    ErrorMessage: failure.message.slice(0, MAX_REASON_CHARS),
    Destination: 'DLQ',
    Attempts: received.receiveCount,
    MessageId: received.facts.originalMessageId,
  };
}

/** The rate last reported, per process: a log line only when it moved by more than 5 %. */
let reportedRate = 0;

/** The deployment's pacing rate as this worker sees it: a metric each invocation, a log line when it moves. */
function reportPacing({ pacing, metrics, logger }: TransferWorkerDependencies): void {
  if (!pacing) return;
  const rate = Math.round(pacing.rate * 1000) / 1000;
  metrics.addMetric(PACING_RATE_METRIC, MetricUnit.CountPerSecond, rate);
  if (Math.abs(rate - reportedRate) > reportedRate * 0.05) {
    logger.info('pacing rate', { pacingRate: rate });
    reportedRate = rate;
  }
}
