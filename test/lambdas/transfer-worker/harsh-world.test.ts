import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SUCCESSOR_READ_LAG_MS } from '../../../src/domain/index.js';
import {
  derivedToken,
  queueTransfer,
  sqsEvent,
  sqsRecord,
  WORKER_SENDER_ID,
} from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

// AWS is harsher than a kind emulator. Each case here breaks a promise of a worker that trusts Connect's
// token memory, its order of checks, or the SQS message id: the simulator plays the harsh side.
const EIGHT_DAYS_MS = 8 * 86_400_000;

/** A redrive (StartMessageMoveTask, the console's DLQ redrive): the same body under a new message id. */
const redrive = (record: SQSRecord, attributes: SQSRecord['messageAttributes'] = {}): SQSRecord =>
  sqsRecord(record.body, { messageAttributes: attributes });

describe('harsh world: Connect forgets a ClientToken (keep-id contacts, so a second transfer is possible)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({
      simulator: { contactIdMode: 'keep', tokenWindowMs: 7 * 86_400_000 },
      env: { TOKEN_REPLAY_WINDOW_SECONDS: '0' },
    });
  });
  afterAll(() => harness.stop());
  beforeEach(() => harness.connect.injectFaults({}));
  const transfersOf = (contact: string) =>
    harness.connect.transfersPerChain().get(`instance-1/${contact}`) ?? 0;

  it('replays a completed token sent again after the idempotency TTL and Connect’s window, without calling Connect', async () => {
    const contact = harness.newContact();
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'forgotten-1' }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);

    expect(await harness.expireIdempotencyRecords()).toBeGreaterThan(0);
    harness.connect.advanceClock(EIGHT_DAYS_MS);
    const calls = harness.transferCalls().length;
    expect((await harness.invoke(sqsEvent(sqsRecord(record.body)))).batchItemFailures).toEqual([]);
    expect(harness.transferCalls().length).toBe(calls);
    expect(transfersOf(contact)).toBe(1);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('does not transfer again a request whose answer was lost when it is redriven after Connect forgot the token', async () => {
    const contact = harness.newContact();
    // Transferred, answered 500 on its last delivery: its outcome is unknown, so it is sent back to the
    // queue, never dead-lettered as a failure (a consumer could answer a Failed with a new token).
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'lost-answer-1' }), {
      receiveCount: 5,
    });
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(await harness.drainDlq()).toEqual([]);
    expect(transfersOf(contact)).toBe(1);

    harness.connect.advanceClock(EIGHT_DAYS_MS);
    await harness.expireIdempotencyRecords();
    const calls = harness.transferCalls().length;
    expect((await harness.invoke(sqsEvent(redrive(record)))).batchItemFailures).toEqual([]);
    // Reconciled with DescribeContact (the contact sits in the requested queue) instead of calling again.
    expect(harness.transferCalls().length).toBe(calls);
    expect(transfersOf(contact)).toBe(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
    expect(await harness.drainDlq()).toEqual([]);
  });
});

describe('harsh world: Connect checks the contact before the token (new contact ids)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({
      simulator: { contactIdMode: 'new', checkOrder: 'state-first' },
      // Within the window the worker retries with the same token, which a state-first Connect refuses.
      env: { TOKEN_REPLAY_WINDOW_SECONDS: '3600' },
    });
  });
  afterAll(() => harness.stop());
  beforeEach(() => harness.connect.injectFaults({}));
  const transfersOf = (contact: string) =>
    harness.connect.transfersPerChain().get(`instance-1/${contact}`) ?? 0;

  it('keeps the reservation and learns the new contact when the retry of a lost answer is refused “not active”', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'state-first-1' }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    expect(transfersOf(contact)).toBe(1);

    const retry = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(retry))).batchItemFailures).toEqual([]);
    const refused = harness.transferCalls().at(-1);
    expect(refused?.status).toBe(400);
    // The ledger still counts the transfer Connect made, and knows the contact it started.
    expect([...(await harness.chainTokens(contact))]).toEqual(['state-first-1']);
    expect(transfersOf(contact)).toBe(1);
    expect(await harness.drainDlq()).toEqual([]);
    const successor = harness.successorOf(contact) ?? '';
    expect(await harness.ledger.knownChainOf('instance-1', successor)).toBe(`chain#instance-1#${contact}`);
  });

  it('dead-letters as AmbiguousTransfer, reservation kept, when nothing proves what the lost attempt did', async () => {
    const contact = harness.newContact();
    // The call is dropped before Connect acts; meanwhile the contact ends (an agent closed the task).
    harness.connect.injectFaults({ script: [{ kind: 'drop' }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'ambiguous-1' }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    harness.connect.seed({ instances: [{ id: 'instance-1', contacts: [{ id: contact, state: 'ENDED' }] }] });
    // Past the time an ended contact's successor may take to show in Connect's reads (its Date header is cut
    // to the second, so the worker's view of Connect's clock runs up to a second early).
    harness.connect.advanceClock(SUCCESSOR_READ_LAG_MS + 2_000);

    const retry = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(retry))).batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes).toMatchObject({
      ErrorClass: 'AmbiguousTransfer',
      ErrorCode: 'AmbiguousTransfer',
    });
    expect(dead?.attributes.ErrorMessage).toMatch(/may have transferred/);
    // Over-counted (the safe side), never over-transferred.
    expect((await harness.chainTokens(contact)).size).toBe(1);
    expect(transfersOf(contact)).toBe(0);
  });
});

