import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStateOf, TransferLedger } from '../../../lambdas/transfer-worker/ledger/TransferLedger.js';
import { LedgerKey } from '../../../src/contract/index.js';
import { nextRequestState, type RequestEvent, type RequestState } from '../../../src/domain/index.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';
import { createTable } from '../../support/harness.js';

// The request record's state machine is the spec: for every state and every event, what the ledger adapter
// writes to dynalite reads back as the state `nextRequestState` says.
const STATES: Record<string, RequestState> = {
  absent: { kind: 'absent' },
  open: { kind: 'open', attemptId: 'attempt-1', attemptedAt: 1_000 },
  'open, ambiguous': { kind: 'open', attemptId: 'attempt-1', attemptedAt: 1_000, ambiguousSince: 500 },
  idle: { kind: 'idle' },
  'idle, ambiguous': { kind: 'idle', ambiguousSince: 500 },
  transferred: { kind: 'transferred', ContactId: 'c-2', ContactArn: 'arn-2' },
};
const EVENTS: Record<string, RequestEvent> = {
  'begin (another attempt)': { kind: 'begin', attemptId: 'attempt-2', at: 2_000 },
  'begin (its own write, read back)': { kind: 'begin', attemptId: 'attempt-1', at: 2_000 },
  'lost answer': { kind: 'lost-answer', at: 2_000 },
  close: { kind: 'close' },
  'close (its own lease)': { kind: 'close', attemptId: 'attempt-1' },
  'close (another lease)': { kind: 'close', attemptId: 'attempt-9' },
  'proved not transferred': { kind: 'proved-not-transferred' },
  forget: { kind: 'forget' },
  transferred: { kind: 'transferred', ContactId: 'c-3', ContactArn: 'arn-3' },
};

/** The item that shows a state, as the adapter's writes leave it. */
const itemOf = (token: string, state: RequestState): Record<string, unknown> | undefined => {
  const pk = LedgerKey.request(token);
  const base = { pk, fingerprint: 'f', chain: 'chain#i#c', firstSeenAt: 0 };
  switch (state.kind) {
    case 'absent':
      return undefined;
    case 'open':
      return {
        ...base,
        attemptId: state.attemptId,
        attemptedAt: state.attemptedAt,
        ambiguousSince: state.ambiguousSince,
      };
    case 'idle':
      return { ...base, ambiguousSince: state.ambiguousSince };
    case 'transferred':
      return { ...base, ContactId: state.ContactId, ContactArn: state.ContactArn, transferredAt: 0 };
  }
};

describe('the request record: the adapter persists the state machine', () => {
  let dynamodb: LocalEngine;
  let documents: DynamoDBDocumentClient;
  let ledger: TransferLedger;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await createTable(client, 'ledger', 'pk');
    documents = DynamoDBDocumentClient.from(client);
    ledger = new TransferLedger(documents, 'ledger', 11);
  });
  afterAll(() => dynamodb.stop());

  const cases = Object.entries(STATES).flatMap(([stateName, state]) =>
    Object.entries(EVENTS).map(([eventName, event]) => [stateName, eventName, state, event] as const),
  );
  it.each(cases)('%s, then %s', async (_s, _e, state, event) => {
    const token = `t-${Math.random().toString(36).slice(2)}`;
    const pk = LedgerKey.request(token);
    const item = itemOf(token, state);
    if (item)
      await documents.send(new PutCommand({ TableName: 'ledger', Item: JSON.parse(JSON.stringify(item)) }));
    else await documents.send(new DeleteCommand({ TableName: 'ledger', Key: { pk } }));

    if (event.kind === 'begin')
      await ledger.beginRequest(token, 'f', 'chain#i#c', { attemptId: event.attemptId, now: event.at });
    else if (event.kind === 'forget') await ledger.forget('chain#i#c', token);
    else await ledger.record(token, event);

    const { Item } = await documents.send(
      new GetCommand({ TableName: 'ledger', Key: { pk }, ConsistentRead: true }),
    );
    expect(requestStateOf(Item)).toEqual(nextRequestState(state, event));
  });

  it('reads a record open before attempts had ids (a start, no id) as an attempt whose worker died', async () => {
    const token = 'legacy-open';
    await documents.send(
      new PutCommand({
        TableName: 'ledger',
        Item: { pk: LedgerKey.request(token), fingerprint: 'f', chain: 'chain#i#c', attemptedAt: 1_000 },
      }),
    );
    const history = await ledger.beginRequest(token, 'f', 'chain#i#c', { attemptId: 'a-2', now: 5_000 });
    expect(history.ambiguousSince).toBe(1_000);
  });
});
