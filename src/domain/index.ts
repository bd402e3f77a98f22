export {
  AmbiguousTransferError,
  type AttemptFailure,
  CapReachedError,
  ConnectCallError,
  DeadlineTooCloseError,
  InstanceNotAllowedError,
  InvalidRequestError,
  TokenReusedError,
  TransferOrchestratorError,
} from './errors';
export {
  CallVerdict,
  classifyFailure,
  type DeliveryState,
  Disposition,
  decideDisposition,
  ErrorClass,
  type Failure,
  judgeFailedCall,
} from './failure';
export { Outcome, outcomeOfFailure } from './outcome';
export {
  CLOCK_SKEW_MS,
  type ContactView,
  chainRootOf,
  decideReconciliation,
  type Reconciliation,
  type TransferTarget,
} from './reconcile';
