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
  Disposition,
  decideDisposition,
  type Failure,
  InstanceNotAllowedError,
  InvalidRequestError,
  Outcome,
  outcomeOfFailure,
  retryDelaySeconds,
} from '../../src/domain/index.js';
import { outcomeRequestOf, type TransferFailedDetail } from '../../src/events/outcomeEvents.js';
import { clientTokenOfBody, parseTransferRequest, type TransferRequest } from '../../src/request/index.js';
import type { Pacer } from './AdaptivePacer.js';
import { planBatch } from './batchSchedule.js';
import type { WorkerConfig } from './config.js';
import type { DeadLetterQueue } from './DeadLetterQueue.js';
import type { IdempotentTransfer, ScheduledTurn } from './idempotentTransfer.js';
import type { OutcomePublisher } from './OutcomePublisher.js';
import type { QueueHold } from './QueueHold.js';
import type { RejectionLedger } from './RejectionLedger.js';
import { firstSentAtOf, originalMessageIdOf, type RequeueSender, requeuesOf } from './RequeueSender.js';
import type { RetryScheduler } from './RetryScheduler.js';
import type { SharedSchedule } from './SharedSchedule.js';

/** What the worker is wired with. */
export interface TransferWorkerDependencies {
  readonly config: WorkerConfig;
  readonly transfer: IdempotentTransfer;
  readonly deadLetters: DeadLetterQueue;
  /** Sends a request throttled on its last allowed delivery back to the queue. */
  readonly requeue: RequeueSender;
  /** Where rejections are recorded for `transfer-contact status`. */
  readonly rejections: Pick<RejectionLedger, 'beginDeadLetter' | 'finishDeadLetter' | 'recordRejection'>;
  /** Brings a record to be retried back in seconds rather than after the whole visibility timeout. */
  readonly retries: RetryScheduler;
  /** Publishes each request's outcome event (a no-op when outcome events are off). */
  readonly outcomes: OutcomePublisher;
  /**
   * The deployment's schedule, and the queue that holds a request until its slot. Without them (fixed
   * pacing) every record waits for its turn in the function.
   */
  readonly schedule?: { readonly slots: SharedSchedule; readonly hold: Pick<QueueHold, 'send'> };
  /** The pacer, for the rate it paces to (a metric per invocation, a log line when it moves). */
  readonly pacer?: Pick<Pacer, 'rate'>;
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
  ): Promise<void> => {
    try {
      const request = checkedRequest(received, config);
      const result = await transfer.run(request, turn);
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
        LatencyMs: Math.max(0, Date.now() - received.firstSentAt),
        MessageId: originalMessageIdOf(record),
      });
      const outcome = result.replayed ? Outcome.Duplicate : Outcome.Transferred;
      metrics.addMetric(outcome, MetricUnit.Count, 1);
      logger.info('transfer outcome', {
        ...received.facts,
        outcome,
        // The contact's ARN is the instance's and this id: the outcome event carries it, the line need not.
        transferredContactId: result.ContactId,
        ...(result.settledBy && { settledBy: result.settledBy }),
      });
    } catch (error) {
      await handleFailure(deps, record, received, error);
    }
  };

  return async (event, context) => {
    transfer.registerContext(context);
    logger.addContext(context);
    try {
      const received = new Map(event.Records.map((record) => [record.messageId, readRecord(record)]));
      const turns = await holdForSlots(deps, event.Records, received);
      const toRun = event.Records.filter((record) => turns.has(record.messageId));
      // A processor holds one batch's state: one per invocation, so concurrent invocations in one process
      // (the local runner, tests) never mix their results.
      return await processPartialResponse(
        { ...event, Records: toRun },
        (record: SQSRecord) =>
          handleRecord(
            record,
            received.get(record.messageId) ?? readRecord(record),
            turns.get(record.messageId),
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
  const { schedule, config, metrics, logger } = deps;
  if (!schedule) return new Map(records.map((record) => [record.messageId, undefined]));
  const plan = await planBatch(
    records.map((record) => {
      const read = received.get(record.messageId);
      const request = read?.request;
      return {
        record,
        clientToken: request?.ClientToken,
        schedulable:
          request !== undefined &&
          config.allowedInstanceIds.has(request.InstanceId) &&
          (read?.receiveCount ?? 1) === 1,
      };
    }),
    schedule.slots,
    { now: Date.now, random: Math.random },
  );
  const turns = new Map(plan.run);
  if (plan.hold.length === 0) return turns;
  const held = await schedule.hold.send(plan.hold);
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
  readonly facts: Readonly<Record<string, unknown>>;
  /** When the request first reached the queue (ms): its first send, carried across requeues. */
  readonly firstSentAt: number;
}

function readRecord(record: SQSRecord): ReceivedRecord {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const parsed = parseTransferRequest(record.body ?? '', {
    messageId: record.messageId,
    clientTokenAttribute: record.messageAttributes?.ClientToken?.stringValue,
  });
  const request = parsed.ok ? parsed.value.request : undefined;
  const clientToken = request?.ClientToken ?? clientTokenOfBody(record.body ?? '');
  return {
    receiveCount,
    firstSentAt: firstSentAtOf(record),
    parsed,
    request,
    clientToken,
    facts: {
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
function checkedRequest(received: ReceivedRecord, config: WorkerConfig): TransferRequest {
  const { parsed } = received;
  if (!parsed.ok)
    throw new InvalidRequestError(parsed.rejection.message, { issues: parsed.rejection.issues });
  const request = parsed.value.request;
  if (!config.allowedInstanceIds.has(request.InstanceId))
    throw new InstanceNotAllowedError(request.InstanceId);
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
    requeues: requeuesOf(record),
    requeueLimit: config.requeueLimit,
  });
  const outcome = outcomeOfFailure(failure, disposition);
  metrics.addMetric(outcome, MetricUnit.Count, 1);
  const log = {
    ...received.facts,
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
    logger.warn('transfer outcome', { ...log, requeues: requeuesOf(record) + 1 });
    // Sent back first, then acknowledged: if the send fails the record stays in the queue.
    await deps.requeue.send(record, received.request.ClientToken);
    return;
  }
  logger.error('transfer outcome', log);
  await deadLetter(deps, record, failure, received);
}

/**
 * Sends a record to the DLQ exactly once. A per-message marker is written first and flagged once the DLQ has
 * the message: if a write fails the record is reported as failed, so SQS keeps it (nothing is lost); if the
 * batch comes back after a crash, a record already dead-lettered is acknowledged, not sent again.
 */
async function deadLetter(
  deps: TransferWorkerDependencies,
  record: SQSRecord,
  failure: Failure,
  received: ReceivedRecord,
): Promise<void> {
  const { rejections, logger } = deps;
  const { clientToken } = received;
  // The outcome event goes out after the DLQ has the message, and again if the record comes back.
  const publish = () => deps.outcomes.failed(failedDetail(record, failure, received));
  if ((await rejections.beginDeadLetter(record.messageId)) === 'already-sent') {
    logger.info('already dead-lettered', { messageId: record.messageId });
    await publish();
    return;
  }
  if (clientToken) {
    await rejections.recordRejection(clientToken, {
      errorClass: failure.errorClass,
      errorCode: failure.code,
      errorMessage: failure.message,
      failedAt: new Date().toISOString(),
      messageId: record.messageId,
    });
  }
  await deps.deadLetters.send(record, failure, clientToken);
  try {
    await rejections.finishDeadLetter(record.messageId);
  } catch (error) {
    // The message is in the DLQ: acknowledging it is right; only a later crash could then repeat it.
    logger.warn('dead-letter marker not flagged', { messageId: record.messageId, error: String(error) });
  }
  await publish();
}

/** The longest raw body a `Transfer Contact Failed` event repeats (an event may hold 256 KB in all). */
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
    MessageId: originalMessageIdOf(record),
  };
}

/** The rate last reported, per process: a log line only when it moved by more than 5 %. */
let reportedRate = 0;

/** The deployment's pacing rate as this worker sees it: a metric each invocation, a log line when it moves. */
function reportPacing({ pacer, metrics, logger }: TransferWorkerDependencies): void {
  if (!pacer) return;
  const rate = Math.round(pacer.rate * 1000) / 1000;
  metrics.addMetric(PACING_RATE_METRIC, MetricUnit.CountPerSecond, rate);
  if (Math.abs(rate - reportedRate) > reportedRate * 0.05) {
    logger.info('pacing rate', { pacingRate: rate });
    reportedRate = rate;
  }
}
