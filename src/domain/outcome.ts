import { Outcome } from '../contract/metrics.js';
import { Disposition, ErrorClass, type Failure } from './failure.js';

export { Outcome } from '../contract/metrics.js';

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
