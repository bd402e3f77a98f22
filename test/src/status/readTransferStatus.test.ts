import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerKey } from '../../../src/contract/index.js';
import { readTransferStatus } from '../../../src/status/readTransferStatus.js';
import { requestIdentity } from '../../../src/status/transferStatus.js';

/*
 * readTransferStatus against a stubbed DynamoDB: what it asks, and what it does with DynamoDB's answers
 * (keys left unprocessed, a rejection that names another request).
 */
const tables = { idempotencyTableName: 'idempotency', ledgerTableName: 'ledger' };
const dynamodb = mockClient(DynamoDBClient);
afterEach(() => dynamodb.reset());
const client = () => new DynamoDBClient({ region: 'us-east-1' });

const requestA = { InstanceId: 'i', ContactId: 'c-a', ContactFlowId: 'f', QueueId: 'q', ClientToken: 't' };
const requestB = { ...requestA, ContactId: 'c-b' };
const capped = (fingerprint?: string) => ({
  pk: LedgerKey.rejection('t'),
  errorClass: 'CapReached',
  errorCode: 'TransferCapReached',
  errorMessage: 'the chain is at its cap',
  failedAt: '2026-11-29T11:00:00.000Z',
  messageId: 'm-1',
  ...(fingerprint && { fingerprint }),
  expiresAt: 1,
});

/** A ledger that answers each BatchGetItem from `items`, leaving the keys in `unprocessedOnce` for the first. */
const ledgerAnswers = (items: Record<string, unknown>[], unprocessedOnce: readonly string[] = []) => {
  let calls = 0;
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(BatchGetItemCommand).callsFake((input) => {
    calls += 1;
    const keys = (input.RequestItems?.ledger?.Keys ?? []) as { pk: { S: string } }[];
    const left = calls === 1 ? keys.filter((key) => unprocessedOnce.includes(key.pk.S)) : [];
    const answered = keys.filter((key) => !left.includes(key)).map((key) => key.pk.S);
    return {
      Responses: {
        ledger: items.filter((item) => answered.includes(String(item.pk))).map((i) => marshall(i)),
      },
      ...(left.length > 0 && { UnprocessedKeys: { ledger: { Keys: left, ConsistentRead: true } } }),
    };
  });
};

describe('readTransferStatus, when DynamoDB leaves keys of its batch read unprocessed', () => {
  it('asks again for the key left unprocessed, and answers with its record', async () => {
    ledgerAnswers([capped()], [LedgerKey.rejection('t')]);
    expect(await readTransferStatus(client(), tables, 't')).toMatchObject({
      status: 'rejected',
      reason: { errorCode: 'TransferCapReached', failedAt: '2026-11-29T11:00:00.000Z' },
    });
    const asked = dynamodb.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems);
    expect(asked).toHaveLength(2);
    expect(asked[1]?.ledger?.Keys).toEqual([{ pk: { S: LedgerKey.rejection('t') } }]);
  });

  it('asks again for the durable record of a transfer left unprocessed', async () => {
    const transferred = {
      pk: LedgerKey.request('t'),
      fingerprint: requestIdentity(requestA).fingerprint,
      ContactId: 'c-new',
      ContactArn: 'arn:c-new',
    };
    ledgerAnswers([transferred], [LedgerKey.request('t')]);
    expect(await readTransferStatus(client(), tables, requestA)).toEqual({
      status: 'transferred',
      ContactId: 'c-new',
      ContactArn: 'arn:c-new',
    });
  });

  it('throws rather than answer without a record DynamoDB keeps leaving unprocessed', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: { ledger: [] },
      UnprocessedKeys: { ledger: input.RequestItems?.ledger },
    }));
    await expect(readTransferStatus(client(), tables, 't')).rejects.toThrow(/unread/);
    expect(dynamodb.commandCalls(BatchGetItemCommand).length).toBeLessThanOrEqual(4);
  });
});

describe('readTransferStatus, given a request, and a rejection that names the request it refused', () => {
  it('does not answer A with the dead letter of B (same token, another contact)', async () => {
    ledgerAnswers([capped(requestIdentity(requestB).fingerprint)]);
    expect((await readTransferStatus(client(), tables, requestA)).status).toBe('unknown');
    expect(await readTransferStatus(client(), tables, requestB)).toMatchObject({
      status: 'rejected',
      reason: { errorCode: 'TransferCapReached', fingerprint: requestIdentity(requestB).fingerprint },
    });
  });

  it('does not answer A with the dead letter of an invalid body that named its token', async () => {
    ledgerAnswers([{ ...capped('invalid'), errorClass: 'InvalidRequest', errorCode: 'ValidationError' }]);
    expect((await readTransferStatus(client(), tables, requestA)).status).toBe('unknown');
    // Given the token alone, the token's records: that rejection.
    expect((await readTransferStatus(client(), tables, 't')).status).toBe('rejected');
  });

  it('answers A with a rejection without a fingerprint (an older worker’s), as before', async () => {
    ledgerAnswers([capped()]);
    expect((await readTransferStatus(client(), tables, requestA)).status).toBe('rejected');
  });
});
