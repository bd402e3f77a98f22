import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, LedgerKey, MAX_REASON_CHARS } from '../../../src/contract/index.js';
import {
  type DeadLetterEvent,
  type DeadLetterState,
  ErrorClass,
  type Failure,
} from '../../../src/domain/index.js';
import type { RejectionRecord } from '../../../src/status/transferStatus.js';
import { batchGetAll } from '../../../src/tables/batchGetAll.js';

const CLASSES = new Set<string>(Object.values(ErrorClass));

/**
 * A dead-letter record read back as its state. An item without a reason (written before records carried
 * one) takes the reason at hand, or else a transient failure's.
 */
function deadLetterStateOf(
  item: Record<string, unknown> | undefined,
  fallback: Failure | undefined,
): DeadLetterState {
  if (!item) return { kind: 'absent' };
  const errorClass = String(item.errorClass ?? '');
  const failure: Failure = CLASSES.has(errorClass)
    ? {
        errorClass: errorClass as Failure['errorClass'],
        code: String(item.errorCode ?? ''),
        message: String(item.errorMessage ?? ''),
      }
    : (fallback ?? {
        errorClass: ErrorClass.Transient,
        code: 'DeadLettered',
        message: 'dead-lettered earlier',
      });
  return { kind: item.deadLettered === true ? 'dead-lettered' : 'dead-lettering', failure };
}

/** When a rejection record or dead-letter record expires (the ledger's TTL attribute is `expiresAt`). */
const expiresAt = () => Math.floor(Date.now() / 1000) + DEFAULTS.rejectionRetentionSeconds;

/**
 * The ledger's records of failures, in the same table as the chains: a dead-letter record per message (so
 * a batch that comes back after a crash never dead-letters a message twice) and the latest rejection of
 * each token (for `transfer-contact status`). Both expire after 30 days.
 */
export class RejectionLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Persists one event of a message's dead-letter record (`nextDeadLetterState`, as one write) and returns
   * the state it leads to. `decide` records the decision and its reason, the first reason winning, so a
   * redelivery finishes the same dead letter; `sent` flags that the DLQ has the message, and changes
   * nothing where no decision was recorded. The record is per message (`deadletter#<messageId>`): messages
   * sharing a token never hide one another. Kept 30 days.
   *
   * @example
   * const state = await rejections.recordDeadLetter('message-1', { kind: 'decide', failure });
   * if (deadLetterSteps(state).send) { … }
   */
  async recordDeadLetter(messageId: string, event: DeadLetterEvent): Promise<DeadLetterState> {
    const Key = { pk: LedgerKey.deadLetter(messageId) };
    if (event.kind === 'decide') {
      const { failure } = event;
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
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
      return deadLetterStateOf(Attributes, failure);
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET deadLettered = :true',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return deadLetterStateOf(Attributes, undefined);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: 'absent' };
      throw error;
    }
  }

  /**
   * The dead-letter records of these messages that are not absent, by message id: read before a redelivered
   * record runs, so that a message once dead-lettered never runs again. One consistent `BatchGetItem` per 100 ids, asking again
   * for keys DynamoDB left unprocessed.
   *
   * @example
   * const states = await rejections.readDeadLetters(['message-1']);
   */
  async readDeadLetters(messageIds: readonly string[]): Promise<Map<string, DeadLetterState>> {
    const states = new Map<string, DeadLetterState>();
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
        'the dead-letter records',
      );
      for (const item of items) {
        states.set(
          String(item.pk).slice(LedgerKey.deadLetter('').length),
          deadLetterStateOf(item, undefined),
        );
      }
    }
    return states;
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
