import { type ConnectClient, UpdateContactAttributesCommand } from '@aws-sdk/client-connect';
import { ContactAttributesError, DeadlineTooCloseError } from '../../../src/domain/index.js';
import { type ApiQuota, callError, type GateClock, QuotaGate, realClock } from './quotaGate.js';

/** Sets a contact's attributes before its transfer. */
export interface ContactAttributes {
  /**
   * `UpdateContactAttributes` on the contact about to transfer: merges `attributes` into its own (the keys
   * given are set, the others kept). Setting the same map again leaves the contact as once did.
   * @throws {ContactAttributesError} when Connect refused or failed the call (its code and status).
   */
  apply(instanceId: string, contactId: string, attributes: Readonly<Record<string, string>>): Promise<void>;
}

/** Options of {@link connectContactAttributes}. */
export interface ContactAttributesOptions {
  /** This worker's share of the `UpdateContactAttributes` quota. */
  readonly quota: ApiQuota;
  readonly clock?: GateClock;
  /** How long the invocation may still wait for the call. @default unbounded */
  readonly budgetMs?: () => number;
}

/**
 * `UpdateContactAttributes` over the Connect API, paced by a {@link QuotaGate} of its own: the API has its own
 * account-wide quota, so it never spends `TransferContact`'s. The contact is named by the id being
 * transferred (the API's `InitialContactId` takes any contact of the chain that Connect shows).
 *
 * @example
 * const attributes = connectContactAttributes(new ConnectClient({}), { quota: { ratePerSecond: 1, burst: 2 } });
 * await attributes.apply('instance-1', 'contact-1', { EscalationReason: 'sla-breach' });
 */
export function connectContactAttributes(
  client: ConnectClient,
  options: ContactAttributesOptions,
): ContactAttributes {
  const gate = new QuotaGate(options.quota, options.clock ?? realClock, options.budgetMs);
  return {
    async apply(instanceId, contactId, attributes) {
      try {
        await gate.call(() => {
          // Never past the invocation's budget: the SDK's own timeouts and retries could outlast it.
          const budget = options.budgetMs?.() ?? Number.POSITIVE_INFINITY;
          return client.send(
            new UpdateContactAttributesCommand({
              InstanceId: instanceId,
              InitialContactId: contactId,
              Attributes: { ...attributes },
            }),
            Number.isFinite(budget) ? { abortSignal: AbortSignal.timeout(Math.max(1, budget)) } : {},
          );
        });
      } catch (error) {
        if (error instanceof DeadlineTooCloseError) throw error;
        const failed = callError(error);
        throw new ContactAttributesError(failed.code, failed.httpStatusCode, failed.message, {
          cause: error,
        });
      }
    },
  };
}
