import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { ConnectCallError, DeadlineTooCloseError, releasesSlot } from '../../src/domain';
import { requestFingerprint, TRANSFER_PARAMETER_FIELDS, type TransferRequest } from '../../src/request';
// Stable (not the function name, Powertools' default) so that `transfer-contact status` finds a token's record.
import { IDEMPOTENCY_KEY_PREFIX } from '../../src/status/transferStatus';
import type { CallPacer } from './CallPacer';
import type { TransferResult } from './connectTransfer';
import type { TransferLedger } from './TransferLedger';

/** The request fields whose hash is stored with a token: a repeat with other values is a token reuse. */
export const IDEMPOTENT_PAYLOAD_FIELDS = `[${TRANSFER_PARAMETER_FIELDS.join(', ')}]`;

/** A transfer's result, and whether it was replayed from a completed token instead of run. */
export interface TransferOutcome extends TransferResult {
  readonly replayed: boolean;
}

/** What the idempotent transfer needs. */
export interface IdempotentTransferDependencies {
  readonly ledger: TransferLedger;
  readonly pacer: CallPacer;
  readonly persistenceStore: BasePersistenceLayer;
  readonly transfer: (request: TransferRequest) => Promise<TransferResult>;
  readonly idempotencyTtlSeconds: number;
  readonly deadlineMarginMs: number;
}

/** Runs one request's transfer at most once per `ClientToken`. */
export interface IdempotentTransfer {
  /** Tells the idempotency layer the invocation's deadline, so an in-flight record expires with it. */
  registerContext(context: Context): void;
  /** Transfers, or replays the stored result of a completed token. */
  run(request: TransferRequest): Promise<TransferOutcome>;
}

/**
 * Builds the transfer step: take a slot in the ledger, wait for a paced turn, call Connect, link a new
 * contact id to the chain; all under Powertools idempotency keyed on `ClientToken`. A completed token
 * returns its stored result without calling Connect; one in flight raises
 * `IdempotencyAlreadyInProgressError`; one reused with other parameters raises
 * `IdempotencyValidationError`. A failure deletes the in-flight record, so a retry runs again.
 *
 * @example
 * const step = createIdempotentTransfer({ ledger, pacer, persistenceStore, transfer, idempotencyTtlSeconds: 86400, deadlineMarginMs: 5000 });
 * step.registerContext(context);
 * const { ContactId, replayed } = await step.run(request);
 */
export function createIdempotentTransfer(deps: IdempotentTransferDependencies): IdempotentTransfer {
  let context: Context | undefined;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'ClientToken',
    payloadValidationJmesPath: IDEMPOTENT_PAYLOAD_FIELDS,
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: deps.idempotencyTtlSeconds,
    responseHook: (response) => ({ ...(response as Record<string, unknown>), replayed: true }),
  });

  const transferOnce = async (request: TransferRequest): Promise<TransferResult> => {
    const { ledger, pacer } = deps;
    const chain = await ledger.chainOf(request.InstanceId, request.ContactId);
    const reservedNow = await ledger.reserve(chain, request.ClientToken, requestFingerprint(request));

    await pacer.waitTurn();
    const remainingMs = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    if (remainingMs < deps.deadlineMarginMs) {
      // Nothing was sent: a slot this attempt took goes back (one an earlier attempt took may carry a
      // transfer whose answer was lost), and the record is retried in a fresh invocation.
      if (reservedNow) await ledger.release(chain, request.ClientToken);
      throw new DeadlineTooCloseError(remainingMs);
    }

    let result: TransferResult;
    try {
      result = await deps.transfer(request);
    } catch (error) {
      if (error instanceof ConnectCallError && releasesSlot(error, reservedNow)) {
        await ledger.release(chain, request.ClientToken);
      }
      throw error;
    }
    if (result.ContactId !== request.ContactId) {
      await ledger.linkContact(request.InstanceId, result.ContactId, chain);
    }
    // Exactly what the idempotency record stores and a repeat of the token replays.
    return { ContactId: result.ContactId, ContactArn: result.ContactArn };
  };

  const idempotent = makeIdempotent(transferOnce, {
    persistenceStore: deps.persistenceStore,
    config,
    keyPrefix: IDEMPOTENCY_KEY_PREFIX,
  });

  return {
    registerContext(lambdaContext) {
      context = lambdaContext;
      config.registerLambdaContext(lambdaContext);
    },
    run: async (request) => {
      const outcome: TransferResult & { replayed?: boolean } = await idempotent(request);
      return { ...outcome, replayed: outcome.replayed === true };
    },
  };
}
