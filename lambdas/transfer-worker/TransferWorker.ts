import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  classifyFailure,
  Disposition,
  decideDisposition,
  type Failure,
  InstanceNotAllowedError,
  InvalidRequestError,
  Outcome,
  outcomeOfFailure,
} from '../../src/domain/index.js';
import { clientTokenOfBody, parseTransferRequest, type TransferRequest } from '../../src/request/index.js';
import type { WorkerConfig } from './config.js';
import type { DeadLetterQueue } from './DeadLetterQueue.js';
import type { IdempotentTransfer } from './idempotentTransfer.js';
import type { RejectionLedger } from './RejectionLedger.js';
import { type RequeueSender, requeuesOf } from './RequeueSender.js';

/** What the worker is wired with. */
export interface TransferWorkerDependencies {
  readonly config: WorkerConfig;
  readonly transfer: IdempotentTransfer;
  readonly deadLetters: DeadLetterQueue;
  /** Sends a request throttled on its last allowed delivery back to the queue. */
  readonly requeue: RequeueSender;
  /** Where rejections are recorded for `transfer-contact status`. */
  readonly rejections: Pick<RejectionLedger, 'beginDeadLetter' | 'finishDeadLetter' | 'recordRejection'>;
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

  /** Step 1: parse and check the record; step 2: transfer it; on failure, step 3: decide where it goes. */
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const received = readRecord(record);
    try {
      const request = checkedRequest(received, config);
      const result = await transfer.run(request);
      const outcome = result.replayed ? Outcome.Duplicate : Outcome.Transferred;
      metrics.addMetric(outcome, MetricUnit.Count, 1);
      logger.info('transfer outcome', {
        ...received.facts,
        outcome,
        transferredContactId: result.ContactId,
        contactArn: result.ContactArn,
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
      // A processor holds one batch's state: one per invocation, so concurrent invocations in one process
      // (the local runner, tests) never mix their results.
      return await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
        context,
        // A batch where every record failed transiently is still answered per record, never thrown.
        throwOnFullBatchFailure: false,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** A record as the worker reads it: its delivery count, its parsed request (or why not) and its log facts. */
interface ReceivedRecord {
  readonly receiveCount: number;
  readonly parsed: ReturnType<typeof parseTransferRequest>;
  readonly request: TransferRequest | undefined;
  /** The request's token, or an invalid body's own token (for `status` and the DLQ attribute). */
  readonly clientToken: string | undefined;
  readonly facts: Readonly<Record<string, unknown>>;
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
    logger.warn('transfer outcome', log);
    throw error;
  }
  if (disposition === Disposition.Requeue && received.request) {
    logger.warn('transfer outcome', { ...log, requeues: requeuesOf(record) + 1 });
    // Sent back first, then acknowledged: if the send fails the record stays in the queue.
    await deps.requeue.send(record, received.request.ClientToken);
    return;
  }
  logger.error('transfer outcome', log);
  await deadLetter(deps, record, failure, received.clientToken);
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
  clientToken: string | undefined,
): Promise<void> {
  const { rejections, logger } = deps;
  if ((await rejections.beginDeadLetter(record.messageId)) === 'already-sent') {
    logger.info('already dead-lettered', { messageId: record.messageId });
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
}
