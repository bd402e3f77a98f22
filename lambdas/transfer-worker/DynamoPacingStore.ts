import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerKey } from '../../src/contract/index.js';
import type { PacingState } from '../../src/domain/index.js';
import type { PacingStore } from './AdaptivePacer.js';

/**
 * The shared pacing state in the ledger table (`pacing#TransferContact`): read by every worker every few
 * seconds (eventually consistent, half a read unit), written only when Connect throttles, once per episode.
 */
export class DynamoPacingStore implements PacingStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<PacingState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: LedgerKey.pacing() } }),
    );
    if (!Item || typeof Item.rate !== 'number' || typeof Item.changedAt !== 'number') return undefined;
    return {
      rate: Item.rate,
      changedAt: Item.changedAt,
      ...(typeof Item.throttledRate === 'number' && { throttledRate: Item.throttledRate }),
    };
  }

  async lower(next: PacingState, episodeStart: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.pacing() },
          UpdateExpression: 'SET rate = :rate, changedAt = :changedAt, throttledRate = :throttledRate',
          ConditionExpression: 'attribute_not_exists(changedAt) OR changedAt < :episodeStart',
          ExpressionAttributeValues: {
            ':rate': next.rate,
            ':changedAt': next.changedAt,
            ':throttledRate': next.throttledRate ?? next.rate,
            ':episodeStart': episodeStart,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
