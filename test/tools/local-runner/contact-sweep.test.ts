import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepCounts } from '../../../src/contract/sweep.js';
import { contactEvent } from '../../../tools/connect-simulator/contactEvents.js';
import type { Contact } from '../../../tools/connect-simulator/types.js';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import type { ScheduledRun } from '../../../tools/local-runner/ScheduleRunner.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';

// The sweep of examples/escalate-queued-tasks.ts on the local engines, in the harsh world: Connect drops a
// share of its contact events, EventBridge delivers some twice. Each check is made from the simulator's
// own record of the calls it received.
const CONTEXT = {
  transferRatePerSecond: '20',
  contactReadRatePerSecond: '20',
  functionTimeoutSeconds: '30',
  sweepSettleSeconds: '0',
  sweepSearchRatePerSecond: '2',
};
const RULE = 'EscalateQueuedTasks';
const until = async (done: () => boolean | Promise<boolean>, what: string, ms = 90_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
const countsOf = (run: ScheduledRun | undefined): SweepCounts => {
  if (run?.result.kind !== 'response')
    throw new Error(`the sweep run failed: ${JSON.stringify(run?.result)}`);
  return run.result.response as unknown as SweepCounts;
};
/** The transfers Connect made for each of these contacts (by the rule's token). */
const transfersOf = (local: LocalOrchestrator, ids: readonly string[]) =>
  ids.map(
    (id) =>
      local.connect.calls.filter((c) => c.transferred && c.input.ClientToken === `rule-${RULE}-${id}`).length,
  );
const start = (local: LocalOrchestrator, id: string, queueId = 'support'): Contact =>
  local.connect.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: id, queueId });
/** Waits until the worker has nothing left: the queue empty and no transfer for a while. */
const quiet = async (local: LocalOrchestrator) => {
  await local.eventBridge.idle();
  let last = -1;
  await until(() => {
    const now = local.connect.calls.length;
    const still = now === last;
    last = now;
    return still;
  }, 'the worker to go quiet');
};

describe('the sweep: dropped, duplicated and late contact events', () => {
  let local: LocalOrchestrator;
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      app: 'examples/escalate-queued-tasks.ts',
      context: CONTEXT,
      simulator: { ratePerSecond: 1_000, burst: 1_000, contactEventDropShare: 0.5, seed: 11 },
      eventBridge: { duplicateDeliveryRate: 0.3, seed: 5 },
      schedules: { intervalMs: false },
    });
  }, 180_000);
  afterAll(() => local?.stop());

  it('transfers every matching contact exactly once: the events that arrived, the sweep the rest', async () => {
    expect(local.model.schedules).toHaveLength(1);
    const ids = Array.from({ length: 40 }, (_, i) => `drop-${i}`);
    for (const id of ids) start(local, id);
    start(local, 'other-queue', 'billing'); // not the rule's
    await quiet(local);
    const beforeSweep = transfersOf(local, ids);
    const missed = beforeSweep.filter((n) => n === 0).length;
    expect(local.connect.droppedContactEvents).toBeGreaterThan(0);
    expect(missed).toBeGreaterThan(0); // both of their events were dropped

    const counts = countsOf((await local.schedules.runNow())[0]);
    expect(counts).toMatchObject({ found: missed, enqueued: missed, complete: true });
    await until(() => transfersOf(local, ids).every((n) => n >= 1), 'every contact transferred');
    await quiet(local);
    expect(transfersOf(local, ids)).toEqual(ids.map(() => 1));
    expect(transfersOf(local, ['other-queue'])).toEqual([0]);
    // Nothing left to find: the transferred contacts are disconnected (Connect gave them new ids).
    expect(countsOf((await local.schedules.runNow())[0])).toMatchObject({ found: 0, enqueued: 0 });
  });

  it('makes one transfer when the event arrives after the sweep enqueued the contact', async () => {
    // A contact both of whose events Connect dropped, and its QUEUED event as Connect would have sent it.
    let late: { id: string; event: ReturnType<typeof contactEvent> } | undefined;
    for (let i = 0; !late; i += 1) {
      const dropped = local.connect.droppedContactEvents;
      const contact = start(local, `late-${i}`);
      if (local.connect.droppedContactEvents - dropped === 2) {
        const instanceArn = `arn:aws:connect:us-east-1:123456789012:instance/${SAMPLE_INSTANCE_ID}`;
        late = {
          id: contact.id,
          event: contactEvent({ ...contact }, 'QUEUED', {
            instanceArn,
            contactArn: (id) => `${instanceArn}/contact/${id}`,
            queueArn: (id) => `${instanceArn}/queue/${id}`,
            agentArn: (id) => `${instanceArn}/agent/${id}`,
          }),
        };
      }
    }
    await quiet(local);
    const counts = countsOf((await local.schedules.runNow())[0]);
    expect(counts.enqueued).toBeGreaterThanOrEqual(1);
    await until(() => transfersOf(local, [late?.id ?? '']).every((n) => n === 1), 'the swept transfer');
    // The event arrives late (twice, as EventBridge may deliver it): the same token, no second transfer.
    local.eventBridge.putEvents([late.event, late.event], { asService: true });
    await quiet(local);
    expect(transfersOf(local, [late.id])).toEqual([1]);
    const tokenCalls = local.connect.calls.filter((c) => c.input.ClientToken === `rule-${RULE}-${late?.id}`);
    expect(tokenCalls.filter((c) => c.transferred)).toHaveLength(1);
  });
});

describe('the sweep: more than a page of missed contacts, and a throttled search', () => {
  let local: LocalOrchestrator;
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      app: 'examples/escalate-queued-tasks.ts',
      context: CONTEXT,
      // Every contact event lost; SearchContacts at 1/s, burst 1: the sweep's 2/s is throttled.
      simulator: {
        ratePerSecond: 1_000,
        burst: 1_000,
        contactEventDropShare: 1,
        readQuotas: { SearchContacts: { ratePerSecond: 1, burst: 1 } },
      },
      schedules: { intervalMs: false },
    });
  }, 180_000);
  afterAll(() => local?.stop());

  it('pages through 150 matches, waits out the throttle, and transfers each once', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `page-${i}`);
    for (const id of ids) start(local, id);
    const run = (await local.schedules.runNow())[0];
    const counts = countsOf(run);
    expect(counts).toMatchObject({
      found: 150,
      alreadyRequested: 0,
      enqueued: 150,
      pages: 2,
      complete: true,
    });
    expect(counts.throttled).toBeGreaterThanOrEqual(1);
    const searches = local.connect.calls.filter((c) => c.operation === 'SearchContacts');
    expect(searches.filter((c) => c.status === 429).length).toBe(counts.throttled);
    // A loaded machine (the test files run side by side) slows the worker: wait longer.
    await until(() => transfersOf(local, ids).every((n) => n >= 1), 'every contact transferred', 240_000);
    await quiet(local);
    expect(transfersOf(local, ids)).toEqual(ids.map(() => 1));
  }, 300_000);
});
