import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DeadLetterAttribute, MAX_REASON_CHARS } from '../../src/contract/index.js';
import type { Failure } from '../../src/domain/index.js';
import { carryAttributes, numberAttribute, textAttribute } from './messageAttributes.js';

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
      [DeadLetterAttribute.SourceMessageId]: textAttribute(record.messageId),
      [DeadLetterAttribute.ReceiveCount]: numberAttribute(record.attributes?.ApproximateReceiveCount || '1'),
      [DeadLetterAttribute.FailedAt]: textAttribute(new Date().toISOString()),
      ...(clientToken && { [DeadLetterAttribute.ClientToken]: textAttribute(clientToken) }),
    };
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        // SQS never delivers an empty body and refuses to send one; the placeholder only guards the contract.
        MessageBody: record.body || '(empty body)',
        MessageAttributes: carryAttributes(record, reason),
      }),
    );
  }
}
