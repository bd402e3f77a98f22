import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBatch } from '../../../lambdas/transfer-worker/pacing/batchSchedule.js';
import { DynamoPacingStore } from '../../../lambdas/transfer-worker/pacing/DynamoPacingStore.js';
import { createPacing } from '../../../lambdas/transfer-worker/pacing/index.js';
import { SharedSchedule } from '../../../lambdas/transfer-worker/pacing/SharedSchedule.js';
import { CopyAttribute, copyFactsOf } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { DeadlineTooCloseError } from '../../../src/domain/index.js';
import { afterThrottle, currentRate, pacingPolicy } from '../../../src/domain/pacing.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';
import { sqsRecord, WORKER_ROLE_ID, WORKER_SENDER_ID } from '../../support/factories.js';

const policy = pacingPolicy(2);

// Two workers of one deployment booking slots in the ledger's shared item, on the local DynamoDB.
describe('the shared schedule', () => {
  let dynamodb: LocalEngine;
  let store: DynamoPacingStore;
  let table = 0;
  const freshStore = async () => {
    table += 1;
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await client.send(
      new CreateTableCommand({
        TableName: `ledger-${table}`,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return new DynamoPacingStore(DynamoDBDocumentClient.from(client), `ledger-${table}`);
  };
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
  });
  afterAll(() => dynamodb.stop());

  it('gives workers booking at once disjoint slots, one interval apart, in one schedule', async () => {
    store = await freshStore();
    const now = 1_000_000;
    const workers = [0, 1, 2, 3].map(() => new SharedSchedule(store, policy, { now: () => now }));
    const bookings = await Promise.all(workers.map((worker) => worker.book(5)));
    const slots = bookings
      .flatMap((booking) => (typeof booking === 'object' ? booking.slots : []))
      .sort((a, b) => a - b);
    // Some may give up after three conflicts (they then pace in the function); none shares a slot.
    expect(slots.length).toBeGreaterThanOrEqual(10);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots).toEqual(slots.map((_, i) => now + i * 500));
    const { nextFreeAt } = await store.readSchedule();
    expect(nextFreeAt).toBe(now + slots.length * 500);
  });

  it('voids its slots on a throttle: a new epoch, the schedule restarted at the throttle, at the lowered rate', async () => {
    store = await freshStore();
    let now = 2_000_000;
    const schedule = new SharedSchedule(store, policy, { now: () => now, refreshMs: 0 });
    const before = await schedule.book(10);
    expect(before).toMatchObject({ epoch: 0, nextFreeAt: now + 5_000 });
    now += 1_000;
    const lowered = afterThrottle(undefined, now, policy);
    expect(await store.lower(lowered as never, now - policy.episodeMs)).toBe(true);
    expect(await schedule.epoch()).toBe(now);
    const after = await schedule.book(2);
    if (typeof after !== 'object') throw new Error(`no booking: ${after}`);
    expect(after.epoch).toBe(now);
    expect(after.slots[0]).toBe(now);
    expect((after.slots[1] as number) - now).toBeCloseTo(1000 / 1.4, 6);
  });

  it('plans a batch: near slots run in the function, far ones wait in the queue, a slot still valid is kept', async () => {
    store = await freshStore();
    const now = 3_000_000;
    const schedule = new SharedSchedule(store, policy, { now: () => now });
    const request = (i: number, attributes = {}) =>
      sqsRecord(
        { InstanceId: 'i', ContactId: `c${i}`, ClientToken: `t${i}` },
        { messageAttributes: attributes, senderId: WORKER_SENDER_ID },
      );
    const fresh = Array.from({ length: 5 }, (_, i) => request(i));
    const returning = request(9, {
      [CopyAttribute.SlotAt]: { dataType: 'Number', stringValue: String(now + 7_400) },
      [CopyAttribute.SlotEpoch]: { dataType: 'Number', stringValue: '0' },
    });
    const stale = request(10, {
      [CopyAttribute.SlotAt]: { dataType: 'Number', stringValue: String(now - 60_000) },
      [CopyAttribute.SlotEpoch]: { dataType: 'Number', stringValue: '0' },
    });
    const invalid = sqsRecord('not json');
    const retried = sqsRecord({ ClientToken: 'r' }, { receiveCount: 2 });
    const plan = await planBatch(
      [
        ...[...fresh, returning, stale].map((record) => ({
          record,
          facts: copyFactsOf(record, WORKER_ROLE_ID, now),
          clientToken: JSON.parse(record.body).ClientToken as string,
          schedulable: true,
        })),
        {
          record: invalid,
          facts: copyFactsOf(invalid, undefined, now),
          clientToken: undefined,
          schedulable: false,
        },
        {
          record: retried,
          facts: copyFactsOf(retried, undefined, now),
          clientToken: 'r',
          schedulable: false,
        },
      ],
      schedule,
      { now: () => now, random: () => 0 },
    );
    // Slots 0, 500 and 1000 ms away run now; 1.5 s, 2 s (the fifth fresh one) and 2.5 s (the stale one) wait.
    expect([0, 1, 2].map((i) => plan.run.get(fresh[i]?.messageId as string))).toEqual([
      { slotAt: now },
      { slotAt: now + 500 },
      { slotAt: now + 1_000 },
    ]);
    expect(plan.hold.map((held) => [held.record.messageId, held.delaySeconds, held.slot?.at])).toEqual([
      [returning.messageId, 8, now + 7_400],
      [fresh[3]?.messageId, 2, now + 1_500],
      [fresh[4]?.messageId, 2, now + 2_000],
      [stale.messageId, 3, now + 2_500],
    ]);
    // Bad input and retries run now, paced in the function.
    expect(plan.run.has(invalid.messageId) && plan.run.get(invalid.messageId)).toBe(undefined);
    expect(plan.run.has(retried.messageId)).toBe(true);
    expect(plan.run.get(retried.messageId)).toBeUndefined();
  });

  it('gives workers claiming at once distinct call times, an interval apart from now, however late their slots', async () => {
    store = await freshStore();
    let now = 4_000_000;
    const raised = pacingPolicy(40);
    // Four workers, five requests each, ready to call at the same moment: requests held for their slots
    // came back seconds late and together. Called at their slots they would all call at once.
    const workers = [0, 1, 2, 3].map(() => new SharedSchedule(store, raised, { now: () => now }));
    const claims = await Promise.all(
      workers.flatMap((worker) => Array.from({ length: 5 }, () => worker.claimCall(40))),
    );
    const callTimes = (claims as number[]).sort((a, b) => a - b);
    expect(callTimes).toEqual(Array.from({ length: 20 }, (_, i) => now + i * 25));
    // After a lull (nobody called for a while) the next call is at once, not at the cursor's old end.
    now += 5_000;
    expect(await workers[0]?.claimCall(40)).toBe(now);
    expect(await workers[1]?.claimCall(20)).toBe(now + 25);
    expect(await workers[2]?.claimCall(40)).toBe(now + 75);
  });

  it('sets back a cursor written far ahead (a worker whose clock runs fast), rather than stall every call', async () => {
    store = await freshStore();
    const now = 8_000_000;
    const raised = pacingPolicy(40);
    const fast = new SharedSchedule(store, raised, { now: () => now + 3_600_000 });
    const honest = new SharedSchedule(store, raised, { now: () => now });
    expect(await fast.claimCall(40)).toBe(now + 3_600_000);
    // An hour ahead is past the most a call time may lead (2 s at 40/s): the honest worker calls now.
    expect(await honest.claimCall(40)).toBe(now);
    expect(await honest.claimCall(40)).toBe(now + 25);
    // A lead within the bound is the backlog's own and is kept.
    const queued = await Promise.all(Array.from({ length: 40 }, () => honest.claimCall(40)));
    expect(Math.max(...(queued as number[]))).toBe(now + 41 * 25);
  });

  it('never waits for a call time past what the invocation may still wait: it says so at once', async () => {
    store = await freshStore();
    const pacing = createPacing({
      mode: 'adaptive',
      policy: pacingPolicy(40),
      workers: 2,
      store,
      schedule: true,
    });
    const turn = { slotAt: Date.now() };
    // Calls claimed ahead: the next call time is 1.5 s away (within the lead a call time may have at 40/s),
    // more than the 300 ms the invocation may still wait.
    await store.claimCall(Date.now(), 1_500, pacingPolicy(40).maxCallLeadMs);
    const started = Date.now();
    await expect(pacing.waitTurn(turn, 300)).rejects.toBeInstanceOf(DeadlineTooCloseError);
    expect(Date.now() - started).toBeLessThan(300);
    // With the time to wait, it waits for its call time.
    await expect(pacing.waitTurn({ slotAt: Date.now() }, 5_000)).resolves.toBeUndefined();
  });

  it('pauses the calls by moving the cursor on, once an episode, and only with calls queued', async () => {
    store = await freshStore();
    const now = 6_000_000;
    const raised = pacingPolicy(40);
    const schedule = new SharedSchedule(store, raised, { now: () => now });
    for (let i = 0; i < 3; i += 1) await schedule.claimCall(40);
    // Calls queued up to now + 75: the pause puts 125 ms (5 intervals) before the next one.
    expect(await store.pause(now + 10, now + 10 - raised.episodeMs, 125)).toBe(true);
    expect(await schedule.claimCall(40)).toBe(now + 200);
    // The same episode is paused once; the rate is untouched (the ceiling), and so is the epoch.
    expect(await store.pause(now + 20, now + 20 - raised.episodeMs, 125)).toBe(false);
    const state = await store.read();
    expect(state?.pausedAt).toBe(now + 10);
    expect(currentRate(state, now + 30, raised)).toBe(40);
    expect(await schedule.epoch()).toBe(0);
    // With nothing queued (the cursor behind the throttle) there is nothing to pause.
    expect(await store.pause(now + 60_000, now + 58_000, 125)).toBe(false);
  });

  it('claims no call time when the cursor cannot be written: the request keeps its slot', async () => {
    const schedule = new SharedSchedule(
      {
        readSchedule: async () => ({}),
        advanceSchedule: async () => true,
        claimCall: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
      policy,
    );
    expect(await schedule.claimCall(2)).toBeUndefined();
  });

  it('runs the requests when the schedule cannot be read (their own writes then fail and are retried)', async () => {
    const broken = new SharedSchedule(
      {
        readSchedule: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
        advanceSchedule: async () => true,
        claimCall: async (now: number) => now,
      },
      policy,
    );
    const record = sqsRecord({ ClientToken: 'x' });
    const facts = copyFactsOf(record, undefined, Date.now());
    const plan = await planBatch([{ record, facts, clientToken: 'x', schedulable: true }], broken, {
      now: Date.now,
      random: () => 0.5,
    });
    expect(plan.hold).toEqual([]);
    expect(plan.run.has(record.messageId)).toBe(true);
    expect(plan.run.get(record.messageId)).toBeUndefined();
  });

  it('holds a request a few seconds when other workers kept booking in between: no call on top of the schedule', async () => {
    const contended = new SharedSchedule(
      {
        readSchedule: async () => ({ nextFreeAt: 0 }),
        advanceSchedule: async () => false,
        claimCall: async (now: number) => now,
      },
      policy,
      { sleep: async () => undefined },
    );
    const record = sqsRecord({ ClientToken: 'y' });
    const facts = copyFactsOf(record, undefined, Date.now());
    const plan = await planBatch([{ record, facts, clientToken: 'y', schedulable: true }], contended, {
      now: Date.now,
      random: () => 0.5,
    });
    expect(plan.run.has(record.messageId)).toBe(false);
    expect(plan.hold).toEqual([{ record, facts, clientToken: 'y', delaySeconds: 3 }]);
  });

  it('keeps trying while other workers book in between, with a pause', async () => {
    let conflicts = 5;
    const pauses: number[] = [];
    const busy = new SharedSchedule(
      {
        readSchedule: async () => ({ nextFreeAt: 0 }),
        advanceSchedule: async () => conflicts-- <= 0,
        claimCall: async (now: number) => now,
      },
      policy,
      { now: () => 1_000, random: () => 1, sleep: async (ms) => void pauses.push(ms) },
    );
    expect(await busy.book(2)).toMatchObject({ slots: [1_000, 1_500] });
    expect(pauses).toEqual([25, 50, 75, 100, 125]);
  });
});
