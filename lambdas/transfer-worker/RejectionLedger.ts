import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, LedgerKey, MAX_REASON_CHARS } from '../../src/contract/index.js';
import type { RejectionRecord } from '../../src/status/transferStatus.js';

/** When a rejection record or dead-letter marker expires (the ledger's TTL attribute is `expiresAt`). */
const expiresAt = () => Math.floor(Date.now() / 1000) + DEFAULTS.rejectionRetentionSeconds;

/**
 * The ledger's records of failures, in the same table as the chains: a marker per dead-lettered message (so
 * a batch that comes back after a crash never dead-letters a message twice) and the latest rejection of
 * each token (for `transfer-contact status`). Both expire after 30 days.
 */
export class RejectionLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Starts dead-lettering a message, unless this same message was already dead-lettered (a batch that
   * comes back after a crash), in which case it answers `already-sent` and nothing is written. The marker
   * is per message (`deadletter#<messageId>`): messages sharing a token never hide one another. Kept 30 days.
   *
   * @example
   * if ((await rejections.beginDeadLetter('message-1')) === 'send') { … }
   */
  async beginDeadLetter(messageId: string): Promise<'send' | 'already-sent'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.deadLetter(messageId) },
          UpdateExpression: 'SET deadLettered = :false, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(pk) OR deadLettered = :false',
          ExpressionAttributeValues: { ':false': false, ':expiresAt': expiresAt() },
        }),
      );
      return 'send';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'already-sent';
      throw error;
    }
  }

  /**
   * Marks a message as dead-lettered, once its DLQ send succeeded.
   *
   * @example
   * await rejections.finishDeadLetter('message-1');
   */
  async finishDeadLetter(messageId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: LedgerKey.deadLetter(messageId) },
        UpdateExpression: 'SET deadLettered = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }

  /**
   * Records why a token's request was dead-lettered, for `transfer-contact status` (the latest rejection
   * of the token wins). One write per rejected request, none per transfer; kept 30 days. The message is cut
   * at 2,000 characters, as the DLQ attribute is, so the item never nears DynamoDB's 400 KB limit.
   *
   * @example
   * await rejections.recordRejection('token-1', { errorClass: 'CapReached', errorCode: 'TransferCapReached', … });
   */
  async recordRejection(token: string, rejection: RejectionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: LedgerKey.rejection(token),
          ...rejection,
          errorMessage: rejection.errorMessage.slice(0, MAX_REASON_CHARS),
          expiresAt: expiresAt(),
        },
      }),
    );
  }
}
