import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFactsOf, sqsText } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { LedgerKey, OUTCOME_EVENT_SOURCE, TRANSFER_FAILED_DETAIL_TYPE } from '../../../src/contract/index.js';
import { type BusEvent, LocalEventBridge } from '../../../tools/local-eventbridge/LocalEventBridge.js';
import {
  queueTransfer,
  sqsEvent,
  sqsRecord,
  WORKER_ROLE_ID,
  WORKER_SENDER_ID,
} from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

const BUS = 'orchestrator-bus';

// Each defect found from outside, on the real handler and the local engines (the local SQS refusing what
// real SQS refuses): each of these failed before the fix it names.
describe('the seams a producer or a fault reaches', () => {
  let harness: WorkerHarness;
  let bridge: LocalEventBridge;
  const events: BusEvent[] = [];
  beforeAll(async () => {
    bridge = await LocalEventBridge.start({ sqsEndpoint: 'http://127.0.0.1:1' });
    bridge.configure({ buses: [BUS], rules: [] });
    bridge.onEvent((bus, event) => {
      if (bus === BUS && event.source === OUTCOME_EVENT_SOURCE) events.push(event);
    });
    harness = await WorkerHarness.start({
      env: {
        OUTCOME_EVENT_BUS_NAME: BUS,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bridge.endpoint,
        MAX_RECEIVE_COUNT: '3',
        TRANSFER_CAP: '2',
        TOKEN_REPLAY_WINDOW_SECONDS: '0',
      },
      simulator: { contactIdMode: 'new' },
    });
  });
  afterAll(async () => {
    await harness.stop();
    await bridge.stop();
  });
  const refusals = () => harness.sqs.realism.refusals;

  it('never runs a dead-lettered record again, even when its chain has room again before it comes back', async () => {
    const contact = harness.newContact();
    const chain = LedgerKey.chain('instance-1', contact);
    await harness.ledger.reserve(chain, 'other-1');
    await harness.ledger.reserve(chain, 'other-2');
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: `capped-${contact}` }));
    bridge.failNextPutEvents(1);
    // Dead-lettered as CapReached; its Failed event refused, so the record comes back.
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    await harness.ledger.release(chain, 'other-2');
    const again = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(again))).batchItemFailures).toEqual([]);
    expect(harness.transferCalls().filter((call) => call.input.ContactId === contact)).toHaveLength(0);
    const dead = await harness.drainDlq();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.attributes.ErrorClass).toBe('CapReached');
    const failed = events.filter(
      (event) =>
        event['detail-type'] === TRANSFER_FAILED_DETAIL_TYPE &&
        (event.detail as { ClientToken?: string }).ClientToken === `capped-${contact}`,
    );
    expect(failed.map((event) => (event.detail as { ErrorClass: string }).ErrorClass)).toEqual([
      'CapReached',
    ]);
  });

  it('dead-letters a request with control characters in its token and a field name, with attributes SQS accepts', async () => {
    const before = refusals().length;
    const body = JSON.stringify({
      ...queueTransfer({ ContactId: harness.newContact(), ClientToken: 'tok\u0001\ud800' }),
      'Bad\u0001Name': 1,
    });
    const record = sqsRecord(body);
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    const [dead, ...rest] = await harness.drainDlq();
    expect(rest).toEqual([]);
    expect(dead?.body).toBe(body);
    expect(dead?.attributes).toMatchObject({ ErrorClass: 'InvalidRequest', ClientToken: 'tok\ufffd\ufffd' });
    expect(dead?.attributes.ErrorMessage).toContain('Bad\ufffdName');
    expect(refusals().slice(before)).toEqual([]);
  });

  it('dead-letters a body near the queue’s maximum size with its reason, within the size', async () => {
    const before = refusals().length;
    const padding = 'x'.repeat(262_144 - 400);
    const body = JSON.stringify({ ...queueTransfer({ ContactId: harness.newContact() }), Padding: padding });
    const record = sqsRecord(body, {
      messageAttributes: { Team: { dataType: 'String', stringValue: 'y'.repeat(200) } },
    });
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.body).toBe(body);
    expect(dead?.attributes).toMatchObject({ ErrorClass: 'InvalidRequest', ErrorCode: 'InvalidRequest' });
    expect(refusals().slice(before)).toEqual([]);
  });

  it('keeps a slot booked at a fraction of a millisecond (a lowered rate), rounded up', () => {
    const record = sqsRecord(queueTransfer(), {
      senderId: WORKER_SENDER_ID,
      messageAttributes: {
        SlotAt: { dataType: 'Number', stringValue: String(Date.now() + 1_000.7341) },
        SlotEpoch: { dataType: 'Number', stringValue: '0' },
      },
    });
    expect(copyFactsOf(record, WORKER_ROLE_ID, Date.now()).slot?.at).toBeGreaterThan(Date.now());
  });

  it('cuts an attribute value without splitting a surrogate pair', () => {
    expect(sqsText(`${'a'.repeat(1_999)}😀`, 2_000)).toBe('a'.repeat(1_999));
    expect(sqsText('😀ok', 3)).toBe('😀o');
  });

  it('ignores copy attributes a producer forged: a far SlotAt does not hold it, Requeues stays its own', async () => {
    const contact = harness.newContact();
    const forged = {
      SlotAt: { dataType: 'Number', stringValue: String(Date.now() + 3_600_000) },
      SlotEpoch: { dataType: 'Number', stringValue: '0' },
      Requeues: { dataType: 'Number', stringValue: '-5' },
      DeadLetteredAs: { dataType: 'String', stringValue: 'someone-else' },
    };
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: `forged-${contact}` }), {
      messageAttributes: forged,
    });
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(harness.transferCalls().filter((call) => call.input.ContactId === contact)).toHaveLength(1);
    const queued = harness.sqs.server.inspectQueue('transfer-requests');
    expect([...(queued?.messages.ready ?? []), ...(queued?.messages.delayed ?? [])]).toHaveLength(0);
  });

  it('retries a contact whose read lags instead of rooting a chain at it: the cap holds across its tree', async () => {
    const first = harness.newContact();
    const t1 = `lag-1-${first}`;
    expect(
      (await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: first, ClientToken: t1 })))))
        .batchItemFailures,
    ).toEqual([]);
    const second = harness.successorOf(first) as string;
    // The ledger learns the new contact's alias from the transfer; a contact it never saw must ask Connect.
    await harness.deleteLedgerItem(LedgerKey.contactAlias('instance-1', second));
    harness.connect.failReads([{ kind: 'not-found', operation: 'DescribeContact' }]);
    const lagging = sqsRecord(queueTransfer({ ContactId: second, ClientToken: `lag-2-${first}` }));
    expect((await harness.invoke(sqsEvent(lagging))).batchItemFailures).toHaveLength(1);
    expect((await harness.chainTokens(second)).size).toBe(0);
    const again = { ...lagging, attributes: { ...lagging.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(again))).batchItemFailures).toEqual([]);
    expect([...(await harness.chainTokens(first))].sort()).toEqual([t1, `lag-2-${first}`].sort());
    const third = harness.successorOf(second) as string;
    const over = sqsRecord(queueTransfer({ ContactId: third, ClientToken: `lag-3-${first}` }));
    await harness.invoke(sqsEvent(over));
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes.ErrorClass).toBe('CapReached');
  });

  it('does not take a 404 in reconciliation for proof that nothing happened: no second transfer', async () => {
    const contact = harness.newContact();
    const token = `reconcile-404-${contact}`;
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: token }));
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    // Connect forgot the token (the replay window is 0 here): the worker must reconcile, and the read lags.
    harness.connect.advanceClock(8 * 86_400_000);
    harness.connect.failReads([{ kind: 'not-found', operation: 'DescribeContact' }]);
    const again = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    expect((await harness.invoke(sqsEvent(again))).batchItemFailures).toHaveLength(1);
    const last = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '3' } };
    expect((await harness.invoke(sqsEvent(last))).batchItemFailures).toEqual([]);
    expect(
      harness.connect.calls.filter((call) => call.transferred && call.input.ClientToken === token),
    ).toHaveLength(1);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('paces Connect’s reads: a batch of unseen contacts is not throttled into another delivery', async () => {
    const paced = await WorkerHarness.start({
      env: { CONTACT_READ_RATE_PER_SECOND: '4', MAX_CONCURRENCY: '2' }, // this worker's share: 2/s
      simulator: { readQuotas: { DescribeContact: { ratePerSecond: 2, burst: 5 } } },
    });
    try {
      const records = Array.from({ length: 8 }, () =>
        sqsRecord(queueTransfer({ ContactId: paced.newContact() })),
      );
      expect((await paced.invoke(sqsEvent(...records))).batchItemFailures).toEqual([]);
      expect(paced.transferCalls()).toHaveLength(8);
      // Five at once (the burst), then one every half second: the sixth at least 400 ms after the first.
      const reads = paced.connect.calls.filter(
        (call) => call.operation === 'DescribeContact' && call.status === 200,
      );
      const at = reads.map((call) => call.receivedAt ?? 0);
      expect((at[5] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(400);
    } finally {
      await paced.stop();
    }
  });

  it('stamps an attempt in Connect’s time: a worker clock 10 s ahead of Connect never transfers twice', async () => {
    const skewed = await WorkerHarness.start({
      env: { TOKEN_REPLAY_WINDOW_SECONDS: '0', MAX_RECEIVE_COUNT: '3' },
      simulator: { contactIdMode: 'keep', tokenWindowMs: 1 },
    });
    try {
      skewed.connect.advanceClock(-10_000);
      const contact = skewed.newContact();
      const token = `skew-${contact}`;
      skewed.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: token }));
      await skewed.invoke(sqsEvent(record));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const again = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      await skewed.invoke(sqsEvent(again));
      expect(
        skewed.connect.calls.filter((call) => call.transferred && call.input.ClientToken === token),
      ).toHaveLength(1);
    } finally {
      await skewed.stop();
    }
  });

  it('never waits for a read past the invocation’s deadline', async () => {
    const slow = await WorkerHarness.start({
      env: { CONTACT_READ_RATE_PER_SECOND: '1', MAX_CONCURRENCY: '2', DEADLINE_MARGIN_MS: '1000' },
    });
    try {
      const records = Array.from({ length: 10 }, () =>
        sqsRecord(queueTransfer({ ContactId: slow.newContact() })),
      );
      const started = Date.now();
      const response = await slow.invoke(sqsEvent(...records), 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(response.batchItemFailures.length).toBeGreaterThan(0);
      expect(await slow.drainDlq()).toEqual([]);
    } finally {
      await slow.stop();
    }
  });
});
