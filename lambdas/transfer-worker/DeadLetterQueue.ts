import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DeadLetterAttribute, MAX_REASON_CHARS } from '../../src/contract/index.js';
import type { Failure } from '../../src/domain/index.js';
import { carryAttributes, numberAttribute, textAttribute } from './messageAttributes.js';
import { SLOT_AT_ATTRIBUTE, SLOT_EPOCH_ATTRIBUTE } from './QueueHold.js';
import { ORIGINAL_MESSAGE_ATTRIBUTE, originalMessageIdOf } from './RequeueSender.js';

/**
 * Sends failed records to the dead-letter queue: the original body unchanged (so a redrive reprocesses it as
 * it was), with message attributes that say why.
 */
export class DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Dead-letters one record with its reason.
   *
   * @param clientToken - the token the request ran under (derived ones included), so a redrive keeps it.
   * @example
   * await dlq.send(record, { errorClass: 'CapReached', code: 'TransferCapReached', message: '…' }, 'token-1');
   */
  async send(record: SQSRecord, failure: Failure, clientToken: string | undefined): Promise<void> {
    const reason: Record<string, MessageAttributeValue> = {
      [DeadLetterAttribute.ErrorClass]: textAttribute(failure.errorClass),
      [DeadLetterAttribute.ErrorCode]: textAttribute(failure.code),
      [DeadLetterAttribute.ErrorMessage]: textAttribute(failure.message.slice(0, MAX_REASON_CHARS)),
      // The message the producer sent, also when this record was a copy the worker sent back to the queue.
      [DeadLetterAttribute.SourceMessageId]: textAttribute(originalMessageIdOf(record)),
      [DeadLetterAttribute.ReceiveCount]: numberAttribute(record.attributes?.ApproximateReceiveCount || '1'),
      [DeadLetterAttribute.FailedAt]: textAttribute(new Date().toISOString()),
      ...(clientToken && { [DeadLetterAttribute.ClientToken]: textAttribute(clientToken) }),
    };
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        // SQS never delivers an empty body and refuses to send one; the placeholder only guards the contract.
        MessageBody: record.body || '(empty body)',
        // A dead letter ends the request's round: a redrive is a new message, with no slot and its own id.
        MessageAttributes: carryAttributes(record, reason, [
          ORIGINAL_MESSAGE_ATTRIBUTE,
          SLOT_AT_ATTRIBUTE,
          SLOT_EPOCH_ATTRIBUTE,
        ]),
      }),
    );
  }
}
