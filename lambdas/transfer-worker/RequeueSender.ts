import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { carryAttributes, numberAttribute, textAttribute } from './messageAttributes';

/** The message attribute counting how many times the worker sent a request back to the queue. */
export const REQUEUES_ATTRIBUTE = 'Requeues';

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

/** How many times a record was already sent back (its `Requeues` attribute). */
export const requeuesOf = (record: SQSRecord): number =>
  Number(record.messageAttributes?.[REQUEUES_ATTRIBUTE]?.stringValue ?? 0) || 0;

/**
 * Sends a record back to the transfer queue (its body unchanged, a delay, the `ClientToken` it ran under
 * and a `Requeues` count), so a request throttled on its last allowed delivery starts a new round of
 * deliveries instead of going to the DLQ. The new message has a new id: the token attribute keeps a
 * derived token the same.
 */
export class RequeueSender {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Sends the record back.
   *
   * @example
   * await requeue.send(record, 'token-1');
   */
  async send(record: SQSRecord, clientToken: string): Promise<void> {
    const requeues = requeuesOf(record);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: record.body,
        DelaySeconds: requeueDelaySeconds(requeues),
        MessageAttributes: carryAttributes(record, {
          ClientToken: textAttribute(clientToken),
          [REQUEUES_ATTRIBUTE]: numberAttribute(requeues + 1),
        }),
      }),
    );
  }
}
