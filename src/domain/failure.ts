import {
  AmbiguousTransferError,
  type AttemptFailure,
  CapReachedError,
  ConnectCallError,
  ContactNotVisibleError,
  DeadlineTooCloseError,
  InvalidRequestError,
  OutcomeEventNotPublishedError,
  TransferNotSettledError,
  TransferOutcomeUnknownError,
} from './errors.js';

/** The classes of the error taxonomy (docs/DESIGN.md). */
export const ErrorClass = {
  InvalidRequest: 'InvalidRequest',
  CapReached: 'CapReached',
  PermanentConnectError: 'PermanentConnectError',
  /** An earlier attempt may have transferred and nothing proves whether it did: for a person to settle. */
  AmbiguousTransfer: 'AmbiguousTransfer',
  Transient: 'Transient',
} as const;
/** One of {@link ErrorClass}. */
export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

/** What a failed record is, in the terms the worker acts on. */
export interface Failure {
  readonly errorClass: ErrorClass;
  /** A stable code: Connect's error type, or this product's own code. */
  readonly code: string;
  readonly message: string;
}

/** Connect error types that retrying the same request can never fix. */
const PERMANENT_CONNECT_CODES = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'ResourceNotFoundException',
  'AccessDeniedException',
  'ServiceQuotaExceededException',
  'IdempotencyException',
]);

/** Connect error types that say the request was refused before it did anything. */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
]);

/** Powertools idempotency errors, matched by name so the domain does not import Powertools. */
const IDEMPOTENCY_PARAMETER_MISMATCH = 'IdempotencyValidationError';
const IDEMPOTENCY_IN_FLIGHT = 'IdempotencyAlreadyInProgressError';

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message || error.name : String(error);

/**
 * Classifies any error raised while handling a record into the error taxonomy. Anything not known to be
 * permanent is transient: retrying an unknown failure is safe (the token makes it idempotent), while
 * dead-lettering it at once could drop a request that would have succeeded.
 *
 * @example
 * classifyFailure(new CapReachedError('chain#i#c', 11)).errorClass; // 'CapReached'
 */
export function classifyFailure(error: unknown): Failure {
  const message = messageOf(error);
  if (error instanceof InvalidRequestError) {
    return { errorClass: ErrorClass.InvalidRequest, code: error.code, message };
  }
  if (error instanceof CapReachedError) {
    return { errorClass: ErrorClass.CapReached, code: 'TransferCapReached', message };
  }
  if (error instanceof ConnectCallError) {
    const permanent = isDefiniteRefusal(error);
    return {
      errorClass: permanent ? ErrorClass.PermanentConnectError : ErrorClass.Transient,
      code: error.code,
      message,
    };
  }
  if (error instanceof AmbiguousTransferError) {
    return { errorClass: ErrorClass.AmbiguousTransfer, code: 'AmbiguousTransfer', message };
  }
  if (error instanceof DeadlineTooCloseError) {
    return { errorClass: ErrorClass.Transient, code: 'DeadlineTooClose', message };
  }
  if (error instanceof TransferNotSettledError) {
    return { errorClass: ErrorClass.Transient, code: 'TransferNotSettled', message };
  }
  if (error instanceof TransferOutcomeUnknownError) {
    return { errorClass: ErrorClass.Transient, code: 'TransferOutcomeUnknown', message };
  }
  if (error instanceof ContactNotVisibleError) {
    return { errorClass: ErrorClass.Transient, code: 'ContactNotVisible', message };
  }
  if (error instanceof OutcomeEventNotPublishedError) {
    return { errorClass: ErrorClass.Transient, code: 'OutcomeEventNotPublished', message };
  }
  if (error instanceof Error && error.name === IDEMPOTENCY_PARAMETER_MISMATCH) {
    return {
      errorClass: ErrorClass.InvalidRequest,
      code: 'IdempotentParameterMismatch',
      message: 'ClientToken was already used with different parameters; use a new token for a new request',
    };
  }
  if (error instanceof Error && error.name === IDEMPOTENCY_IN_FLIGHT) {
    return { errorClass: ErrorClass.Transient, code: 'TransferInFlight', message };
  }
  const code = error instanceof Error ? error.name : 'UnknownError';
  return { errorClass: ErrorClass.Transient, code, message };
}

