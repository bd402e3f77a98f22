/** The CloudWatch namespace of the worker's outcome metrics. */
export const METRICS_NAMESPACE = 'ConnectTransferOrchestrator';

/** The worker's Powertools service name: the `service` dimension of its metrics and a field of its logs. */
export const SERVICE_NAME = 'transfer-worker';

/**
 * The one outcome logged (and counted as a metric of this name) for each record the worker handles. The
 * dashboard graphs each; `metricOutcome` takes only these.
 */
export const Outcome = {
  /** Connect transferred the contact. */
  Transferred: 'Transferred',
  /** The token had already completed: its stored result was returned and Connect was not called. */
  Duplicate: 'Duplicate',
  /** Not a valid request (or not an allowed instance, or a reused token): in the DLQ. */
  InvalidRequest: 'InvalidRequest',
  /** The contact chain had no transfer left under the cap: in the DLQ. */
  CapReached: 'CapReached',
  /** Connect refused the transfer for good: in the DLQ. */
  ConnectRejected: 'ConnectRejected',
  /** An earlier attempt may have transferred and nothing proves either way: in the DLQ, reservation kept. */
  AmbiguousTransfer: 'AmbiguousTransfer',
  /** A transient failure: SQS delivers the record again. */
  RetryScheduled: 'RetryScheduled',
  /** A transient failure on the last allowed delivery: in the DLQ. */
  RetriesExhausted: 'RetriesExhausted',
  /** Throttled (or in flight elsewhere) on the last allowed delivery: sent back to the queue, not the DLQ. */
  Requeued: 'Requeued',
} as const;
/** One of {@link Outcome}. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** The metric of the `TransferContact` rate the deployment paces to (calls/s), one value per invocation. */
export const PACING_RATE_METRIC = 'PacingRate';

/**
 * The metric of requests sent back to wait in the queue for their slot in the deployment's schedule (a count
 * per invocation): a wait SQS holds, instead of a worker Lambda bills.
 */
export const HELD_FOR_SLOT_METRIC = 'HeldForSlot';
