import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DeadLetterAttribute, MAX_REASON_CHARS } from '../../../src/contract/index.js';
import type { Failure } from '../../../src/domain/index.js';
import {
  CopyAttribute,
  type CopyFacts,
  carriedFacts,
  copyAttributes,
  copyTrace,
  dropInvocationTrace,
  numberAttribute,
  textAttribute,
} from './messageAttributes.js';

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * How long a request sent back waits before it is visible again: longer each time, at most 15 minutes.
 *
 * @example
 * requeueDelaySeconds(0); // 30
 */
export const requeueDelaySeconds = (requeues: number): number =>
  Math.min(MAX_DELAY_SECONDS, 30 * 2 ** requeues);

/**
 * Sends a record back to the transfer queue (its body unchanged, a delay, the `ClientToken` it ran under
 * and a `Requeues` count), so a request only told "not now" on its last allowed delivery starts a new round of
 * deliveries instead of going to the DLQ. The new message has a new id. The requeue keeps its producer's trace
 * but not Lambda's hop counter, so recursive-loop detection (which stops an event after 16 hops through the
 * same queue) never mistakes the requeue path for a loop, whatever `REQUEUE_LIMIT` is.
 */
export class RequeueSender {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    /** The queue's maximum message size (bytes). */
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * Sends the record back. With `announce`, the copy only announces that message's dead letter (it carries
   * the reason) when it comes back: it never runs.
   *
   * @example
   * await requeue.send(record, 'token-1', facts);
   */
  async send(
    record: SQSRecord,
    clientToken: string | undefined,
    facts: CopyFacts,
    options: { readonly announce?: { readonly deadLetteredAs: string; readonly failure: Failure } } = {},
  ): Promise<void> {
    const { announce } = options;
    const command = new SendMessageCommand({
      QueueUrl: this.queueUrl,
      MessageBody: record.body,
      DelaySeconds: requeueDelaySeconds(facts.requeues),
      ...copyTrace(record),
      // Most important first: what decides what the worker does with the copy, then what it reports.
      MessageAttributes: copyAttributes(record, {
        own: {
          ...(announce && {
            [CopyAttribute.DeadLetteredAs]: textAttribute(announce.deadLetteredAs),
            [DeadLetterAttribute.ErrorClass]: textAttribute(announce.failure.errorClass),
            [DeadLetterAttribute.ErrorCode]: textAttribute(announce.failure.code, 256),
          }),
          [CopyAttribute.Requeues]: numberAttribute(facts.requeues + 1),
          ...carriedFacts(facts, clientToken),
          ...(announce && {
            [DeadLetterAttribute.ErrorMessage]: textAttribute(announce.failure.message, MAX_REASON_CHARS),
          }),
        },
        shrinkable: DeadLetterAttribute.ErrorMessage,
        maxBytes: this.maxMessageBytes,
      }),
    });
    dropInvocationTrace(command);
    await this.client.send(command);
  }
}
