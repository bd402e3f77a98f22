import {
  type ConnectClient,
  type Contact,
  DescribeContactCommand,
  ListAssociatedContactsCommand,
} from '@aws-sdk/client-connect';
import {
  ContactNotVisibleError,
  type ContactView,
  DeadlineTooCloseError,
} from '../../../src/domain/index.js';
import { type ApiQuota, callError, type GateClock, QuotaGate, realClock } from './quotaGate.js';

/** What the worker asks Connect about contacts, beyond `TransferContact`: its authority on what happened. */
export interface ContactDirectory {
  /** `DescribeContact`; `undefined` when Connect does not show the contact (a 404, which proves nothing). */
  describe(instanceId: string, contactId: string): Promise<ContactView | undefined>;
  /**
   * The contacts a transfer of `contactId` started (its tree's contacts whose previous contact it is),
   * described. Throws {@link ContactNotVisibleError} when Connect does not show the tree or one of them.
   */
  successorsOf(instanceId: string, contactId: string): Promise<ContactView[]>;
}

const viewOf = (contact: Contact | undefined, contactId: string): ContactView => ({
  id: contact?.Id ?? contactId,
  arn: contact?.Arn ?? '',
  active: contact?.DisconnectTimestamp === undefined,
  queueId: contact?.QueueInfo?.Id,
  agentId: contact?.AgentInfo?.Id,
  initialContactId: contact?.InitialContactId,
  previousContactId: contact?.PreviousContactId,
  initiatedAt: contact?.InitiationTimestamp?.getTime(),
  lastUpdatedAt: contact?.LastUpdateTimestamp?.getTime(),
  endedAt: contact?.DisconnectTimestamp?.getTime(),
});

const isNotFound = (error: unknown): boolean => (error as Error).name === 'ResourceNotFoundException';

/** Options of the contact directory. */
export interface ContactDirectoryOptions {
  /** This worker's share of each read API's quota. */
  readonly quota: ApiQuota;
  readonly clock?: GateClock;
  /**
   * How long the invocation may still wait for a read (its remaining time less the deadline margin).
   * @default unbounded
   */
  readonly budgetMs?: () => number;
}

/**
 * The contact directory over the Connect API: `DescribeContact` and `ListAssociatedContacts` (the contact
 * tree), each paced by a {@link QuotaGate} of its own. A throttled read did nothing and is safe to make again:
 * it is, after the gate's next token, a few times within the invocation; any other failure comes out as a
 * {@link ConnectCallError} (transient: the record is retried).
 *
 * @example
 * const contacts = connectContactDirectory(new ConnectClient({}), { quota: { ratePerSecond: 1, burst: 2 } });
 * (await contacts.describe('instance-1', 'contact-1'))?.initialContactId;
 */
export function connectContactDirectory(
  client: ConnectClient,
  options: ContactDirectoryOptions,
): ContactDirectory {
  const clock = options.clock ?? realClock;
  const describeGate = new QuotaGate(options.quota, clock, options.budgetMs);
  const listGate = new QuotaGate(options.quota, clock, options.budgetMs);
  const describe = async (instanceId: string, contactId: string) => {
    try {
      const { Contact } = await describeGate.call(() =>
        client.send(new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId })),
      );
      return viewOf(Contact, contactId);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof DeadlineTooCloseError) throw error;
      throw callError(error);
    }
  };
  const successorIds = async (instanceId: string, contactId: string): Promise<string[]> => {
    const ids: string[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const page = await listGate.call(() =>
          client.send(
            new ListAssociatedContactsCommand({
              InstanceId: instanceId,
              ContactId: contactId,
              MaxResults: 100,
              NextToken,
            }),
          ),
        );
        for (const summary of page.ContactSummaryList ?? []) {
          if (summary.PreviousContactId === contactId && summary.ContactId) ids.push(summary.ContactId);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (error) {
      if (isNotFound(error)) throw new ContactNotVisibleError(instanceId, contactId);
      if (error instanceof DeadlineTooCloseError) throw error;
      throw callError(error);
    }
    return ids;
  };
  return {
    describe,
    async successorsOf(instanceId, contactId) {
      const views: ContactView[] = [];
      // One at a time: the gate paces them anyway, and a 404 stops the rest.
      for (const id of await successorIds(instanceId, contactId)) {
        const view = await describe(instanceId, id);
        if (!view) throw new ContactNotVisibleError(instanceId, id);
        views.push(view);
      }
      return views;
    },
  };
}
