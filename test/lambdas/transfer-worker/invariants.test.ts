import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  derivedToken,
  queueTransfer,
  sqsEvent,
  sqsRecord,
  transferRequestedEvent,
  WORKER_SENDER_ID,
} from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

const redeliver = (record: SQSRecord, receiveCount = 2): SQSRecord => ({
  ...record,
  attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) },
});

describe('transfer worker: invariants (keep mode, a chain keeps its contact id)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ env: { TRANSFER_CAP: '4' }, simulator: { contactIdMode: 'keep' } });
  });
  afterAll(() => harness.stop());
  beforeEach(async () => {
    harness.connect.injectFaults({});
    await harness.drainDlq();
  });

  const transfersOf = (contact: string) =>
    harness.connect.transfersPerChain().get(`instance-1/${contact}`) ?? 0;

  it('lets exactly `cap` of many concurrent requests on one chain through', async () => {
    const contact = harness.newContact();
    // 8 concurrent invocations of 5 records each, 40 distinct tokens on one chain.
    const invocations = Array.from({ length: 8 }, (_, i) =>
      sqsEvent(
        ...Array.from({ length: 5 }, (_, j) =>
          sqsRecord(queueTransfer({ ContactId: contact, ClientToken: `conc-${i}-${j}` })),
        ),
      ),
    );
    const responses = await Promise.all(invocations.map((event) => harness.invoke(event)));
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(transfersOf(contact)).toBe(4);
    expect((await harness.chainTokens(contact)).size).toBe(4);
    const dlq = await harness.drainDlq();
    expect(dlq).toHaveLength(36);
    expect(new Set(dlq.map((m) => m.attributes.ErrorClass))).toEqual(new Set(['CapReached']));
  });

  it('runs a token once: a sequential repeat replays the stored result without calling Connect', async () => {
    const contact = harness.newContact();
    const first = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'seq-dup' }));
    const second = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'seq-dup' }));
    await harness.invoke(sqsEvent(first));
    const callsBefore = harness.connect.calls.length;
    expect((await harness.invoke(sqsEvent(second))).batchItemFailures).toEqual([]);
    expect(harness.connect.calls.length).toBe(callsBefore);
    expect(transfersOf(contact)).toBe(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('runs a token once under concurrent duplicates: the in-flight ones are retried, then replayed', async () => {
    const contact = harness.newContact();
    // Hold the first call so the duplicates arrive while it is in flight.
    harness.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 300 }] });
    const records = Array.from({ length: 6 }, () =>
      sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'conc-dup' })),
    );
    const responses = await Promise.all(records.map((record) => harness.invoke(sqsEvent(record))));
    const retried = responses.flatMap((r) => r.batchItemFailures.map((f) => f.itemIdentifier));
    expect(retried).toHaveLength(5);
    expect(harness.connect.calls.filter((c) => c.input.ClientToken === 'conc-dup')).toHaveLength(1);

    const again = await Promise.all(
      records
        .filter((r) => retried.includes(r.messageId))
        .map((record) => harness.invoke(sqsEvent(redeliver(record)))),
    );
    expect(again.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(harness.connect.calls.filter((c) => c.input.ClientToken === 'conc-dup')).toHaveLength(1);
    expect(transfersOf(contact)).toBe(1);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('rejects a token reused with other parameters, without the other request’s outcome', async () => {
    const contact = harness.newContact();
    await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'reuse' }))));
    const reused = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'reuse', QueueId: 'queue-2' }));
    expect((await harness.invoke(sqsEvent(reused))).batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.body).toBe(reused.body);
    expect(dead?.attributes).toMatchObject({
      ErrorClass: 'InvalidRequest',
      ErrorCode: 'IdempotentParameterMismatch',
    });
    expect(harness.connect.calls.filter((c) => c.input.ClientToken === 'reuse')).toHaveLength(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
  });

  it('rejects a token reused with other parameters while the first is still in flight', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 300 }] });
    const first = harness.invoke(
      sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'reuse-inflight' }))),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reused = sqsRecord(
      queueTransfer({ ContactId: harness.newContact(), ClientToken: 'reuse-inflight' }),
    );
    expect((await harness.invoke(sqsEvent(reused))).batchItemFailures).toEqual([]);
    expect((await first).batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes.ErrorCode).toBe('IdempotentParameterMismatch');
    expect(transfersOf(contact)).toBe(1);
  });

  it('counts a redelivered message without a token once: the token is derived from its content', async () => {
    const contact = harness.newContact();
    const record = sqsRecord(queueTransfer({ ContactId: contact }));
    await harness.invoke(sqsEvent(record));
    await harness.invoke(sqsEvent(redeliver(record)));
    expect(transfersOf(contact)).toBe(1);
    expect(harness.transferCalls().at(-1)?.input.ClientToken).toBe(derivedToken(record));
    expect([...(await harness.chainTokens(contact))]).toEqual([derivedToken(record)]);
  });

  it('reads an EventBridge event, derives the token from the event id, and reduces an instance ARN', async () => {
    const contact = harness.newContact();
    const event = transferRequestedEvent(
      queueTransfer({
        ContactId: contact,
        InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/instance-1',
      }),
      { id: 'eb-event-1' },
    );
    // The same event delivered twice (two SQS messages): one transfer.
    await harness.invoke(sqsEvent(sqsRecord(event), sqsRecord(event)));
    await harness.invoke(sqsEvent(sqsRecord(event)));
    expect(transfersOf(contact)).toBe(1);
    const calls = harness.connect.calls.filter((c) => c.input.ClientToken === 'eb-event-1');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.input.InstanceId).toBe('instance-1');
  });

  it('keeps the derived token across a redrive through the DLQ', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    // A copy already sent back REQUEUE_LIMIT times: its unknown outcome goes to the DLQ as ambiguous.
    const record = sqsRecord(queueTransfer({ ContactId: contact }), {
      receiveCount: 5,
      senderId: WORKER_SENDER_ID,
      messageAttributes: { Requeues: { dataType: 'Number', stringValue: '10' } },
    });
    await harness.invoke(sqsEvent(record));
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes.ErrorClass).toBe('AmbiguousTransfer');
    expect(dead?.attributes.ClientToken).toBe(derivedToken(record));
    // A redrive is a new message (new id) carrying the DLQ message's attributes.
    const redriven = sqsRecord(dead?.body, {
      messageAttributes: {
        ClientToken: { dataType: 'String', stringValue: dead?.attributes.ClientToken ?? '' },
      },
    });
    expect((await harness.invoke(sqsEvent(redriven))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
  });

  it('keeps the original body and the producer’s attributes in the DLQ', async () => {
    const body = '{ "InstanceId": "instance-1",  "oops": true }';
    const record = sqsRecord(body, {
      messageAttributes: { Producer: { dataType: 'String', stringValue: 'crm' } },
    });
    await harness.invoke(sqsEvent(record));
    const [dead] = await harness.drainDlq();
    expect(dead?.body).toBe(body);
    expect(dead?.attributes.Producer).toBe('crm');
  });

  it('does not dead-letter a record twice when its batch comes back after a crash', async () => {
    const invalid = sqsRecord('{broken');
    const capped = sqsRecord(queueTransfer({ InstanceId: 'instance-x', ClientToken: 'crash-dlq' }));
    await harness.invoke(sqsEvent(invalid, capped));
    expect(await harness.drainDlq()).toHaveLength(2);
    // The same messages again (the invocation died before SQS heard of its result).
    const again = await harness.invoke(sqsEvent(redeliver(invalid), redeliver(capped)));
    expect(again.batchItemFailures).toEqual([]);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('does not dead-letter a redelivered record twice when another message with its token was dead-lettered meanwhile', async () => {
    const contact = harness.newContact();
    await harness.invoke(
      sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'shared-reuse' }))),
    );
    const first = sqsRecord(
      queueTransfer({ ContactId: contact, ClientToken: 'shared-reuse', QueueId: 'queue-2' }),
    );
    const second = sqsRecord(
      queueTransfer({
        ContactId: contact,
        ClientToken: 'shared-reuse',
        UserId: 'agent-1',
        QueueId: undefined,
      }),
    );
    await harness.invoke(sqsEvent(first));
    await harness.invoke(sqsEvent(second));
    expect(await harness.drainDlq()).toHaveLength(2);
    expect((await harness.invoke(sqsEvent(redeliver(first)))).batchItemFailures).toEqual([]);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('handles a record with no attributes and no body without throwing', async () => {
    const record = { messageId: 'bare', body: undefined } as unknown as SQSRecord;
    const response = await harness.invoke(sqsEvent(record));
    expect(response.batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes).toMatchObject({ ErrorClass: 'InvalidRequest', SourceMessageId: 'bare' });
  });
});

describe('transfer worker: the cap follows a chain through new contact ids (new mode)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ env: { TRANSFER_CAP: '3' } });
  });
  afterAll(() => harness.stop());

  it('links each new ContactId to its chain, so requests naming it count against the same cap', async () => {
    const root = harness.newContact();
    let current = root;
    for (let i = 0; i < 3; i += 1) {
      expect(
        (await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: current }))))).batchItemFailures,
      ).toEqual([]);
      const next = String(harness.connect.calls.at(-1)?.output?.ContactId);
      expect(next).not.toBe(current);
      current = next;
    }
    const callsBefore = harness.connect.calls.length;
    await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: current }))));
    expect(harness.connect.calls.length).toBe(callsBefore);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes.ErrorClass).toBe('CapReached');
    expect(dead?.attributes.ErrorMessage).toContain(`chain#instance-1#${root}`);
    expect((await harness.chainTokens(root)).size).toBe(3);
  });
});
