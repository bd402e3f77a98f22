import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, LedgerKey, MAX_REASON_CHARS } from '../../../src/contract/index.js';
import { ErrorClass, type Failure } from '../../../src/domain/index.js';
import type { RejectionRecord } from '../../../src/status/transferStatus.js';
import { batchGetAll } from '../../../src/tables/batchGetAll.js';

/** Where a message's dead letter stands, and why it was dead-lettered. */
export interface DeadLetterMarker {
  /** The DLQ has the message. */
  readonly sent: boolean;
  /** The reason it was dead-lettered with (the first one recorded). */
  readonly failure: Failure;
}

const CLASSES = new Set<string>(Object.values(ErrorClass));

/** A marker item read back; a reason it lacks is the one at hand (or, for none, a transient failure). */
function markerOf(
  item: Record<string, unknown> | undefined,
  fallback: Failure | undefined,
): DeadLetterMarker {
  const errorClass = String(item?.errorClass ?? '');
  return {
    sent: item?.deadLettered === true,
    failure: CLASSES.has(errorClass)
      ? {
          errorClass: errorClass as Failure['errorClass'],
          code: String(item?.errorCode ?? ''),
          message: String(item?.errorMessage ?? ''),
        }
      : (fallback ?? {
          errorClass: ErrorClass.Transient,
          code: 'DeadLettered',
          message: 'dead-lettered earlier',
        }),
  };
}

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
   * Starts dead-lettering a message: records, once, that it is being dead-lettered and why (the first
   * reason wins), and says where that stands. A message found already sent (a batch that comes back after
   * a crash, or after its outcome event failed) is not sent again, and its recorded reason is announced, not
   * a new one. The marker is per message (`deadletter#<messageId>`): messages sharing a token never hide one
   * another. Kept 30 days.
   *
   * @example
   * const marker = await rejections.beginDeadLetter('message-1', failure);
   * if (!marker.sent) { … }
   */
  async beginDeadLetter(messageId: string, failure: Failure): Promise<DeadLetterMarker> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: LedgerKey.deadLetter(messageId) },
        UpdateExpression:
          'SET deadLettered = if_not_exists(deadLettered, :false), errorClass = if_not_exists(errorClass, :class), errorCode = if_not_exists(errorCode, :code), errorMessage = if_not_exists(errorMessage, :message), expiresAt = :expiresAt',
        ExpressionAttributeValues: {
          ':false': false,
          ':class': failure.errorClass,
          ':code': failure.code,
          ':message': failure.message.slice(0, MAX_REASON_CHARS),
          ':expiresAt': expiresAt(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return markerOf(Attributes, failure);
  }

  /**
   * The dead-letter markers of these messages, by message id: read before a redelivered record runs, so that
   * a message once dead-lettered never runs again. One consistent `BatchGetItem` per 100 ids, asking again
   * for keys DynamoDB left unprocessed.
   *
   * @example
   * const markers = await rejections.readDeadLetters(['message-1']);
   */
  async readDeadLetters(messageIds: readonly string[]): Promise<Map<string, DeadLetterMarker>> {
    const markers = new Map<string, DeadLetterMarker>();
    for (let i = 0; i < messageIds.length; i += 100) {
      const keys = messageIds.slice(i, i + 100).map((id) => ({ pk: LedgerKey.deadLetter(id) }));
      const items = await batchGetAll(
        async (pending: Record<string, unknown>[]) => {
          const { Responses, UnprocessedKeys } = await this.client.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          return {
            items: Responses?.[this.tableName] ?? [],
            unprocessed: UnprocessedKeys?.[this.tableName]?.Keys ?? [],
          };
        },
        keys,
        'the dead-letter markers',
      );
      for (const item of items) {
        markers.set(String(item.pk).slice(LedgerKey.deadLetter('').length), markerOf(item, undefined));
      }
    }
    return markers;
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
