import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RejectionLedger } from '../../../lambdas/transfer-worker/ledger/RejectionLedger.js';
import { LedgerKey } from '../../../src/contract/index.js';
import {
  type DeadLetterEvent,
  type DeadLetterState,
  ErrorClass,
  type Failure,
  nextDeadLetterState,
} from '../../../src/domain/index.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';
import { createTable } from '../../support/harness.js';

// The dead-letter record's state machine is the spec: for every state and every event, what the adapter
// writes to dynalite reads back (through the same read a redelivery makes) as `nextDeadLetterState` says.
const first: Failure = { errorClass: ErrorClass.CapReached, code: 'TransferCapReached', message: 'cap 11' };
const second: Failure = { errorClass: ErrorClass.Transient, code: 'ThrottlingException', message: 'slow' };
const STATES: Record<string, DeadLetterState> = {
  absent: { kind: 'absent' },
  'dead-lettering': { kind: 'dead-lettering', failure: first },
  'dead-lettered': { kind: 'dead-lettered', failure: first },
};
const EVENTS: Record<string, DeadLetterEvent> = {
  decide: { kind: 'decide', failure: second },
  sent: { kind: 'sent' },
};

const itemOf = (messageId: string, state: DeadLetterState): Record<string, unknown> | undefined =>
  state.kind === 'absent'
    ? undefined
    : {
        pk: LedgerKey.deadLetter(messageId),
        deadLettered: state.kind === 'dead-lettered',
        errorClass: state.failure.errorClass,
        errorCode: state.failure.code,
        errorMessage: state.failure.message,
        expiresAt: 1,
      };

describe('the dead-letter record: the adapter persists the state machine', () => {
  let dynamodb: LocalEngine;
  let documents: DynamoDBDocumentClient;
  let rejections: RejectionLedger;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await createTable(client, 'ledger', 'pk');
    documents = DynamoDBDocumentClient.from(client);
    rejections = new RejectionLedger(documents, 'ledger');
  });
  afterAll(() => dynamodb.stop());

  const cases = Object.entries(STATES).flatMap(([stateName, state]) =>
    Object.entries(EVENTS).map(([eventName, event]) => [stateName, eventName, state, event] as const),
  );
  it.each(cases)('%s, then %s', async (_s, _e, state, event) => {
    const messageId = `m-${Math.random().toString(36).slice(2)}`;
    const item = itemOf(messageId, state);
    if (item) await documents.send(new PutCommand({ TableName: 'ledger', Item: item }));
    else
      await documents.send(
        new DeleteCommand({ TableName: 'ledger', Key: { pk: LedgerKey.deadLetter(messageId) } }),
      );

    const expected = nextDeadLetterState(state, event);
    expect(await rejections.recordDeadLetter(messageId, event)).toEqual(expected);
    const read = await rejections.readDeadLetters([messageId]);
    expect(read.get(messageId) ?? { kind: 'absent' }).toEqual(expected);
  });
});
