/**
 * The base of every error this product raises on purpose. `name` is set explicitly in each subclass
 * because the deployed bundle is minified and class names do not survive it.
 */
export class TransferOrchestratorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransferOrchestratorError';
  }
}

/** A message that is not a valid transfer request: retrying it can never succeed. */
export class InvalidRequestError extends TransferOrchestratorError {
  /** Each validation issue, one line each. */
  public readonly issues: readonly string[];
  /** A stable code for the DLQ attributes and logs. */
  public readonly code: string;

  constructor(message: string, options: ErrorOptions & { issues?: readonly string[]; code?: string } = {}) {
    super(message, options);
    this.name = 'InvalidRequestError';
    this.issues = options.issues ?? [message];
    this.code = options.code ?? 'InvalidRequest';
  }
}

/** The request names an instance this deployment was not configured to touch. */
export class InstanceNotAllowedError extends InvalidRequestError {
  constructor(public readonly instanceId: string) {
    super(`instance ${instanceId} is not one of this deployment's instances (ALLOWED_INSTANCE_IDS)`, {
      code: 'InstanceNotAllowed',
    });
    this.name = 'InstanceNotAllowedError';
  }
}

/**
 * The token is already taken by a request with other parameters (it may have transferred): this one is a
 * token reuse, refused without calling Connect and without touching that request's reservation.
 */
export class TokenReusedError extends InvalidRequestError {
  constructor(public readonly chain: string) {
    super('ClientToken was already used with different parameters; use a new token for a new request', {
      code: 'IdempotentParameterMismatch',
    });
    this.name = 'TokenReusedError';
  }
}

/** The contact chain already counts `cap` transfers: Connect must not be called. */
export class CapReachedError extends TransferOrchestratorError {
  constructor(
    public readonly chain: string,
    public readonly cap: number,
  ) {
    super(`contact chain ${chain} already has ${cap} transfers (the cap is ${cap})`);
    this.name = 'CapReachedError';
  }
}

/** How one attempt of a call failed: Connect's error type (or the network error's name) and HTTP status. */
export interface AttemptFailure {
  readonly code: string;
  readonly httpStatusCode: number | undefined;
}

/**
 * A `TransferContact` call failed; `code` is Connect's error type (or the network error's name) on the
 * last attempt. `attempts` lists every attempt's failure: the SDK retries inside one call, and an earlier
 * attempt may have done the transfer even when the last one was refused.
 */
export class ConnectCallError extends TransferOrchestratorError {
  public readonly attempts: readonly AttemptFailure[];

  constructor(
    public readonly code: string,
    public readonly httpStatusCode: number | undefined,
    message: string,
    options?: ErrorOptions & { attempts?: readonly AttemptFailure[] },
  ) {
    super(message, options);
    this.name = 'ConnectCallError';
    this.attempts = options?.attempts?.length ? options.attempts : [{ code, httpStatusCode }];
  }
}

/**
 * The `UpdateContactAttributes` call before a transfer failed, so the transfer was not made: classified as a
 * `TransferContact` failure is (a definite refusal is permanent, a throttle or a 5xx is retried), and named
 * for the call that failed.
 */
export class ContactAttributesError extends ConnectCallError {
  constructor(code: string, httpStatusCode: number | undefined, message: string, options?: ErrorOptions) {
    super(code, httpStatusCode, `UpdateContactAttributes failed (${code}): ${message}`, options);
    this.name = 'ContactAttributesError';
  }
}

/** Too little of the invocation is left to start a transfer safely; the record is retried later. */
export class DeadlineTooCloseError extends TransferOrchestratorError {
  constructor(public readonly remainingMs: number) {
    super(`only ${remainingMs} ms left in this invocation: not starting a transfer`);
    this.name = 'DeadlineTooCloseError';
  }
}

/**
 * An earlier attempt under the token may have transferred the contact (its answer was lost, or the worker
 * died during it), Connect can no longer be trusted to replay the token, and `DescribeContact` proves
 * neither outcome. The request goes to the DLQ for a person; its reservation is kept (an over-count is safe,
 * an over-transfer is not).
 */
export class AmbiguousTransferError extends TransferOrchestratorError {
  constructor(
    message: string,
    /** When the first attempt that may have transferred started (ms since the epoch). */
    public readonly ambiguousSince: number,
  ) {
    super(message);
    this.name = 'AmbiguousTransferError';
  }
}

/**
 * The outcome event of a request that reached its end could not be put on the bus. Transient: the record is
 * delivered again (a transfer is then replayed, never made twice) so the event is published at least once.
 */
export class OutcomeEventNotPublishedError extends TransferOrchestratorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutcomeEventNotPublishedError';
  }
}

/**
 * Connect transferred the contact (or the token's records prove it did), and something after that failed:
 * recording the result, the idempotency record, or the outcome event. Never a failure of the request: it is
 * retried until it settles (a repeat replays the transfer, never makes it again) and never dead-lettered.
 */
export class TransferNotSettledError extends TransferOrchestratorError {
  constructor(
    /** What Connect answered. */
    public readonly result: { readonly ContactId: string; readonly ContactArn: string },
    options?: ErrorOptions,
  ) {
    super(
      `transferred to contact ${result.ContactId}, not yet settled: ${(options?.cause as Error | undefined)?.message ?? 'unknown'}`,
      options,
    );
    this.name = 'TransferNotSettledError';
  }
}

/**
 * `DescribeContact` (or the contact tree) does not know a contact the worker has reason to believe exists:
 * a request names it, or an earlier attempt transferred it. Connect's reads may lag a new contact, so a 404
 * proves nothing: the record is retried, and dead-lettered only after its last delivery.
 */
export class ContactNotVisibleError extends TransferOrchestratorError {
  constructor(
    public readonly instanceId: string,
    public readonly contactId: string,
  ) {
    super(
      `Connect does not show contact ${contactId} of instance ${instanceId} (yet): its reads may lag a new contact, so the request is retried; after its last delivery it is dead-lettered, having changed nothing`,
    );
    this.name = 'ContactNotVisibleError';
  }
}

/**
 * A `TransferContact` call under the token may have transferred (its answer was lost, a 5xx, a timeout, or an
 * earlier attempt's worker died) and this attempt ended before it was settled. Not a failure of the request:
 * it is retried (a repeat replays the token, or reconciles), and dead-lettered only as `AmbiguousTransfer`.
 */
export class TransferOutcomeUnknownError extends TransferOrchestratorError {
  constructor(options?: ErrorOptions) {
    super(
      `a transfer under this token may have happened; not settled yet: ${(options?.cause as Error | undefined)?.message ?? 'unknown'}`,
      options,
    );
    this.name = 'TransferOutcomeUnknownError';
  }
}
