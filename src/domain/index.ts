export {
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
  classifyFailure,
  type DeliveryState,
  Disposition,
  decideDisposition,
  ErrorClass,
  type Failure,
  releasesSlot,
} from './failure';
export { Outcome, outcomeOfFailure } from './outcome';
