import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import {
  type CarriedSlot,
  CopyAttribute,
  type CopyFacts,
  carriedFacts,
  copyAttributes,
  copyTrace,
  dropInvocationTrace,
  numberAttribute,
} from './messageAttributes.js';

/** A request to hold in the queue: how long, under which token, and with which slot (if it has one). */
export interface HeldRequest {
  readonly record: SQSRecord;
  /** What the record's copy attributes say (believed only on the worker's own copies). */
  readonly facts: CopyFacts;
  readonly clientToken: string;
  readonly delaySeconds: number;
  readonly slot?: CarriedSlot;
}

/** SQS sends at most 10 messages per `SendMessageBatch`. */
const BATCH_LIMIT = 10;

/**
 * Holds requests in the transfer queue until their slot: each is sent again (its body unchanged, with a
 * delay, the token it runs under, its first send time and its slot), ten to a request, and the original is
 * then acknowledged. A send that fails leaves its record to run in the function. The new message starts a
 * new round of deliveries; like a requeue it keeps its producer's trace but not Lambda's hop counter, so Lambda's recursive-loop detection
 * does not count the holds of one request as a loop.
 */
export class QueueHold {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    /** The queue's maximum message size (bytes). */
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * Sends the requests back to wait. Returns the message ids of the records that are now waiting in the
   * queue (those whose send SQS accepted).
   *
   * @example
   * const held = await hold.send([{ record, clientToken: 'token-1', delaySeconds: 30, slot: { at, epoch: 0 } }]);
   */
  async send(requests: readonly HeldRequest[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
      const chunk = requests.slice(i, i + BATCH_LIMIT);
      const command = new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: chunk.map((request, n) => ({
          Id: String(n),
          MessageBody: request.record.body,
          DelaySeconds: request.delaySeconds,
          ...copyTrace(request.record),
          MessageAttributes: copyAttributes(request.record, {
            // Most important first: what decides what the worker does with the copy, then what it reports.
            own: {
              // A hold is not a requeue: the count a copy carries goes on.
              ...(request.facts.requeues > 0 && {
                [CopyAttribute.Requeues]: numberAttribute(request.facts.requeues),
              }),
              ...(request.slot && {
                [CopyAttribute.SlotAt]: numberAttribute(request.slot.at),
                [CopyAttribute.SlotEpoch]: numberAttribute(request.slot.epoch),
              }),
              ...carriedFacts(request.facts, request.clientToken),
            },
            maxBytes: this.maxMessageBytes,
          }),
        })),
      });
      dropInvocationTrace(command);
      try {
        const { Successful = [] } = await this.client.send(command);
        for (const entry of Successful) {
          const request = chunk[Number(entry.Id)];
          if (request) held.add(request.record.messageId);
        }
      } catch {
        // Nothing of this chunk is known to be held: its records run in the function.
      }
    }
    return held;
  }
}
