import { randomUUID } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import {
  AmbiguousTransferError,
  CallVerdict,
  CapReachedError,
  ConnectCallError,
  ContactNotVisibleError,
  DeadlineTooCloseError,
  decideReconciliation,
  InvalidRequestError,
  intervalMs,
  isThrottledCall,
  judgeFailedCall,
  TransferNotSettledError,
  TransferOutcomeUnknownError,
} from '../../src/domain/index.js';
import {
  ASKED_JMESPATH,
  hasAttributes,
  requestFingerprint,
  type TransferRequest,
} from '../../src/request/index.js';
// Stable (not the function name, Powertools' default) so that `transfer-contact status` finds a token's record.
import { IDEMPOTENCY_KEY_PREFIX } from '../../src/status/transferStatus.js';
import type { TransferResult } from './connect/connectTransfer.js';
import type { ContactAttributes } from './connect/contactAttributes.js';
import type { ContactDirectory } from './connect/contactDirectory.js';
import { resolveChain } from './ledger/chainResolver.js';
import type { TransferLedger } from './ledger/TransferLedger.js';
import type { Pacing, ScheduledTurn } from './pacing/index.js';

/** A throttled call is made again at most this many times in one invocation; then the record is retried. */
const MAX_THROTTLED_RETRIES = 3;

/** The request fields whose hash is stored with a token: a repeat with other values is a token reuse. */
export const IDEMPOTENT_PAYLOAD_FIELDS = ASKED_JMESPATH;

/** How a transfer's result was obtained, when Connect was not simply called and answered. */
export type SettledBy = 'ledger' | 'reconciliation';

/** A transfer's result, and whether it was replayed from a completed token instead of run. */
export interface TransferOutcome extends TransferResult {
  readonly replayed: boolean;
  /** `ledger`: replayed from the ledger's durable record; `reconciliation`: proven by `DescribeContact`. */
  readonly settledBy?: SettledBy;
}

/** What the idempotent transfer needs. */
export interface IdempotentTransferDependencies {
  readonly ledger: TransferLedger;
  readonly contacts: ContactDirectory;
  /** Sets a request's `Attributes` on its contact before the transfer (needed only for requests with some). */
  readonly attributes?: ContactAttributes;
  /** The worker's pacing: a turn per call, a throttle signal, the rate. */
  readonly pacing: Pick<Pacing, 'waitTurn' | 'onThrottle' | 'rate'>;
  /** Workers sharing the deployment's rate (to know how long one paced turn is). @default 1 */
  readonly workers?: number;
  readonly persistenceStore: BasePersistenceLayer;
  readonly transfer: (request: TransferRequest) => Promise<TransferResult>;
  readonly idempotencyTtlSeconds: number;
  readonly deadlineMarginMs: number;
  /**
   * How long after an attempt that may have transferred the same token may still be sent to Connect, which
   * then replays it. Past it Connect may have forgotten the token, so the worker asks `DescribeContact`
   * instead of calling again. Must be shorter than Connect's own (undocumented) token memory.
   */
  readonly tokenReplayWindowMs: number;
  /**
   * Connect's clock (ms), as its answers' `Date` header shows it: an attempt's start is stamped with it, so
   * reconciliation compares Connect's timestamps with Connect's own time, whatever this worker's clock says.
   * @default Date.now
   */
  readonly connectClock?: () => number;
}

/** Runs one request's transfer at most once per `ClientToken`. */
export interface IdempotentTransfer {
  /** Tells the idempotency layer the invocation's deadline, so an in-flight record expires with it. */
  registerContext(context: Context): void;
  /**
   * Transfers, or replays the stored result of a completed token. With a `slotAt` (the request's slot in the
   * deployment's schedule, ms) the call waits for that slot instead of this worker's paced turn.
   */
  run(request: TransferRequest, turn?: ScheduledTurn): Promise<TransferOutcome>;
}

/** A request's slot in the deployment's schedule. */
type StepResult = TransferResult & { replayed?: boolean; settledBy?: SettledBy };

/**
 * What one run of a request has learnt, for what a later failure in the same run means. Per run, never per
 * token in the process: a twin of the same token in the same batch must not clear what this run knows.
 */
interface RunState {
  /** Connect answered (or the ledger replayed, or reconciliation proved) the transfer: a later failure is {@link TransferNotSettledError}. */
  transferred?: TransferResult;
  /** A call may have transferred (a lost answer, an open or ambiguous earlier attempt): a later failure is {@link TransferOutcomeUnknownError}. */
  maybeTransferred: boolean;
  /** This attempt's id in the token's record, so a write of its own that applied is not read back as a crash. */
  readonly attemptId: string;
  /** A `TransferContact` call of this run went out and its outcome is not yet judged. */
  callInDoubt: boolean;
}