describe('harsh world: a transfer gives the contact a new id the worker never learned', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({
      env: { TRANSFER_CAP: '2' },
      simulator: { contactIdMode: 'new' },
    });
  });
  afterAll(() => harness.stop());

  it('counts requests naming the new contact against the same chain, so the cap still holds', async () => {
    const root = harness.newContact();
    // The first transfer happens but its answer is lost: the worker never hears of the new contact.
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: root, ClientToken: 'tree-1' }))));
    harness.connect.injectFaults({});
    const second = harness.successorOf(root) ?? '';
    expect(second).not.toBe('');

    // The new contact's own events ask for transfers of it at once.
    await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: second, ClientToken: 'tree-2' }))));
    const third = harness.successorOf(second) ?? '';
    expect(third).not.toBe('');
    await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: third, ClientToken: 'tree-3' }))));

    expect(harness.connect.transfersPerChain().get(`instance-1/${root}`)).toBe(2);
    expect((await harness.chainTokens(root)).size).toBe(2);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes).toMatchObject({ ErrorClass: 'CapReached', ClientToken: 'tree-3' });
  });
});

describe('harsh world: SQS moves a message to the DLQ without our attributes, and a redrive gives a new id', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ simulator: { contactIdMode: 'keep' } });
  });
  afterAll(() => harness.stop());

  it('transfers a request without a ClientToken once, however many message ids it comes back under', async () => {
    const contact = harness.newContact();
    const record = sqsRecord(queueTransfer({ ContactId: contact }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    // The invocation died before the delete: SQS moved it to the DLQ by itself (no attributes of ours),
    // and an operator redrove it: a new message id, no ClientToken attribute.
    expect((await harness.invoke(sqsEvent(redrive(record)))).batchItemFailures).toEqual([]);
    // Even after the idempotency records expired, the ledger answers.
    await harness.expireIdempotencyRecords();
    expect((await harness.invoke(sqsEvent(redrive(record)))).batchItemFailures).toEqual([]);

    expect(harness.connect.transfersPerChain().get(`instance-1/${contact}`)).toBe(1);
    expect(harness.transferCalls().filter((c) => c.input.ContactId === contact)).toHaveLength(1);
    expect([...(await harness.chainTokens(contact))]).toEqual([derivedToken(record)]);
  });
});

describe('harsh world: Connect lists a new contact late, after a retry it refused “not active”', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({
      // Every new contact stays out of Connect's reads (its tree, DescribeContact) for 5 s of its clock.
      simulator: { contactIdMode: 'new', checkOrder: 'state-first', readLagMs: 5_000, readLagShare: 1 },
      env: { MAX_RECEIVE_COUNT: '2' },
    });
  });
  afterAll(() => harness.stop());

  it('sends the request back while the successor may not show yet, then settles it as transferred', async () => {
    const contact = harness.newContact();
    harness.connect.advanceClock(6_000); // the contact itself is old enough to show
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'lagging-successor-1' }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);

    // Its last delivery: refused (the contact ended by our own transfer), and the contact's tree does not
    // list the new contact yet. Not an AmbiguousTransfer: too soon to tell, so it is sent back.
    const last = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(last))).batchItemFailures).toEqual([]);
    expect(harness.transferCalls().at(-1)?.status).toBe(400);
    expect(await harness.drainDlq()).toEqual([]);
    const queueName = harness.queueUrl.split('/').at(-1) ?? '';
    const [requeued] = harness.sqs.server.inspectQueue(queueName)?.messages.delayed ?? [];
    expect(requeued?.body).toBe(record.body);
    await harness.purgeQueue();

    // Once the new contact shows, the copy settles the transfer Connect made: no second call, no dead letter.
    harness.connect.advanceClock(6_000);
    const calls = harness.transferCalls().length;
    const again = sqsRecord(requeued?.body, {
      senderId: WORKER_SENDER_ID,
      messageAttributes: {
        ClientToken: { dataType: 'String', stringValue: 'lagging-successor-1' },
        Requeues: { dataType: 'Number', stringValue: '1' },
      },
    });
    expect((await harness.invoke(sqsEvent(again))).batchItemFailures).toEqual([]);
    expect(await harness.drainDlq()).toEqual([]);
    const successor = harness.successorOf(contact) ?? '';
    expect(await harness.ledger.knownChainOf('instance-1', successor)).toBe(`chain#instance-1#${contact}`);
    expect([...(await harness.chainTokens(contact))]).toEqual(['lagging-successor-1']);
    expect(harness.transferCalls().length - calls).toBeLessThanOrEqual(1);
    expect(harness.transfersMade()).toBe(1);
  });
});
