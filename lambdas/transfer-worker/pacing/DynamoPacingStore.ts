import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerKey } from '../../../src/contract/index.js';
import type { PacingState } from '../../../src/domain/index.js';
import type { PacingStore } from './AdaptivePacer.js';
import type { ScheduleStore } from './SharedSchedule.js';

/** The pacing state as the item keeps it, or `undefined` for an item no throttle wrote. */
function pacingStateOf(item: Record<string, unknown> | undefined): PacingState | undefined {
  if (!item || typeof item.rate !== 'number' || typeof item.changedAt !== 'number') return undefined;
  return {
    rate: item.rate,
    changedAt: item.changedAt,
    ...(typeof item.throttledRate === 'number' && { throttledRate: item.throttledRate }),
  };
}

/**
 * The shared pacing state in the ledger table (`pacing#TransferContact`): read by every worker every few
 * seconds (eventually consistent, half a read unit), written only when Connect throttles, once per episode.
 * The same item keeps the end of the deployment's schedule (`nextFreeAt`): one conditional write per batch
 * that books slots; a throttle moves it back to the throttle's time, voiding the slots booked at the old rate.
 */
export class DynamoPacingStore implements PacingStore, ScheduleStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<PacingState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: LedgerKey.pacing() } }),
    );
    return pacingStateOf(Item);
  }

  async readSchedule(): Promise<{ state?: PacingState; nextFreeAt?: number }> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: LedgerKey.pacing() }, ConsistentRead: true }),
    );
    const state = pacingStateOf(Item);
    return {
      ...(state && { state }),
      ...(typeof Item?.nextFreeAt === 'number' && { nextFreeAt: Item.nextFreeAt }),
    };
  }

  async advanceSchedule(seen: number | undefined, next: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.pacing() },
          UpdateExpression: 'SET nextFreeAt = :next',
          ConditionExpression: seen === undefined ? 'attribute_not_exists(nextFreeAt)' : 'nextFreeAt = :seen',
          ExpressionAttributeValues: { ':next': next, ...(seen !== undefined && { ':seen': seen }) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async lower(next: PacingState, episodeStart: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.pacing() },
          // The schedule restarts at the throttle: slots booked at the old rate are void (a new epoch).
          UpdateExpression:
            'SET rate = :rate, changedAt = :changedAt, throttledRate = :throttledRate, nextFreeAt = :changedAt',
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