/**
 * One request's attempt, step by step, over the ledger's durable record of its token (see
 * {@link createIdempotentTransfer} for the steps).
 */
class TransferAttempt {
  /** The invocation's context, for its remaining time. */
  context: Context | undefined;

  constructor(private readonly deps: IdempotentTransferDependencies) {}

  /** Connect's time now: attempts are stamped, and the replay window measured, on Connect's clock. */
  connectNow(): number {
    return (this.deps.connectClock ?? Date.now)();
  }

  /** Records a transfer: the new contact's alias first, so a transferred token always has its alias. */
  async settle(
    request: TransferRequest,
    chain: string,
    result: TransferResult,
    run: RunState,
  ): Promise<void> {
    run.transferred = result;
    if (result.ContactId !== request.ContactId) {
      await this.deps.ledger.linkContact(request.InstanceId, result.ContactId, chain);
    }
    await this.deps.ledger.record(request.ClientToken, { kind: 'transferred', ...result });
  }

  /**
   * Asks Connect what happened to a request whose earlier attempt may have transferred. Returns the result
   * when the transfer is proven; `undefined` when it is proven not to have happened and no refusal stands
   * (the caller may call Connect); throws the refusal (reservation given back) or an
   * {@link AmbiguousTransferError}.
   */
  async reconcile(
    request: TransferRequest,
    chain: string,
    ambiguousSince: number,
    refusal: ConnectCallError | undefined,
    run: RunState,
  ): Promise<StepResult | undefined> {
    const contact = await this.deps.contacts.describe(request.InstanceId, request.ContactId);
    if (!contact) {
      // The contact had an attempt: a 404 is a read lagging, not proof that nothing happened.
      await this.deps.ledger.record(request.ClientToken, { kind: 'close' });
      throw new ContactNotVisibleError(request.InstanceId, request.ContactId);
    }
    const successors = !contact.active
      ? await this.deps.contacts.successorsOf(request.InstanceId, request.ContactId)
      : [];
    const verdict = decideReconciliation(request, contact, successors, ambiguousSince, this.connectNow());
    if (verdict.kind === 'transferred') {
      const result = { ContactId: verdict.ContactId, ContactArn: verdict.ContactArn };
      await this.settle(request, chain, result, run);
      return { ...result, settledBy: 'reconciliation' };
    }
    if (verdict.kind === 'not-transferred') {
      run.maybeTransferred = false;
      if (refusal) {
        await this.deps.ledger.forget(chain, request.ClientToken);
        throw refusal;
      }
      await this.deps.ledger.record(request.ClientToken, { kind: 'proved-not-transferred' });
      return undefined;
    }
    await this.deps.ledger.record(request.ClientToken, { kind: 'close' });
    // Too soon to tell: retried (and requeued on its last delivery) until the successor shows or the wait ends.
    if (verdict.kind === 'too-soon')
      throw new TransferOutcomeUnknownError({ cause: new Error(verdict.reason) });
    throw new AmbiguousTransferError(
      `an attempt at ${new Date(ambiguousSince).toISOString()} may have transferred: ${verdict.reason}`,
      ambiguousSince,
    );
  }

