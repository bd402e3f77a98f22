import { type ChildProcess, spawn } from 'node:child_process';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { derivedToken, queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

// The worker runs in its own process and is killed (SIGKILL, as a crashed or timed-out Lambda) at a chosen
// step; SQS then delivers the same records again to a fresh worker.
const REMAINING_MS = 2_500;

const startWorkerProcess = (event: SQSEvent): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', 'test/support/invokeWorkerProcess.ts', JSON.stringify(event)], {
    env: { ...process.env, INVOKE_REMAINING_MS: String(REMAINING_MS) },
    stdio: 'ignore',
  });

const until = async (condition: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const kill = async (child: ChildProcess) => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
};

const redeliver = (record: SQSRecord): SQSRecord => ({
  ...record,
  attributes: { ...record.attributes, ApproximateReceiveCount: '2' },
});

// The crashed invocation's in-flight idempotency records expire with its deadline.
const waitForDeadline = () => new Promise((resolve) => setTimeout(resolve, REMAINING_MS + 300));

describe('transfer worker: crashes', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ simulator: { contactIdMode: 'keep' } });
  });
  afterAll(() => harness.stop());
  beforeEach(async () => {
    harness.connect.injectFaults({});
    // A call held for an earlier test must not be mistaken for this test's.
    await until(() => harness.connect.heldCalls === 0);
  });

  const transfersOf = (contact: string) =>
    harness.connect.transfersPerChain().get(`instance-1/${contact}`) ?? 0;

  it('does not count twice when the worker dies after reserving, before Connect acted', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 4_000 }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact }));
    const child = startWorkerProcess(sqsEvent(record));
    await until(() => harness.connect.heldCalls === 1);
    await kill(child);
    expect((await harness.chainTokens(contact)).size).toBe(1);
    expect(transfersOf(contact)).toBe(0);

    await waitForDeadline();
    expect((await harness.invoke(sqsEvent(redeliver(record)))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
    expect([...(await harness.chainTokens(contact))]).toEqual([derivedToken(record)]);
    expect(await harness.drainDlq()).toEqual([]);
  });

  it('transfers once when the worker dies after Connect transferred, before the result was recorded', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'delay-after', ms: 4_000 }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'crash-after-connect' }));
    const child = startWorkerProcess(sqsEvent(record));
    await until(() => harness.connect.heldCalls === 1);
    await kill(child);
    expect(transfersOf(contact)).toBe(1);

    await waitForDeadline();
    expect((await harness.invoke(sqsEvent(redeliver(record)))).batchItemFailures).toEqual([]);
    // Connect was asked again with the same token and answered with the first result. (The held call is
    // logged when its delay ends, so wait for it.)
    await until(() => harness.connect.heldCalls === 0);
    const calls = harness.connect.calls.filter((c) => c.input.ClientToken === 'crash-after-connect');
    expect(calls).toHaveLength(2);
    expect(calls.filter((c) => c.transferred)).toHaveLength(1);
    expect(transfersOf(contact)).toBe(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
  });

  it('keeps the reservation of a token whose transfer outlived a crash when the token is reused with other parameters', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'delay-after', ms: 4_000 }] });
    const first = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'reused-after-crash' }));
    const child = startWorkerProcess(sqsEvent(first));
    await until(() => harness.connect.heldCalls === 1);
    await kill(child);
    await waitForDeadline();
    await until(() => harness.connect.heldCalls === 0);
    expect(transfersOf(contact)).toBe(1);

    // The first request's in-flight record has expired; the reuse must still not take, or free, its reservation.
    const callsBefore = harness.connect.calls.length;
    const reuse = sqsRecord(
      queueTransfer({ ContactId: contact, ClientToken: 'reused-after-crash', QueueId: 'queue-2' }),
    );
    expect((await harness.invoke(sqsEvent(reuse))).batchItemFailures).toEqual([]);
    const [dead] = await harness.drainDlq();
    expect(dead?.attributes).toMatchObject({
      ErrorClass: 'InvalidRequest',
      ErrorCode: 'IdempotentParameterMismatch',
    });
    expect(harness.connect.calls.length).toBe(callsBefore);
    expect([...(await harness.chainTokens(contact))]).toEqual(['reused-after-crash']);
  });

  it('keeps the reservation of a transfer whose answer a crash lost when the retry is only throttled', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'delay-after', ms: 4_000 }] });
    const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'throttled-after-crash' }));
    const child = startWorkerProcess(sqsEvent(record));
    await until(() => harness.connect.heldCalls === 1);
    await kill(child);
    await waitForDeadline();
    await until(() => harness.connect.heldCalls === 0);

    // The retry is throttled: it proves nothing about the first attempt, whose transfer happened.
    harness.connect.injectFaults({
      script: Array.from({ length: 4 }, () => ({ kind: 'throttle' as const })),
    });
    expect((await harness.invoke(sqsEvent(redeliver(record)))).batchItemFailures).toHaveLength(1);
    expect([...(await harness.chainTokens(contact))]).toEqual(['throttled-after-crash']);
    // The next delivery is answered with the first transfer's result.
    expect((await harness.invoke(sqsEvent(redeliver(record)))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
    expect((await harness.chainTokens(contact)).size).toBe(1);
  });

  it('transfers each record once when the worker dies mid-batch and the whole batch comes back', async () => {
    const contacts = [harness.newContact(), harness.newContact(), harness.newContact()];
    const records = contacts.map((contact) => sqsRecord(queueTransfer({ ContactId: contact })));
    // The first call to arrive is held after transferring; the others complete before the kill.
    harness.connect.injectFaults({ script: [{ kind: 'delay-after', ms: 4_000 }] });
    const callsAtStart = harness.transferCalls().length;
    const child = startWorkerProcess(sqsEvent(...records));
    await until(() => harness.connect.heldCalls === 1 && harness.transferCalls().length >= callsAtStart + 2);
    // Let the two answered records store their results before the crash.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(child);
    expect(contacts.map(transfersOf)).toEqual([1, 1, 1]);

    await waitForDeadline();
    expect((await harness.invoke(sqsEvent(...records.map(redeliver)))).batchItemFailures).toEqual([]);
    await until(() => harness.connect.heldCalls === 0);
    // Only the record whose result was never recorded asks Connect again; the other two replay theirs.
    expect(harness.transferCalls().length - callsAtStart).toBe(4);
    expect(contacts.map(transfersOf)).toEqual([1, 1, 1]);
    for (const contact of contacts) expect((await harness.chainTokens(contact)).size).toBe(1);
  });
});
