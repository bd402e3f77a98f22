import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Failure } from '../../src/domain';

/** SQS accepts at most 10 message attributes per message. */
const MAX_ATTRIBUTES = 10;
/** Long enough for any validation report; keeps the attribute well under the 256 KiB message limit. */
const MAX_REASON_CHARS = 2_000;

/** Names of the message attributes the worker sets on each dead-lettered message. */
export const DeadLetterAttribute = {
  ErrorClass: 'ErrorClass',
  ErrorCode: 'ErrorCode',
  ErrorMessage: 'ErrorMessage',
  SourceMessageId: 'SourceMessageId',
  ClientToken: 'ClientToken',
  ReceiveCount: 'ReceiveCount',
  FailedAt: 'FailedAt',
} as const;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value || '-' });

/** Carries the producer's own attributes over, in the SDK's shape (Lambda hands them over camel-cased). */
const originalAttributes = (record: SQSRecord): Record<string, MessageAttributeValue> => {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined && { StringValue: value.stringValue }),
      ...(value.binaryValue !== undefined && { BinaryValue: Buffer.from(value.binaryValue, 'base64') }),
    };
  }
  return attributes;
};

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
      [DeadLetterAttribute.ErrorClass]: text(failure.errorClass),
      [DeadLetterAttribute.ErrorCode]: text(failure.code),
      [DeadLetterAttribute.ErrorMessage]: text(failure.message.slice(0, MAX_REASON_CHARS)),
      [DeadLetterAttribute.SourceMessageId]: text(record.messageId),
      [DeadLetterAttribute.ReceiveCount]: {
        DataType: 'Number',
        StringValue: record.attributes?.ApproximateReceiveCount || '1',
      },
      [DeadLetterAttribute.FailedAt]: text(new Date().toISOString()),
      ...(clientToken && { [DeadLetterAttribute.ClientToken]: text(clientToken) }),
    };
    // The reason wins the 10-attribute budget; the producer's own attributes fill what is left.
    const kept = Object.entries(originalAttributes(record))
      .filter(([name]) => !(name in reason))
      .slice(0, MAX_ATTRIBUTES - Object.keys(reason).length);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        // SQS never delivers an empty body and refuses to send one; the placeholder only guards the contract.
        MessageBody: record.body || '(empty body)',
        MessageAttributes: { ...Object.fromEntries(kept), ...reason },
      }),
    );
  }
}