  /**
   * Calls Connect. A throttled call did nothing: the pacer hears of it (the deployment's rate drops) and the
   * call is made again at this worker's next paced turn, a few times, while the invocation has time. The SDK
   * itself does not retry `TransferContact`, so every call Connect sees is a paced one.
   */
  async callPaced(request: TransferRequest): Promise<TransferResult> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await this.deps.transfer(request);
      } catch (error) {
        if (!(error instanceof ConnectCallError) || !isThrottledCall(error)) throw error;
        await this.deps.pacing.onThrottle();
        const remainingMs = this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
        const turnMs = intervalMs(this.deps.pacing.rate, this.deps.workers ?? 1);
        if (retry >= MAX_THROTTLED_RETRIES || remainingMs < this.deps.deadlineMarginMs + turnMs) throw error;
        await this.deps.pacing.waitTurn();
      }
    }
  }

  /** Calls Connect and records what its answer proves. */
  async call(
    request: TransferRequest,
    chain: string,
    ambiguousSince: number | undefined,
    run: RunState,
  ): Promise<StepResult> {
    const attemptAt = this.connectNow();
    let result: TransferResult;
    try {
      run.callInDoubt = true;
      result = await this.callPaced(request);
    } catch (error) {
      if (!(error instanceof ConnectCallError)) throw error;
      const token = request.ClientToken;
      const verdict = judgeFailedCall(error, ambiguousSince !== undefined);
      if (verdict === CallVerdict.NothingHappened || verdict === CallVerdict.NothingLearned)
        run.callInDoubt = false;
      switch (verdict) {
        case CallVerdict.NothingHappened:
          await this.deps.ledger.forget(chain, token);
          throw error;
        case CallVerdict.MayHaveTransferred:
          run.maybeTransferred = true;
          await this.deps.ledger.record(token, { kind: 'lost-answer', at: attemptAt });
          throw error;
        case CallVerdict.NothingLearned:
          await this.deps.ledger.record(token, { kind: 'close' });
          throw error;
        case CallVerdict.RefusedAfterAmbiguity: {
          run.maybeTransferred = true;
          // Connect may check the contact before the token: the refusal may come from our own transfer.
          if (ambiguousSince === undefined)
            await this.deps.ledger.record(token, { kind: 'lost-answer', at: attemptAt });
          const settled = await this.reconcile(request, chain, ambiguousSince ?? attemptAt, error, run);
          if (settled) return settled;
          throw error;
        }
      }
    }
    await this.settle(request, chain, result, run);
    // Exactly what the idempotency record stores and a repeat of the token replays.
    return { ContactId: result.ContactId, ContactArn: result.ContactArn };
  }

  /**
   * Sets the request's `Attributes` on the contact, unless an earlier attempt of the token's record did. A
   * failure ends the attempt before any call: the reservation goes back as after a refused call (or, after an
   * ambiguous attempt, the attempt is closed). Setting the same attributes twice (a record forgotten after a
   * refused call, a lost answer of this call) leaves the contact as setting them once: they apply
   * idempotently.
   */
  async applyAttributes(
    request: TransferRequest,
    chain: string,
    ambiguousSince: number | undefined,
  ): Promise<void> {
    if (!hasAttributes(request)) return;
    const token = request.ClientToken;
    try {
      if (!this.deps.attributes) throw new Error('the worker has no UpdateContactAttributes client');
      await this.deps.attributes.apply(request.InstanceId, request.ContactId, request.Attributes);
      // The call and its gate may have spent the margin the deadline check at the turn left: the transfer
      // must not start with less (Lambda would kill it mid-call, and its open attempt would read as ambiguous).
      const remainingMs = this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
      if (remainingMs < this.deps.deadlineMarginMs) throw new DeadlineTooCloseError(remainingMs);
    } catch (error) {
      if (ambiguousSince === undefined) await this.deps.ledger.forget(chain, token).catch(() => undefined);
      else await this.deps.ledger.record(token, { kind: 'close' }).catch(() => undefined);
      throw error;
    }
    // Only saves a call on a later attempt of this record: a lost note means the same attributes set again.
    await this.deps.ledger.recordAttributesApplied(token).catch(() => undefined);
  }

  /** The whole attempt, steps 1 to 7 (see {@link createIdempotentTransfer}). */
  async transferOnce(
    request: TransferRequest,
    turn: ScheduledTurn | undefined,
    run: RunState,
  ): Promise<StepResult> {
    try {
      return await this.#attempt(request, turn, run);
    } catch (error) {
      // Ended in an error before any call that may have transferred: its open mark must not pass for a
      // worker that died during a call (the next attempt would take the request for ambiguous).
      if (!run.transferred && !run.maybeTransferred && !run.callInDoubt)
        await this.deps.ledger
          .record(request.ClientToken, { kind: 'close', attemptId: run.attemptId })
          .catch(() => undefined);
      throw error;
    }
  }

  async #attempt(
    request: TransferRequest,
    turn: ScheduledTurn | undefined,
    run: RunState,
  ): Promise<StepResult> {
    const token = request.ClientToken;
    const resolved = await resolveChain(
      this.deps.ledger,
      this.deps.contacts,
      request.InstanceId,
      request.ContactId,
    );

    // The paced turn comes before anything is written: a worker that dies while it waits leaves no attempt
    // behind (an open attempt would count as one that may have transferred), and one too close to its
    // deadline simply leaves the record to a fresh invocation.
    const budgetMs =
      (this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY) - this.deps.deadlineMarginMs;
    await this.deps.pacing.waitTurn(turn, budgetMs);
    const remainingMs = this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    if (remainingMs < this.deps.deadlineMarginMs) throw new DeadlineTooCloseError(remainingMs);

    const history = await this.deps.ledger.beginRequest(token, requestFingerprint(request), resolved.chain, {
      attemptId: run.attemptId,
      now: this.connectNow(),
    });
    if (history.transferred) {
      run.transferred = history.transferred;
      return { ...history.transferred, replayed: true, settledBy: 'ledger' };
    }
    const { chain } = history;
    let { ambiguousSince } = history;
    if (ambiguousSince !== undefined) run.maybeTransferred = true;

    try {
      // The lookup's read of the chain, if it is this one (the token may keep an earlier chain), saves a read.
      await this.deps.ledger.reserve(chain, token, resolved.seen);
    } catch (error) {
      // No reservation, no call: a token with no earlier ambiguity is forgotten, as after any failure. The
      // reserve's own failure is the outcome (a CapReached stays one): a failed clean-up leaves an open
      // attempt, which the attempt closes, or a reservation kept, the safe side.
      if (ambiguousSince === undefined) await this.deps.ledger.forget(chain, token).catch(() => undefined);
      else await this.deps.ledger.record(token, { kind: 'close' }).catch(() => undefined);
      throw error;
    }

    if (ambiguousSince !== undefined && this.connectNow() - ambiguousSince >= this.deps.tokenReplayWindowMs) {
      const settled = await this.reconcile(request, chain, ambiguousSince, undefined, run);
      if (settled) return settled;
      ambiguousSince = undefined;
    }
    if (!history.attributesApplied) await this.applyAttributes(request, chain, ambiguousSince);
    return this.call(request, chain, ambiguousSince, run);
  }
}

