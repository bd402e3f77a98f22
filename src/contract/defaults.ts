import type { TableBilling } from './capacity.js';
import { SETTINGS } from './settings.js';

/**
 * The orchestrator's defaults by the names the layers use (the numeric ones are the settings table's, see
 * `SETTINGS`): the construct applies them to its props, the worker to its environment, the CLI and the local
 * runner to theirs, and the README quotes them.
 */
export const DEFAULTS = {
  /** Successful transfers per contact chain. */
  transferCap: SETTINGS.transferCap.default,
  /** `TransferContact` calls per second for the whole deployment: the account's default quota. */
  transferRatePerSecond: SETTINGS.transferRatePerSecond.default,
  /** Workers at once (the SQS event source's `maxConcurrency`, whose minimum is 2). */
  maxConcurrency: SETTINGS.maxConcurrency.default,
  /** Records per invocation. */
  batchSize: SETTINGS.batchSize.default,
  /** How long the event source gathers a batch. */
  maxBatchingWindowSeconds: SETTINGS.maxBatchingWindow.default,
  /** Deliveries before a transient failure is dead-lettered. */
  maxReceiveCount: SETTINGS.maxReceiveCount.default,
  /** The worker's timeout. */
  functionTimeoutSeconds: SETTINGS.functionTimeout.default,
  /** The transfer queue's visibility timeout, as a multiple of the function timeout (AWS's advice). */
  visibilityTimeoutFactor: SETTINGS.visibilityTimeout.default / SETTINGS.functionTimeout.default,
  /** How long a completed token's result is kept and replayed by the idempotency layer. */
  idempotencyTtlSeconds: SETTINGS.idempotencyTtl.default,
  /** How long after a lost answer the same token is still sent to Connect (then: reconcile). */
  tokenReplayWindowSeconds: SETTINGS.tokenReplayWindow.default,
  /** Times one throttled request may be sent back to the queue before it is dead-lettered. */
  requeueLimit: SETTINGS.requeueLimit.default,
  /** Remaining invocation time under which no new transfer starts. */
  deadlineMarginMs: SETTINGS.deadlineMarginMs.default,
  /** How the tables are billed: provisioned capacity sized to the rate (see `provisionedCapacity`). */
  tableBilling: 'provisioned' as TableBilling,
  /** The worker's memory (MB). */
  workerMemorySize: SETTINGS.workerMemorySize.default,
  /**
   * The least severe of Lambda's own log lines the worker's log group receives: at `WARN`, no START, END or
   * REPORT line per invocation.
   */
  systemLogLevel: 'WARN' as 'DEBUG' | 'INFO' | 'WARN',
  /** Age of the oldest queued request that raises the backlog alarm. */
  backlogAgeAlarmMinutes: SETTINGS.backlogAgeAlarmThreshold.default / 60,
  /** The transfer queue's and the DLQ's maximum message size (bytes): what a copy must fit in. */
  maxMessageBytes: SETTINGS.maxMessageBytes.default,
  /** How long the worker waits for one AWS call before it gives up (the SDK then retries or fails). */
  requestTimeoutMs: SETTINGS.requestTimeoutMs.default,
  /**
   * `DescribeContact` and `ListAssociatedContacts` calls per second, each, for the whole deployment: the
   * default quota of Connect APIs that publish none of their own, shared with every other caller.
   */
  contactReadRatePerSecond: SETTINGS.contactReadRatePerSecond.default,
  /** How long rejection records and dead-letter markers stay in the ledger. */
  rejectionRetentionSeconds: 30 * 86_400,
} as const;

/**
 * The shortest function timeout that fits a whole batch at the paced rate: each of `maxConcurrency` workers
 * makes one call every `maxConcurrency / rate` seconds, plus the deadline margin. The construct refuses a
 * shorter timeout; the scenario runner uses exactly this one, so retries come back as soon as they may.
 *
 * @example
 * minimumFunctionTimeoutSeconds({ batchSize: 10, maxConcurrency: 2, transferRatePerSecond: 2 }); // 15
 */
export function minimumFunctionTimeoutSeconds(settings: {
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly transferRatePerSecond: number;
}): number {
  return (
    (settings.batchSize * settings.maxConcurrency) / settings.transferRatePerSecond +
    DEFAULTS.deadlineMarginMs / 1000
  );
}
