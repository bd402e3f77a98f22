import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerKey } from '../../../src/contract/index.js';
import type { PacingState } from '../../../src/domain/index.js';
import { claimCallTime } from '../../../src/domain/schedule.js';
import type { PacingStore } from './AdaptivePacer.js';
import type { ScheduleStore } from './SharedSchedule.js';

/** The pacing state as the item keeps it, or `undefined` for an item no throttle wrote. */
function pacingStateOf(item: Record<string, unknown> | undefined): PacingState | undefined {
  const pausedAt = typeof item?.pausedAt === 'number' ? { pausedAt: item.pausedAt } : undefined;
  if (!item || typeof item.rate !== 'number' || typeof item.changedAt !== 'number')
    // Paused but never lowered: the ceiling (`currentRate` clamps an unbounded rate to it), epoch 0.
    return pausedAt && { rate: Number.POSITIVE_INFINITY, changedAt: 0, ...pausedAt };
  return {
    rate: item.rate,
    changedAt: item.changedAt,
    ...(typeof item.throttledRate === 'number' && { throttledRate: item.throttledRate }),
    ...pausedAt,
  };
}

/**
 * The shared pacing state in the ledger table (`pacing#TransferContact`): read by every worker every few
 * seconds (eventually consistent, half a read unit), written only when Connect throttles, once per episode.
 * The same item keeps the end of the deployment's schedule (`nextFreeAt`): one conditional write per batch
 * that books slots; a throttle moves it back to the throttle's time, voiding the slots booked at the old rate.
 * And its call cursor (`nextCallAt`): one write per call, when the request is ready to call.
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

  /**
   * `claimCallTime` applied atomically, with no read first (one write a call, and no conflict to retry while
   * the cursor is ahead): a cursor at or past now moves on by an interval and its old value is the call
   * time; one behind now (or none), or more than `maxLeadMs` ahead (a fast clock's write), is set to now plus
   * an interval, and the call time is now. Between two workers doing the latter at once, one write fails its
   * condition and that worker takes the first way.
   */
  async claimCall(now: number, intervalMs: number, maxLeadMs: number): Promise<number> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: LedgerKey.pacing() },
            UpdateExpression: 'SET nextCallAt = nextCallAt + :interval',
            ConditionExpression: 'nextCallAt BETWEEN :now AND :limit',
            ExpressionAttributeValues: { ':interval': intervalMs, ':now': now, ':limit': now + maxLeadMs },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return Attributes?.nextCallAt as number;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const { callAt, nextCallAt } = claimCallTime(undefined, now, intervalMs);
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: LedgerKey.pacing() },
            UpdateExpression: 'SET nextCallAt = :next',
            ConditionExpression:
              'attribute_not_exists(nextCallAt) OR nextCallAt < :now OR nextCallAt > :limit',
            ExpressionAttributeValues: { ':next': nextCallAt, ':now': now, ':limit': now + maxLeadMs },
          }),
        );
        return callAt;
      } catch (error) {
        // Another worker moved the cursor past now in between: take the first way again.
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= 3) throw error;
      }
    }
  }

  async pause(pausedAt: number, episodeStart: number, pauseMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.pacing() },
          // The calls claimed already go ahead; the next one comes `pauseMs` later than it would have.
          UpdateExpression: 'SET pausedAt = :pausedAt, nextCallAt = nextCallAt + :pause',
          ConditionExpression:
            'nextCallAt >= :pausedAt AND (attribute_not_exists(pausedAt) OR pausedAt < :episodeStart)',
          ExpressionAttributeValues: {
            ':pausedAt': pausedAt,
            ':pause': pauseMs,
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
