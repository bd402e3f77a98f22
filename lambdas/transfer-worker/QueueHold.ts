import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { carryAttributes, numberAttribute, textAttribute } from './messageAttributes.js';
import {
  FIRST_SENT_ATTRIBUTE,
  firstSentAtOf,
  ORIGINAL_MESSAGE_ATTRIBUTE,
  originalMessageIdOf,
  TRACE_CONTEXT_REMOVAL,
  withoutTraceContext,
} from './RequeueSender.js';

/** The message attribute carrying a request's slot in the deployment's schedule (ms). */
export const SLOT_AT_ATTRIBUTE = 'SlotAt';

/** The message attribute carrying the schedule's epoch the slot was booked in. */
export const SLOT_EPOCH_ATTRIBUTE = 'SlotEpoch';

/** A slot a request carries. */
export interface CarriedSlot {
  readonly at: number;
  readonly epoch: number;
}

/** The slot a record came back with, if it carries one. */
export function slotOf(record: SQSRecord): CarriedSlot | undefined {
  const at = Number(record.messageAttributes?.[SLOT_AT_ATTRIBUTE]?.stringValue);
  const epoch = Number(record.messageAttributes?.[SLOT_EPOCH_ATTRIBUTE]?.stringValue);
  return Number.isFinite(at) && at > 0 && Number.isFinite(epoch) ? { at, epoch } : undefined;
}

/** A request to hold in the queue: how long, under which token, and with which slot (if it has one). */
export interface HeldRequest {
  readonly record: SQSRecord;
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
 * new round of deliveries; like a requeue it carries no trace context, so Lambda's recursive-loop detection
 * does not count the holds of one request as a loop.
 */
export class QueueHold {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
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
          MessageAttributes: carryAttributes(request.record, {
            ClientToken: textAttribute(request.clientToken),
            [FIRST_SENT_ATTRIBUTE]: numberAttribute(firstSentAtOf(request.record)),
            [ORIGINAL_MESSAGE_ATTRIBUTE]: textAttribute(originalMessageIdOf(request.record)),
            ...(request.slot && {
              [SLOT_AT_ATTRIBUTE]: numberAttribute(request.slot.at),
              [SLOT_EPOCH_ATTRIBUTE]: numberAttribute(request.slot.epoch),
            }),
          }),
        })),
      });
      command.middlewareStack.add(
        withoutTraceContext<SendMessageBatchCommandInput, SendMessageBatchCommandOutput>(),
        TRACE_CONTEXT_REMOVAL,
      );
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
