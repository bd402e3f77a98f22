import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  classifyFailure,
  Disposition,
  decideDisposition,
  InstanceNotAllowedError,
  InvalidRequestError,
  Outcome,
  outcomeOfFailure,
} from '../../src/domain/index.js';
import { clientTokenOfBody, parseTransferRequest, type TransferRequest } from '../../src/request/index.js';
import type { WorkerConfig } from './config.js';
import type { DeadLetterQueue } from './DeadLetterQueue.js';
import type { IdempotentTransfer } from './idempotentTransfer.js';
import { type RequeueSender, requeuesOf } from './RequeueSender.js';
import type { TransferLedger } from './TransferLedger.js';

/** What the worker is wired with. */
export interface TransferWorkerDependencies {
  readonly config: WorkerConfig;
  readonly transfer: IdempotentTransfer;
  readonly deadLetters: DeadLetterQueue;
  /** Sends a request throttled on its last allowed delivery back to the queue. */
  readonly requeue: RequeueSender;
  /** Where rejections are recorded for `transfer-contact status`. */
  readonly rejections: Pick<TransferLedger, 'beginDeadLetter' | 'finishDeadLetter' | 'recordRejection'>;
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
 * export const handler = createTransferWorker({ config, transfer, deadLetters, requeue, rejections: ledger, logger, metrics });
 */
export function createTransferWorker(deps: TransferWorkerDependencies): TransferWorkerHandler {
  const { config, transfer, deadLetters, requeue, rejections, logger, metrics } = deps;

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    const parsed = parseTransferRequest(record.body ?? '', {
      messageId: record.messageId,
      clientTokenAttribute: record.messageAttributes?.ClientToken?.stringValue,
    });
    const request: TransferRequest | undefined = parsed.ok ? parsed.value.request : undefined;
    // An invalid body's own token still names it (for `status` and the DLQ attribute).
    const clientToken = request?.ClientToken ?? clientTokenOfBody(record.body ?? '');
    const facts = {
      messageId: record.messageId,
      attempt: receiveCount,
      instanceId: request?.InstanceId,
      contactId: request?.ContactId,
      clientToken,
      tokenOrigin: parsed.ok ? parsed.value.tokenOrigin : undefined,
    };
    try {
      if (!parsed.ok) {
        throw new InvalidRequestError(parsed.rejection.message, { issues: parsed.rejection.issues });
      }
      const valid = parsed.value.request;
      if (!config.allowedInstanceIds.has(valid.InstanceId))
        throw new InstanceNotAllowedError(valid.InstanceId);

      const result = await transfer.run(valid);
      const outcome = result.replayed ? Outcome.Duplicate : Outcome.Transferred;
      metrics.addMetric(outcome, MetricUnit.Count, 1);
      logger.info('transfer outcome', {
        ...facts,
        outcome,
        transferredContactId: result.ContactId,
        contactArn: result.ContactArn,
        ...(result.settledBy && { settledBy: result.settledBy }),
      });
    } catch (error) {
      const failure = classifyFailure(error);
      const disposition = decideDisposition(failure, {
        receiveCount,
        maxReceiveCount: config.maxReceiveCount,
        requeues: requeuesOf(record),
        requeueLimit: config.requeueLimit,
      });
      const outcome = outcomeOfFailure(failure, disposition);
      metrics.addMetric(outcome, MetricUnit.Count, 1);
      const log = {
        ...facts,
        outcome,
        errorClass: failure.errorClass,
        errorCode: failure.code,
        errorMessage: failure.message,
      };
      if (disposition === Disposition.Retry) {
        logger.warn('transfer outcome', log);
        throw error;
      }
      if (disposition === Disposition.Requeue && request) {
        logger.warn('transfer outcome', { ...log, requeues: requeuesOf(record) + 1 });
        // Sent back first, then acknowledged: if the send fails the record stays in the queue.
        await requeue.send(record, request.ClientToken);
        return;
      }
      logger.error('transfer outcome', log);
      // A per-message marker is written first and flagged once the DLQ has the message: if a write fails
      // the record is reported as failed, so SQS keeps it (nothing is lost); if the batch comes back after
      // a crash, a record already dead-lettered is acknowledged, not sent to the DLQ again.
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
      await deadLetters.send(record, failure, clientToken);
      try {
        await rejections.finishDeadLetter(record.messageId);
      } catch (error) {
        // The message is in the DLQ: acknowledging it is right; only a later crash could then repeat it.
        logger.warn('dead-letter marker not flagged', { messageId: record.messageId, error: String(error) });
      }
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