/**
 * Builds the transfer step, under Powertools idempotency keyed on `ClientToken` (a completed token replays
 * its result; one in flight raises `IdempotencyAlreadyInProgressError`; one reused with other parameters
 * raises `IdempotencyValidationError`), over the ledger's durable record of the token, which outlives that
 * layer's TTL, any redrive, and Connect's own memory of the token:
 * 1. find the contact's chain (the ledger, else Connect's `InitialContactId`);
 * 2. wait for a paced turn (nothing written yet, so a worker that dies waiting leaves nothing behind);
 * 3. begin the attempt in the token's record: a token that transferred is replayed from it, without Connect;
 * 4. reserve one of the chain's transfers (never past the cap);
 * 5. if an earlier attempt may have transferred and Connect may have forgotten the token, reconcile with
 *    `DescribeContact` instead of calling again;
 * 6. set the request's `Attributes` on the contact, if it has some and no earlier attempt did;
 * 7. call Connect and record what its answer proves.
 *
 * @example
 * const step = createIdempotentTransfer({ ledger, contacts, pacing, persistenceStore, transfer, idempotencyTtlSeconds: 86400, deadlineMarginMs: 5000, tokenReplayWindowMs: 3_600_000 });
 * step.registerContext(context);
 * const { ContactId, replayed } = await step.run(request);
 */
export function createIdempotentTransfer(deps: IdempotentTransferDependencies): IdempotentTransfer {
  const attempt = new TransferAttempt(deps);
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'ClientToken',
    payloadValidationJmesPath: IDEMPOTENT_PAYLOAD_FIELDS,
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: deps.idempotencyTtlSeconds,
    responseHook: (response) => ({ ...(response as Record<string, unknown>), replayed: true }),
  });
  // The request (the first argument) is what the idempotency layer hashes; the turn is not part of it.
  const idempotent = makeIdempotent(
    (request: TransferRequest, turn: ScheduledTurn | undefined, run: RunState) =>
      attempt.transferOnce(request, turn, run),
    {
      persistenceStore: deps.persistenceStore,
      config,
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    },
  );

  return {
    registerContext(lambdaContext) {
      attempt.context = lambdaContext;
      config.registerLambdaContext(lambdaContext);
    },
    run: async (request, turn) => {
      const run: RunState = { maybeTransferred: false, attemptId: randomUUID(), callInDoubt: false };
      let outcome: StepResult;
      try {
        outcome = await idempotent(request, turn, run);
      } catch (error) {
        // Once Connect has said yes, nothing later turns the request into a failure: it settles later.
        if (run.transferred) throw new TransferNotSettledError(run.transferred, { cause: error });
        // A transfer that may have happened is never a plain failure: retried until settled, else ambiguous.
        // A verdict that already settles it (ambiguous, no reservation, token reused) stands as it is.
        const settlesIt =
          error instanceof AmbiguousTransferError ||
          error instanceof CapReachedError ||
          error instanceof InvalidRequestError;
        if (run.maybeTransferred && !settlesIt) throw new TransferOutcomeUnknownError({ cause: error });
        throw error;
      }
      return {
        ContactId: outcome.ContactId,
        ContactArn: outcome.ContactArn,
        replayed: outcome.replayed === true,
        ...(outcome.settledBy && { settledBy: outcome.settledBy }),
      };
    },
  };
}
