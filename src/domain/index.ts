export {
  AmbiguousTransferError,
  type AttemptFailure,
  CapReachedError,
  ConnectCallError,
  DeadlineTooCloseError,
  InstanceNotAllowedError,
  InvalidRequestError,
  OutcomeEventNotPublishedError,
  TokenReusedError,
  TransferOrchestratorError,
} from './errors.js';
export {
  CallVerdict,
  classifyFailure,
  type DeliveryState,
  Disposition,
  decideDisposition,
  ErrorClass,
  type Failure,
  isThrottledCall,
  judgeFailedCall,
  retryDelaySeconds,
} from './failure.js';
export { Outcome, outcomeOfFailure } from './outcome.js';
export {
  afterThrottle,
  currentRate,
  intervalMs,
  type PacingPolicy,
  type PacingState,
  pacingPolicy,
} from './pacing.js';
export {
  CLOCK_SKEW_MS,
  type ContactView,
  chainRootOf,
  decideReconciliation,
  type Reconciliation,
  type TransferTarget,
} from './reconcile.js';
