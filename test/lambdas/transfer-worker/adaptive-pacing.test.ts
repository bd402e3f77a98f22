import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../../lambdas/transfer-worker/AdaptivePacer.js';
import { DynamoPacingStore } from '../../../lambdas/transfer-worker/DynamoPacingStore.js';
import { pacingPolicy } from '../../../src/domain/pacing.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';

// Two workers of one deployment, each with its own pacer and clock reading, sharing the ledger's item.
describe('adaptive pacing: workers share one view of the rate', () => {
  let dynamodb: LocalEngine;
  let store: DynamoPacingStore;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await client.send(
      new CreateTableCommand({
        TableName: 'ledger',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    store = new DynamoPacingStore(DynamoDBDocumentClient.from(client), 'ledger');
  });
  afterAll(() => dynamodb.stop());

  it('converges: a throttle one worker sees slows the other, and the episode lowers the rate once', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const policy = pacingPolicy(2);
    const a = new AdaptivePacer(store, policy, 2, 2_000, clock);
    const b = new AdaptivePacer(store, policy, 2, 2_000, clock);
    await Promise.all([a.waitTurn(), b.waitTurn()]);
    expect([a.rate, b.rate]).toEqual([2, 2]);

    await a.onThrottle();
    expect(a.rate).toBe(1);
    // B throttled moments later, before it read the new state: the same episode, no second decrease.
    now += 500;
    await b.onThrottle();
    expect(b.rate).toBeCloseTo(a.rate, 6);
    expect((await store.read())?.changedAt).toBe(1_000_000);
    expect((await store.read())?.rate).toBe(1);
    // A throttle in a later episode lowers it again, once.
    now += 2_000;
    await b.onThrottle();
    await a.onThrottle();
    expect((await store.read())?.changedAt).toBe(1_002_500);
    now += 2_000;
    await a.waitTurn();
    expect(a.rate).toBeCloseTo(b.rate, 6);

    // Both climb back together, as the state and the clock say.
    now += 60_000;
    await Promise.all([a.waitTurn(), b.waitTurn()]);
    expect(a.rate).toBeCloseTo(b.rate, 6);
    expect(a.rate).toBeGreaterThan(1);
    expect(a.rate).toBeLessThan(2);
  });
});
