import type { Contact } from './types.js';

/** The contact event types the simulator raises (a subset of Connect's). */
export type ContactEventType = 'INITIATED' | 'QUEUED' | 'CONNECTED_TO_AGENT' | 'DISCONNECTED';

/** A `PutEvents` entry of an `Amazon Connect Contact Event`, as Connect puts it on the default bus. */
export interface ContactEventEntry {
  readonly Source: 'aws.connect';
  readonly DetailType: 'Amazon Connect Contact Event';
  readonly Resources: readonly string[];
  readonly Detail: string;
  readonly EventBusName: 'default';
}

/** The ARNs the event names. */
export interface ContactArns {
  readonly instanceArn: string;
  readonly contactArn: (contactId: string) => string;
  readonly queueArn: (queueId: string) => string;
  readonly agentArn: (userId: string) => string;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * One contact event, shaped as the Amazon Connect admin guide's contact events data model: `eventType`,
 * `contactId`, `channel`, `instanceArn`, `initiationMethod`, `initiationTimestamp`, `previousContactId`,
 * `initialContactId` (for a contact related to others), `queueInfo`, `agentInfo`, `disconnectTimestamp`.
 *
 * @example
 * contactEvent(contact, 'QUEUED', arns); // { Source: 'aws.connect', DetailType: 'Amazon Connect Contact Event', … }
 */
export function contactEvent(
  contact: Contact,
  eventType: ContactEventType,
  arns: ContactArns,
): ContactEventEntry {
  const detail = {
    eventType,
    contactId: contact.id,
    channel: contact.channel,
    instanceArn: arns.instanceArn,
    initiationMethod: contact.initiationMethod,
    initiationTimestamp: iso(contact.initiatedAt),
    ...(contact.previousContactId && { previousContactId: contact.previousContactId }),
    ...(contact.chain !== contact.id && { initialContactId: contact.chain }),
    ...(contact.queueId && {
      queueInfo: {
        queueArn: arns.queueArn(contact.queueId),
        queueType: 'STANDARD',
        enqueueTimestamp: iso(contact.enqueuedAt),
      },
    }),
    ...(contact.userId && {
      agentInfo: {
        agentArn: arns.agentArn(contact.userId),
        connectedToAgentTimestamp: iso(contact.connectedToAgentAt),
      },
    }),
    ...(eventType === 'DISCONNECTED' && { disconnectTimestamp: iso(contact.disconnectedAt) }),
  };
  return {
    Source: 'aws.connect',
    DetailType: 'Amazon Connect Contact Event',
    Resources: [arns.instanceArn, arns.contactArn(contact.id)],
    Detail: JSON.stringify(detail),
    EventBusName: 'default',
  };
}

/**
 * The events a transfer raises: the old contact DISCONNECTED when the transfer gave the task a new contact
 * (which is INITIATED by TRANSFER), then the contact QUEUED or CONNECTED_TO_AGENT at its destination.
 */
export function transferEvents(from: Contact, to: Contact): [Contact, ContactEventType][] {
  const arrived: ContactEventType = to.userId !== undefined ? 'CONNECTED_TO_AGENT' : 'QUEUED';
  if (from === to) return [[to, arrived]];
  return [
    [from, 'DISCONNECTED'],
    [to, 'INITIATED'],
    [to, arrived],
  ];
}
