import {
  type ConnectClient,
  type Contact,
  DescribeContactCommand,
  ListAssociatedContactsCommand,
} from '@aws-sdk/client-connect';
import { ConnectCallError, type ContactView } from '../../src/domain/index.js';

/** What the worker asks Connect about contacts, beyond `TransferContact`: its authority on what happened. */
export interface ContactDirectory {
  /** `DescribeContact`; `undefined` when Connect does not know the contact. */
  describe(instanceId: string, contactId: string): Promise<ContactView | undefined>;
  /** The contacts a transfer of `contactId` started (its tree's contacts whose previous contact it is), described. */
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

const callError = (error: unknown): ConnectCallError => {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  return new ConnectCallError(e.name || 'UnknownError', e.$metadata?.httpStatusCode, e.message, {
    cause: error,
  });
};

/**
 * The contact directory over the Connect API: `DescribeContact` and `ListAssociatedContacts` (the contact
 * tree). A contact Connect does not know is `undefined`; any other failure comes out as a
 * {@link ConnectCallError} (a throttle or a 5xx is transient: the record is retried).
 *
 * @example
 * const contacts = connectContactDirectory(new ConnectClient({}));
 * (await contacts.describe('instance-1', 'contact-1'))?.initialContactId;
 */
export function connectContactDirectory(client: ConnectClient): ContactDirectory {
  const describe = async (instanceId: string, contactId: string) => {
    try {
      const { Contact } = await client.send(
        new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId }),
      );
      return viewOf(Contact, contactId);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw callError(error);
    }
  };
  return {
    describe,
    async successorsOf(instanceId, contactId) {
      const ids: string[] = [];
      let NextToken: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListAssociatedContactsCommand({
              InstanceId: instanceId,
              ContactId: contactId,
              MaxResults: 100,
              NextToken,
            }),
          );
          for (const summary of page.ContactSummaryList ?? []) {
            if (summary.PreviousContactId === contactId && summary.ContactId) ids.push(summary.ContactId);
          }
          NextToken = page.NextToken;
        } while (NextToken);
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return [];
        throw callError(error);
      }
      const views = await Promise.all(ids.map((id) => describe(instanceId, id)));
      return views.filter((view): view is ContactView => view !== undefined);
    },
  };
}
