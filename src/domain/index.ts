export {
  type DeadLetterEvent,
  type DeadLetterState,
  type DeadLetterSteps,
  deadLetterSteps,
  nextDeadLetterState,
} from './deadLetterRecord.js';
export {
  AmbiguousTransferError,
  type AttemptFailure,
  CapReachedError,
  ConnectCallError,
  ContactAttributesError,
  ContactNotVisibleError,
  DeadlineTooCloseError,
  InstanceNotAllowedError,
  InvalidRequestError,
  OutcomeEventNotPublishedError,
  TokenReusedError,
  TransferNotSettledError,
  TransferOrchestratorError,
  TransferOutcomeUnknownError,
} from './errors.js';
export {
  CallVerdict,
  classifyFailure,
  type DeliveryState,
  Disposition,
  deadLetterReason,
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
  slotCallSpacingMs,
} from './pacing.js';
export {
  MAX_IN_FUNCTION_WAIT_MS,
  SCHEDULE_HORIZON_MS,
  SLOT_STALE_AFTER_MS,
} from './pacingPolicy.js';
export {
  CLOCK_SKEW_MS,
  type ContactView,
  chainRootOf,
  decideReconciliation,
  type Reconciliation,
  SUCCESSOR_READ_LAG_MS,
  type TransferTarget,
} from './reconcile.js';
export {
  ambiguityOf,
  nextRequestState,
  type RequestEvent,
  type RequestState,
} from './requestRecord.js';
export {
  bookSlots,
  decideSlot,
  MAX_QUEUE_DELAY_SECONDS,
  type SlotBooking,
  type SlotDecision,
  slotHolds,
  unscheduledDelaySeconds,
} from './schedule.js';
