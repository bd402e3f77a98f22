import { Disposition, ErrorClass, type Failure } from './failure.js';

/** The one outcome logged (and counted) for each record the worker handles. */
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
  /** An earlier attempt may have transferred and nothing proves whether it did: in the DLQ, slot kept. */
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

/**
 * Names the outcome of a failed record from its failure and what was decided for it.
 *
 * @example
 * outcomeOfFailure({ errorClass: 'CapReached', code: 'TransferCapReached', message: '' }, 'dead-letter'); // 'CapReached'
 */
export function outcomeOfFailure(failure: Failure, disposition: Disposition): Outcome {
  switch (failure.errorClass) {
    case ErrorClass.InvalidRequest:
      return Outcome.InvalidRequest;
    case ErrorClass.CapReached:
      return Outcome.CapReached;
    case ErrorClass.PermanentConnectError:
      return Outcome.ConnectRejected;
    case ErrorClass.AmbiguousTransfer:
      return Outcome.AmbiguousTransfer;
    case ErrorClass.Transient:
      if (disposition === Disposition.Retry) return Outcome.RetryScheduled;
      return disposition === Disposition.Requeue ? Outcome.Requeued : Outcome.RetriesExhausted;
  }
}