const isThrottling = ({ code, httpStatusCode }: AttemptFailure): boolean =>
  THROTTLING_CODES.has(code) || httpStatusCode === 429;

/**
 * Whether Connect only throttled the call (every attempt of it): nothing happened, and the quota is what
 * said no.
 *
 * @example
 * isThrottledCall(new ConnectCallError('ThrottlingException', 429, 'Rate exceeded')); // true
 */
export const isThrottledCall = (error: ConnectCallError): boolean => error.attempts.every(isThrottling);

const is4xx = ({ httpStatusCode }: AttemptFailure): boolean =>
  httpStatusCode !== undefined && httpStatusCode >= 400 && httpStatusCode < 500;

/** Connect refused the call, throttling included: this attempt did nothing. */
const isRefusal = (attempt: AttemptFailure): boolean =>
  isThrottling(attempt) || PERMANENT_CONNECT_CODES.has(attempt.code) || is4xx(attempt);

/** Connect refused the call after looking at it (not throttling, which comes first): refused for good. */
const isDefiniteRefusal = (attempt: AttemptFailure): boolean =>
  PERMANENT_CONNECT_CODES.has(attempt.code) || (is4xx(attempt) && !isThrottling(attempt));

/** What a failed `TransferContact` call proves about the token, given what came before it. */
export const CallVerdict = {
  /** Nothing under this token can have transferred: its reservation goes back and the token is forgotten. */
  NothingHappened: 'nothing-happened',
  /** This call may have transferred (a 5xx, a timeout, a dropped answer): reservation and time are kept. */
  MayHaveTransferred: 'may-have-transferred',
  /** Refused, but an earlier attempt may have transferred: only `DescribeContact` can tell. */
  RefusedAfterAmbiguity: 'refused-after-ambiguity',
  /** Only throttled after an earlier ambiguous attempt: nothing learned, the reservation is kept. */
  NothingLearned: 'nothing-learned',
} as const;
/** One of {@link CallVerdict}. */
export type CallVerdict = (typeof CallVerdict)[keyof typeof CallVerdict];

/**
 * Judges a failed `TransferContact` call. Connect's order of checks is undocumented: it may check the
 * contact before the token, so a refusal proves that nothing happened only when no earlier attempt under
 * the token may have transferred (`earlierAmbiguity`: an attempt that failed ambiguously, or one whose
 * worker died). Within one call the SDK retries, so every attempt of it must have been refused.
 *
 * @example
 * judgeFailedCall(new ConnectCallError('ThrottlingException', 429, 'Rate exceeded'), false);      // 'nothing-happened'
 * judgeFailedCall(new ConnectCallError('InternalServiceException', 500, 'boom'), false);          // 'may-have-transferred'
 * judgeFailedCall(new ConnectCallError('InvalidRequestException', 400, 'not active'), true);      // 'refused-after-ambiguity'
 */
export function judgeFailedCall(error: ConnectCallError, earlierAmbiguity: boolean): CallVerdict {
  const ambiguousNow = !error.attempts.every(isRefusal);
  if (!ambiguousNow && !earlierAmbiguity) return CallVerdict.NothingHappened;
  const last = error.attempts.at(-1);
  // A 500 then a "not active" within one call is the same story as across calls: the 500 may have done it.
  if (last && isDefiniteRefusal(last)) return CallVerdict.RefusedAfterAmbiguity;
  return ambiguousNow ? CallVerdict.MayHaveTransferred : CallVerdict.NothingLearned;
}

/**
 * Transient failures that only say "not now": Connect throttled the call, the same token is running
 * elsewhere, too little of the invocation was left, or the bus did not take the outcome event. Dead-lettering them would push requests to the DLQ
 * because of load, not because anything is wrong with them.
 */
const DEFERRABLE_CODES = new Set([
  ...THROTTLING_CODES,
  'TransferInFlight',
  'DeadlineTooClose',
  'OutcomeEventNotPublished',
  'TransferNotSettled',
  'TransferOutcomeUnknown',
  // Other writes to the same chain kept landing first (requests for the same contacts, at once).
  'ChainBusyError',
]);

/**
 * Failures that must end in a transfer's settlement, not a dead letter: Connect already transferred (it must
 * be recorded and announced), or the token's twin is in flight (it will end, and this copy then replays it).
 * Such a request is sent back as often as it takes: a `Failed` for a transfer that happened would invite a
 * second one.
 */
