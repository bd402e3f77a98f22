import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RejectionLedger } from '../../../lambdas/transfer-worker/ledger/RejectionLedger.js';
import { TransferLedger } from '../../../lambdas/transfer-worker/ledger/TransferLedger.js';
import { LedgerKey } from '../../../src/contract/index.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';
import { FaultProxy } from '../../../tools/local-engines/FaultProxy.js';
import { FaultyDynamoDBProxy } from '../../../tools/local-engines/FaultyDynamoDBProxy.js';

describe('TransferLedger on dynalite', () => {
  let dynamodb: LocalEngine;
  let client: DynamoDBClient;
  let ledger: TransferLedger;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await client.send(
      new CreateTableCommand({
        TableName: 'ledger',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    ledger = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 3);
  });
  afterAll(() => dynamodb.stop());

  it('records a rejection whose message is larger than a DynamoDB item may be, cut as the DLQ attribute is', async () => {
    await new RejectionLedger(DynamoDBDocumentClient.from(client), 'ledger').recordRejection('huge-token', {
      errorClass: 'PermanentConnectError',
      errorCode: 'InvalidRequestException',
      errorMessage: 'x'.repeat(500_000),
      failedAt: new Date().toISOString(),
      messageId: 'm-1',
    });
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: LedgerKey.rejection('huge-token') } } }),
    );
    expect(Item?.errorMessage?.S).toHaveLength(2_000);
  });

  it('remembers a transferred token for good and refuses it for other parameters', async () => {
    const first = await ledger.beginRequest('t-1', 'fingerprint-a', 'chain#i#c');
    expect(first).toEqual({ chain: 'chain#i#c' });
    await ledger.record('t-1', { kind: 'transferred', ContactId: 'c-2', ContactArn: 'arn-2' });
    expect(await ledger.beginRequest('t-1', 'fingerprint-a', 'chain#i#other')).toEqual({
      chain: 'chain#i#c',
      transferred: { ContactId: 'c-2', ContactArn: 'arn-2' },
    });
    await expect(ledger.beginRequest('t-1', 'fingerprint-b', 'chain#i#c')).rejects.toMatchObject({
      name: 'TokenReusedError',
    });
    // Never forgotten once transferred.
    await ledger.forget('chain#i#c', 't-1');
    expect((await ledger.beginRequest('t-1', 'fingerprint-a', 'chain#i#c')).transferred).toBeDefined();
  });

  it('takes an attempt left open (its worker died) as ambiguous from its start', async () => {
    await ledger.beginRequest('t-2', 'f', 'chain#i#c2');
    const before = Date.now();
    const again = await ledger.beginRequest('t-2', 'f', 'chain#i#c2');
    expect(again.ambiguousSince).toBeLessThanOrEqual(before);
    await ledger.record('t-2', { kind: 'close' });
    // The ambiguity stays until Connect's record clears it.
    expect((await ledger.beginRequest('t-2', 'f', 'chain#i#c2')).ambiguousSince).toBe(again.ambiguousSince);
    await ledger.record('t-2', { kind: 'proved-not-transferred' });
    await ledger.record('t-2', { kind: 'close' });
    expect((await ledger.beginRequest('t-2', 'f', 'chain#i#c2')).ambiguousSince).toBeUndefined();
  });

  it('keeps the earliest open attempt when a begin applied but answered an error (and the SDK retried)', async () => {
    await ledger.beginRequest('t-3', 'f', 'chain#i#c3'); // attempt 1: its worker dies during the call
    const crashedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const proxy = await FaultyDynamoDBProxy.start(dynamodb.endpoint, { failAfterRate: 1 });
    try {
      const client = new DynamoDBClient({ endpoint: proxy.endpoint, maxAttempts: 1 });
      const faulty = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 3);
      // Attempt 2's begin is applied, but answered 500.
      await expect(faulty.beginRequest('t-3', 'f', 'chain#i#c3')).rejects.toThrow();
    } finally {
      await proxy.stop();
    }
    // Its retry must still date the ambiguity from attempt 1, the one that may have transferred.
    const retried = await ledger.beginRequest('t-3', 'f', 'chain#i#c3');
    expect(retried.ambiguousSince).toBeLessThanOrEqual(crashedAt);
  });

  describe('writes to a chain that land late', () => {
    // A ledger whose sends to dynalite can hang past its 300 ms timeout and land later (the SDK retries once).
    let proxy: FaultProxy;
    let hung: TransferLedger;
    beforeAll(async () => {
      proxy = await FaultProxy.start('dynamodb', dynamodb.endpoint, { hangMs: 1_000 });
      const client = new DynamoDBClient({
        endpoint: proxy.endpoint,
        maxAttempts: 2,
        requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
      });
      hung = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 2);
    });
    afterAll(() => proxy.stop());

    it('a reserve that lands after its reservation was given back takes nothing', async () => {
      const chain = 'chain#i#late-reserve';
      proxy.inject({ site: 'ledger.reserve', fault: 'hang', times: 1 });
      await hung.reserve(chain, 'tok'); // the first send hangs; the SDK's retry applies
      await hung.release(chain, 'tok');
      await proxy.settled(); // the first send lands
      expect(await ledger.tokensOf(chain)).toEqual(new Set());
    });

    it('a release that lands after the token reserved again leaves the new reservation', async () => {
      const chain = 'chain#i#late-release';
      await hung.reserve(chain, 'tok');
      proxy.inject({ site: 'ledger.release', fault: 'hang', times: 1 });
      await hung.release(chain, 'tok'); // the first send hangs; the SDK's retry applies
      await hung.reserve(chain, 'tok'); // the token's next attempt
      await proxy.settled(); // the first release lands
      expect(await ledger.tokensOf(chain)).toEqual(new Set(['tok']));
    });

    it('a reserve refused at the cap, whose first send lands after a reservation frees, takes nothing', async () => {
      const chain = 'chain#i#late-capped';
      await ledger.reserve(chain, 'a');
      await ledger.reserve(chain, 'b');
      proxy.inject({ site: 'ledger.reserve', fault: 'hang', times: 1 });
      await expect(hung.reserve(chain, 'c')).rejects.toThrow(/cap/i);
      await ledger.release(chain, 'a');
      await proxy.settled();
      expect(await ledger.tokensOf(chain)).toEqual(new Set(['b']));
    });
  });

  it('trusts no clock: a late release from a worker whose clock is ahead leaves the next attempt its reservation', async () => {
    const chain = 'chain#i#skewed';
    const hangs = await FaultProxy.start('dynamodb', dynamodb.endpoint, { hangMs: 1_200 });
    try {
      const hung = new TransferLedger(
        DynamoDBDocumentClient.from(
          new DynamoDBClient({
            endpoint: hangs.endpoint,
            maxAttempts: 1,
            requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
          }),
        ),
        'ledger',
        1,
      );
      const capOne = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 1);
      // Attempt 1 on a worker 30 s ahead: reserves; its release hangs and is given up on.
      const ahead = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 30_000);
      await hung.reserve(chain, 'tok');
      hangs.inject({ site: 'ledger.release', fault: 'hang', times: 1 });
      await expect(hung.release(chain, 'tok')).rejects.toThrow();
      ahead.mockRestore();
      // Attempt 2 on a worker with the right time reserves (and transfers); then the release lands.
      await capOne.reserve(chain, 'tok');
      await hangs.settled();
      expect(await ledger.tokensOf(chain)).toEqual(new Set(['tok']));
      await expect(capOne.reserve(chain, 'other')).rejects.toThrow(/cap/i);
    } finally {
      await hangs.stop();
    }
  });

  it('refuses many requests at a full chain as CapReached, their releases of nothing not colliding', async () => {
    const chain = 'chain#i#full';
    const capOne = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 1);
    await capOne.reserve(chain, 'holder');
    // As the attempt does: a refused reserve forgets its token (a release of a token with no reservation).
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, async (_, i) => {
        try {
          await capOne.reserve(chain, `t-${i}`);
        } catch (error) {
          await capOne.release(chain, `t-${i}`);
          throw error;
        }
      }),
    );
    const names = outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).name));
    expect(names.every((name) => name === 'CapReachedError')).toBe(true);
    expect(await capOne.tokensOf(chain)).toEqual(new Set(['holder']));
  });

  it('keeps the cap when many writers reserve one chain at once, each loser refused at the cap', async () => {
    const chain = 'chain#i#contended';
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => ledger.reserve(chain, `t-${i}`)),
    );
    const names = outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).name));
    expect(names.filter((name) => name === 'ok')).toHaveLength(3); // this ledger's cap
    expect(names.filter((name) => name !== 'ok').every((name) => name === 'CapReachedError')).toBe(true);
    expect((await ledger.tokensOf(chain)).size).toBe(3);
  });

  it('knows a chain by its root or by an alias, and nothing else', async () => {
    await ledger.reserve('chain#i#root', 'tok');
    await ledger.linkContact('i', 'child', 'chain#i#root');
    expect(await ledger.knownChainOf('i', 'root')).toBe('chain#i#root');
    expect(await ledger.knownChainOf('i', 'child')).toBe('chain#i#root');
    expect(await ledger.knownChainOf('i', 'stranger')).toBeUndefined();
  });

  describe('a reserve seeded with the chain lookup’s read', () => {
    const reads = () => {
      const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
      return () => send.mock.calls.filter(([command]) => command.constructor.name === 'GetCommand').length;
    };

    it('reserves without reading the chain again when the read is current', async () => {
      await ledger.reserve('chain#i#seeded', 'a');
      const { chain, rootRead } = await ledger.lookUpChain('i', 'seeded');
      expect(chain).toBe('chain#i#seeded');
      expect([...rootRead.tokens]).toEqual(['a']);
      const getCount = reads();
      await ledger.reserve('chain#i#seeded', 'b', rootRead);
      expect(getCount()).toBe(0);
      vi.restoreAllMocks();
      expect([...(await ledger.tokensOf('chain#i#seeded'))].sort()).toEqual(['a', 'b']);
    });

    it('a stale read only costs a read: the chain moved since, and the write is made on the new version', async () => {
      const { rootRead } = await ledger.lookUpChain('i', 'moved');
      await ledger.reserve('chain#i#moved', 'a');
      await ledger.reserve('chain#i#moved', 'b');
      const getCount = reads();
      await ledger.reserve('chain#i#moved', 'c', rootRead);
      expect(getCount()).toBe(1);
      vi.restoreAllMocks();
      expect((await ledger.tokensOf('chain#i#moved')).size).toBe(3);
      // Now full (cap 3): a fourth token is refused, whatever its seed showed.
      await expect(ledger.reserve('chain#i#moved', 'd', rootRead)).rejects.toMatchObject({
        name: 'CapReachedError',
      });
    });

    it('never refuses at the cap on the seed: a reservation given back since is found on a fresh read', async () => {
      for (const token of ['a', 'b', 'c']) await ledger.reserve('chain#i#freed', token);
      const { rootRead } = await ledger.lookUpChain('i', 'freed');
      expect(rootRead.tokens.size).toBe(3);
      await ledger.release('chain#i#freed', 'b');
      await ledger.reserve('chain#i#freed', 'd', rootRead);
      expect([...(await ledger.tokensOf('chain#i#freed'))].sort()).toEqual(['a', 'c', 'd']);
    });

    it('ignores a read of another chain', async () => {
      await ledger.reserve('chain#i#other-root', 'a');
      const { rootRead } = await ledger.lookUpChain('i', 'other-root');
      await ledger.reserve('chain#i#not-that-one', 'x', rootRead);
      expect([...(await ledger.tokensOf('chain#i#not-that-one'))]).toEqual(['x']);
      expect([...(await ledger.tokensOf('chain#i#other-root'))]).toEqual(['a']);
    });
  });
});
