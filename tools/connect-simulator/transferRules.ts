import type { Contact, FlowType } from './types.js';
import { ApiError, invalidRequest, notFound } from './wire.js';

// The simulator's own copy of Connect's documented rules: a checker must not share the checked code.
const TRANSFERABLE_CHANNELS = new Set<string>(['TASK', 'EMAIL']);
const TRANSFER_FLOW_TYPES = new Set<string>(['CONTACT_FLOW', 'AGENT_TRANSFER', 'QUEUE_TRANSFER']);

/** A `TransferContact` input whose fields have the types and lengths of the API reference. */
export interface TransferInput {
  readonly InstanceId: string;
  readonly ContactId: string;
  readonly ContactFlowId: string;
  readonly QueueId?: string;
  readonly UserId?: string;
  readonly ClientToken?: string;
}

const FIELD_LIMITS = [
  ['InstanceId', 100, true],
  ['ContactId', 256, true],
  ['ContactFlowId', 500, true],
  ['QueueId', 500, false],
  ['UserId', 256, false],
  ['ClientToken', 500, false],
] as const;

/**
 * The input's fields, checked against the API reference's types and lengths (400 otherwise).
 *
 * @example
 * readTransferInput({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }).QueueId; // 'q'
 */
export function readTransferInput(input: Record<string, unknown>): TransferInput {
  const fields: Record<string, string> = {};
  for (const [name, max, required] of FIELD_LIMITS) {
    const value = input[name];
    if (value === undefined || value === null) {
      if (required) throw invalidRequest(`${name} is required`);
      continue;
    }
    if (typeof value !== 'string' || value.length < 1 || value.length > max)
      throw invalidRequest(`${name} must be a string of 1 to ${max} characters`);
    fields[name] = value;
  }
  return fields as unknown as TransferInput;
}

/** The input's identity for token reuse: the same token with another identity is a 409. */
export const fingerprintOf = (input: Record<string, unknown>): string =>
  JSON.stringify(
    ['InstanceId', 'ContactId', 'ContactFlowId', 'QueueId', 'UserId'].map((k) => input[k] ?? null),
  );

/**
 * The contact to transfer, if it may be: it exists, is a TASK or EMAIL contact, and is active.
 *
 * @example
 * transferableContact(undefined, 'c-1'); // throws 404 contact c-1 not found
 */
export function transferableContact(contact: Contact | undefined, contactId: string): Contact {
  if (!contact) throw notFound(`contact ${contactId} not found`);
  if (!TRANSFERABLE_CHANNELS.has(contact.channel))
    throw invalidRequest(`Transfer is only supported for TASK and EMAIL contacts, not ${contact.channel}`);
  if (contact.state !== 'ACTIVE') throw invalidRequest(`contact ${contactId} is not active`);
  return contact;
}

/** What an instance holds that a destination may name. */
export interface InstanceResources {
  readonly flows: ReadonlyMap<string, FlowType>;
  readonly queues: ReadonlySet<string>;
  readonly users: ReadonlySet<string>;
}

/**
 * Checks that the input names exactly one destination: a queue or a user.
 *
 * @example
 * checkOneDestination({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q', UserId: 'u' }); // throws 400
 */
export function checkOneDestination(input: TransferInput): void {
  if (input.QueueId !== undefined && input.UserId !== undefined)
    throw invalidRequest('Do not use both QueueId and UserId in the same call');
  if (input.QueueId === undefined && input.UserId === undefined)
    throw invalidRequest('One of QueueId or UserId is required');
}

/** A user's ARN (`arn:aws:connect:<region>:<account>:instance/<instance>/agent/<user>`), read. */
const USER_ARN = /^arn:[^:]+:connect:[^:]*:[^:]*:instance\/([^/]+)\/agent\/([^/]+)$/;

/**
 * The user a transfer names: Connect takes `UserId` as the user's id or its ARN, and shows the id
 * (`AgentInfo.Id`). An ARN of another instance names no user of this one.
 *
 * @example
 * userIdOf('arn:aws:connect:us-east-1:123456789012:instance/i/agent/u-1', 'i'); // 'u-1'
 */
export function userIdOf(userId: string, instanceId: string): string {
  const arn = USER_ARN.exec(userId);
  if (!arn) return userId;
  return arn[1] === instanceId ? (arn[2] ?? userId) : userId;
}

/**
 * Checks that the flow exists and is of a transfer type, and that the queue or user exists.
 *
 * @example
 * checkDestinationResources(instance, { InstanceId: 'i', ContactId: 'c', ContactFlowId: 'nope', QueueId: 'q' }); // throws 404
 */
export function checkDestinationResources(instance: InstanceResources, input: TransferInput): void {
  const { QueueId: queueId, UserId: userId, ContactFlowId: flowId } = input;
  const flowType = instance.flows.get(flowId);
  if (!flowType) throw notFound(`flow ${flowId} not found`);
  if (!TRANSFER_FLOW_TYPES.has(flowType))
    throw invalidRequest(`flow type ${flowType} is not supported for transfers`);
  if (queueId !== undefined && !instance.queues.has(queueId)) throw notFound(`queue ${queueId} not found`);
  if (userId !== undefined && !instance.users.has(userIdOf(userId, input.InstanceId)))
    throw notFound(`user ${userId} not found`);
}

/**
 * Refuses a chain's transfer past Connect's limit (402 ServiceQuotaExceededException).
 *
 * @example
 * checkTransferLimit(11, 11); // throws 402
 */
export function checkTransferLimit(done: number, limit: number): void {
  if (done >= limit)
    throw new ApiError(
      402,
      'ServiceQuotaExceededException',
      `contact cannot be transferred more than ${limit} times`,
    );
}