const SETTLE_LATER_CODES = new Set(['TransferNotSettled', 'TransferInFlight']);

/** Codes retried soon although not deferrable: a lagging read is usually caught up within seconds. */
const SOON_CODES = new Set(['ContactNotVisible']);

/** What happens to a failed record. */
export const Disposition = {
  /** Reported as a batch item failure: SQS delivers it again after the visibility timeout. */
  Retry: 'retry',
  /** Sent back to the transfer queue (same body, same token, a delay) and deleted: its receive count restarts. */
  Requeue: 'requeue',
  /** Sent to the DLQ with its reason and deleted from the source queue. */
  DeadLetter: 'dead-letter',
} as const;
/** One of {@link Disposition}. */
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/** Where a record stands in its retries. */
export interface DeliveryState {
  /** This delivery's `ApproximateReceiveCount`. */
  readonly receiveCount: number;
  /** The queue's `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  /** How many times the worker already sent this request back to the queue. */
  readonly requeues: number;
  /** How many times it may. */
  readonly requeueLimit: number;
}

/**
 * Decides what happens to a failed record: permanent failures go to the DLQ at once; transient ones are
 * retried until the delivery that reaches `maxReceiveCount`. On that delivery, a failure that only says
 * "not now" (throttling, the token in flight elsewhere) is sent back to the queue, up to `requeueLimit`
 * times, so load never pushes a request to the DLQ; any other is dead-lettered with its reason (rather
 * than redriven by SQS with none).
 *
 * @example
 * decideDisposition(throttled, { receiveCount: 1, maxReceiveCount: 5, requeues: 0, requeueLimit: 10 }); // 'retry'
 */
export function decideDisposition(failure: Failure, delivery: DeliveryState): Disposition {
  if (failure.errorClass !== ErrorClass.Transient) return Disposition.DeadLetter;
  if (delivery.receiveCount < delivery.maxReceiveCount) return Disposition.Retry;
  if (SETTLE_LATER_CODES.has(failure.code)) return Disposition.Requeue;
  return DEFERRABLE_CODES.has(failure.code) && delivery.requeues < delivery.requeueLimit
    ? Disposition.Requeue
    : Disposition.DeadLetter;
}

/**
 * The reason a failure is dead-lettered with: a transfer whose outcome stayed unknown through every requeue
 * is an `AmbiguousTransfer`, for a person, never a plain transient failure (which would read as "nothing
 * happened").
 *
 * @example
 * deadLetterReason({ errorClass: 'Transient', code: 'TransferOutcomeUnknown', message: '…' }).errorClass; // 'AmbiguousTransfer'
 */
export function deadLetterReason(failure: Failure): Failure {
  return failure.code === 'TransferOutcomeUnknown'
    ? { ...failure, errorClass: ErrorClass.AmbiguousTransfer }
    : failure;
}

/** The longest a retried record is kept out of sight before its next delivery (5 minutes). */
const MAX_RETRY_DELAY_SECONDS = 300;

/**
 * How long a record that only has to wait stays invisible before SQS delivers it again: a request whose twin
 * is in flight comes back in seconds (the twin is usually done by then), a throttled or deferred one soon
 * after. Such failures are requeued, never dead-lettered, on a message's last delivery, so coming back soon
 * costs nothing. Any other transient failure (`undefined`) keeps the queue's whole visibility timeout: an
 * outage of Connect or DynamoDB must not use up a message's deliveries in a minute.
 *
 * @example
 * retryDelaySeconds({ errorClass: 'Transient', code: 'TransferInFlight', message: '' }, 1); // 2
 * retryDelaySeconds({ errorClass: 'Transient', code: 'InternalServiceException', message: '' }, 3); // undefined
 */
export function retryDelaySeconds(failure: Failure, receiveCount: number): number | undefined {
  const attempt = Math.max(1, receiveCount);
  if (failure.code === 'TransferInFlight') return Math.min(MAX_RETRY_DELAY_SECONDS, 2 * attempt);
  if (DEFERRABLE_CODES.has(failure.code) || SOON_CODES.has(failure.code))
    return Math.min(MAX_RETRY_DELAY_SECONDS, 3 * attempt);
  return undefined;
}
