import type { ContactCenter } from './ContactCenter.js';
import type { Contact } from './types.js';
import { epochSeconds } from './wire.js';

/** The queue a contact is in, as Connect's reads name it (`QueueInfo`), if any. */
export const queueInfoOf = (contact: Contact) =>
  contact.queueId ? { Id: contact.queueId, EnqueueTimestamp: epochSeconds(contact.enqueuedAt) } : undefined;

/** The agent a contact is with, as Connect's reads name it (`AgentInfo`), if any. */
export const agentInfoOf = (contact: Contact) =>
  contact.userId
    ? { Id: contact.userId, ConnectedToAgentTimestamp: epochSeconds(contact.connectedToAgentAt) }
    : undefined;

/**
 * `DescribeContact`'s answer for a contact, as the API reference shapes it, showing `attributes` (the
 * contact's own unless the read lags an update of them) as `Attributes` when there are any.
 *
 * @example
 * describeContactOutput(center, contact).Contact; // { Arn, Id, Channel, InitiationTimestamp, … }
 */
export function describeContactOutput(
  center: ContactCenter,
  contact: Contact,
  attributes: Readonly<Record<string, string>> = contact.attributes ?? {},
): Record<string, unknown> {
  return {
    Contact: {
      Arn: center.contactArn(contact.instanceId, contact.id),
      Id: contact.id,
      // As the API reference shows it: only a contact related to others names its initial contact.
      InitialContactId: contact.chain !== contact.id ? contact.chain : undefined,
      PreviousContactId: contact.previousContactId,
      Channel: contact.channel,
      InitiationMethod: contact.initiationMethod,
      InitiationTimestamp: epochSeconds(contact.initiatedAt),
      DisconnectTimestamp: epochSeconds(contact.disconnectedAt),
      LastUpdateTimestamp: epochSeconds(contact.updatedAt ?? contact.initiatedAt),
      QueueInfo: queueInfoOf(contact),
      AgentInfo: agentInfoOf(contact),
      Attributes: Object.keys(attributes).length > 0 ? { ...attributes } : undefined,
    },
  };
}

/**
 * `ListAssociatedContacts`' answer: the contacts of the tree (one page: trees here are small), every one
 * unless `tree` names the ones the read sees.
 *
 * @example
 * associatedContactsOutput(center, contact).ContactSummaryList; // [{ ContactId, PreviousContactId, … }]
 */
export function associatedContactsOutput(
  center: ContactCenter,
  contact: Contact,
  tree: readonly Contact[] = center.treeOf(contact),
): Record<string, unknown> {
  return {
    ContactSummaryList: tree.map((other) => ({
      ContactId: other.id,
      ContactArn: center.contactArn(other.instanceId, other.id),
      Channel: other.channel,
      InitialContactId: other.chain !== other.id ? other.chain : undefined,
      PreviousContactId: other.previousContactId,
      InitiationMethod: other.initiationMethod,
      InitiationTimestamp: epochSeconds(other.initiatedAt),
      DisconnectTimestamp: epochSeconds(other.disconnectedAt),
    })),
  };
}
