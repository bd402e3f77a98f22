import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DeadLetterAttribute, MAX_REASON_CHARS } from '../../../src/contract/index.js';
import type { Failure } from '../../../src/domain/index.js';
import {
  type CopyFacts,
  copyAttributes,
  copyTrace,
  dropInvocationTrace,
  numberAttribute,
  textAttribute,
} from './messageAttributes.js';

/**
 * Sends failed records to the dead-letter queue: the original body unchanged (so a redrive reprocesses it as
 * it was), with message attributes that say why, always valid for SQS and within the queue's size.
 */
export class DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    /** The DLQ's maximum message size (bytes), body and attributes together. */
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * Dead-letters one record with its reason. A body that leaves too little room keeps the most important
   * attributes (class, code, the producer's message id, the token) and a shorter error message: the whole
   * reason is in the `Failed` outcome event and the token's rejection record.
   *
   * @param clientToken - the token the request ran under (derived ones included), so a redrive keeps it.
   * @example
   * await dlq.send(record, { errorClass: 'CapReached', code: 'TransferCapReached', message: '…' }, 'token-1', facts);
   */
  async send(
    record: SQSRecord,
    failure: Failure,
    clientToken: string | undefined,
    facts: CopyFacts,
  ): Promise<void> {
    const command = new SendMessageCommand({
      QueueUrl: this.queueUrl,
      // SQS never delivers an empty body and refuses to send one; the placeholder only guards the contract.
      MessageBody: record.body || '(empty body)',
      ...copyTrace(record),
      // A dead letter ends the request's round: a redrive is a new message, with none of the copy's facts.
      MessageAttributes: copyAttributes(record, {
        own: {
          [DeadLetterAttribute.ErrorClass]: textAttribute(failure.errorClass),
          [DeadLetterAttribute.ErrorCode]: textAttribute(failure.code, 256),
          // The message the producer sent, also when this record was a copy the worker sent back.
          [DeadLetterAttribute.SourceMessageId]: textAttribute(facts.originalMessageId),
          ...(clientToken && { [DeadLetterAttribute.ClientToken]: textAttribute(clientToken) }),
          [DeadLetterAttribute.ReceiveCount]: numberAttribute(
            record.attributes?.ApproximateReceiveCount || '1',
          ),
          [DeadLetterAttribute.FailedAt]: textAttribute(new Date().toISOString()),
          [DeadLetterAttribute.ErrorMessage]: textAttribute(failure.message, MAX_REASON_CHARS),
        },
        shrinkable: DeadLetterAttribute.ErrorMessage,
        maxBytes: this.maxMessageBytes,
      }),
    });
    // A dead letter starts clean too: a redrive sends it back to the transfer queue.
    dropInvocationTrace(command);
    await this.client.send(command);
  }
}
