import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { contactAttributesProblems } from '../src/contract/connect.js';
import { TRANSFER_REQUESTED_DETAIL_TYPE } from '../src/contract/events.js';
import { RULE_ID_MAX_LENGTH, ruleToken } from '../src/contract/sweep.js';
import type { TransferDestination, TransferRuleOptions } from './props.js';

/**
 * How EventBridge delivers to the transfer queue: its own retry policy made explicit (24 hours, 185
 * attempts), then the event DLQ rather than a silent drop.
 */
export function eventDelivery(eventDeadLetterQueue: sqs.IQueue): targets.SqsQueueProps {
  return { deadLetterQueue: eventDeadLetterQueue, maxEventAge: Duration.hours(24), retryAttempts: 185 };
}

/**
 * A contact-event pattern that leaves out contacts a transfer started (`detail.initiationMethod`
 * `TRANSFER`), unless the options keep them or the pattern names `detail.initiationMethod` itself.
 */
export function transferRulePattern(options: TransferRuleOptions): events.EventPattern {
  const pattern = options.eventPattern;
  const detail = (pattern.detail ?? {}) as Record<string, unknown>;
  if (options.includeTransferredContacts || 'initiationMethod' in detail) return pattern;
  return { ...pattern, detail: { ...detail, initiationMethod: [{ 'anything-but': ['TRANSFER'] }] } };
}

/**
 * The problems of a transfer rule's id (short enough for its tokens) and destination (exactly one of queue or
 * user, and a flow), each naming the fix; empty when they are valid.
 */
export function destinationProblems(id: string, destination: TransferDestination): string[] {
  const problems: string[] = [];
  // Its events and its sweep token a contact `rule-<id>-<contactId>`: that must fit ClientToken for any
  // contact id, or the worker refuses the request (a token given is never cut, unlike one derived).
  if (id.length > RULE_ID_MAX_LENGTH)
    problems.push(
      `addTransferRule('${id.slice(0, 40)}…') id must be at most ${RULE_ID_MAX_LENGTH} characters (its token rule-<id>-<contactId>, with a contact id of up to 256, must fit ClientToken's 500), got ${id.length}`,
    );
  if ((destination.queueId === undefined) === (destination.userId === undefined)) {
    problems.push(
      `addTransferRule('${id}') needs exactly one of destination.queueId or destination.userId, got ${JSON.stringify(destination)}`,
    );
  }
  if (!destination.contactFlowId) {
    problems.push(
      `addTransferRule('${id}') needs destination.contactFlowId, got ${JSON.stringify(destination.contactFlowId)}`,
    );
  }
  if (destination.attributes !== undefined && !Token.isUnresolved(destination.attributes))
    for (const problem of [
      ...contactAttributesProblems(destination.attributes),
      ...placeholderProblems(destination.attributes),
    ])
      problems.push(`addTransferRule('${id}') destination.attributes: ${problem}`);
  return problems;
}

/**
 * Values EventBridge's input template would rewrite: `<name>` is a placeholder there (`<aws.events.rule-name>`,
 * a path of the event), while the sweep sends the value as it is, so the rule's events and its sweep would ask
 * two things under one token.
 */
function placeholderProblems(attributes: Readonly<Record<string, string>>): string[] {
  return Object.entries(attributes)
    .filter(([, value]) => /<[^<>]*>/.test(value))
    .map(([key]) => `${key}'s value holds <…>, which EventBridge's input template reads as a placeholder`);
}

/** Whether a destination sets attributes (an empty map sets none, as the request's schema reads it). */
export const hasAttributes = (destination: TransferDestination): boolean =>
  destination.attributes !== undefined && Object.keys(destination.attributes).length > 0;

/**
 * The message a transfer rule puts on the queue: a `Transfer Contact Requested` event built by an input
 * transformer from the matched event (its contact id and instance ARN) and the rule's destination, with the
 * token `rule-<id>-<contactId>`: one transfer per contact and rule, however often its events repeat (a
 * contact that keeps its id after a transfer is QUEUED again).
 */
export function transferRequestInput(id: string, destination: TransferDestination): events.RuleTargetInput {
  return events.RuleTargetInput.fromObject({
    id: events.EventField.eventId,
    'detail-type': TRANSFER_REQUESTED_DETAIL_TYPE,
    source: events.EventField.source,
    detail: {
      InstanceId: events.EventField.fromPath('$.detail.instanceArn'),
      ContactId: events.EventField.fromPath('$.detail.contactId'),
      ContactFlowId: destination.contactFlowId,
      ...(destination.queueId ? { QueueId: destination.queueId } : { UserId: destination.userId }),
      ...(hasAttributes(destination) && { Attributes: { ...destination.attributes } }),
      // The sweep gives a contact the same token (`ruleToken`), so a late event and the sweep make one transfer.
      ClientToken: ruleToken(id, events.EventField.fromPath('$.detail.contactId')),
    },
  });
}
