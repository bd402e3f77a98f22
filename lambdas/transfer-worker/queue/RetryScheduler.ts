import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * Shortens the wait of a record that failed transiently: its visibility is changed to the delay the
 * domain decides (`retryDelaySeconds`), so SQS delivers it again in seconds, not after the queue's whole
 * visibility timeout. If the change fails the record simply waits the full timeout: nothing is lost.
 */
export class RetryScheduler {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Makes the record visible again in `seconds`. Returns whether SQS took the change.
   *
   * @example
   * await retries.retryIn(record, 2);
   */
  async retryIn(record: SQSRecord, seconds: number): Promise<boolean> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: Math.max(0, Math.round(seconds)),
        }),
      );
      return true;
    } catch {
      return false;
    }
  }
}
