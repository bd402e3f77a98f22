import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../../lambdas/transfer-worker/pacing/AdaptivePacer.js';
import { DynamoPacingStore } from '../../../lambdas/transfer-worker/pacing/DynamoPacingStore.js';
import { type PacingState, pacingPolicy } from '../../../src/domain/pacing.js';
import { type LocalEngine, startLocalDynamoDB } from '../../../tools/local-engines/engines.js';

// Two workers of one deployment, each with its own pacer and clock reading, sharing the ledger's item.
describe('adaptive pacing: workers share one view of the rate', () => {
  let dynamodb: LocalEngine;
  let store: DynamoPacingStore;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await client.send(
      new CreateTableCommand({
        TableName: 'ledger',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    store = new DynamoPacingStore(DynamoDBDocumentClient.from(client), 'ledger');
  });
  afterAll(() => dynamodb.stop());

  it('converges: a throttle one worker sees slows the other, and the episode lowers the rate once', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const policy = pacingPolicy(2);
    const a = new AdaptivePacer(store, policy, 2, { refreshMs: 2_000, now: clock });
    const b = new AdaptivePacer(store, policy, 2, { refreshMs: 2_000, now: clock });
    await Promise.all([a.waitTurn(), b.waitTurn()]);
    expect([a.rate, b.rate]).toEqual([2, 2]);

    await a.onThrottle();
    expect(a.rate).toBeCloseTo(1.4, 6);
    // B throttled moments later, before it read the new state: the same episode, no second decrease.
    now += 500;
    await b.onThrottle();
    expect(b.rate).toBeCloseTo(a.rate, 6);
    expect((await store.read())?.changedAt).toBe(1_000_000);
    expect((await store.read())?.rate).toBeCloseTo(1.4, 6);
    // A throttle in a later episode lowers it again, once.
    now += 2_000;
    await b.onThrottle();
    await a.onThrottle();
    expect((await store.read())?.changedAt).toBe(1_002_500);
    const lowered = (await store.read())?.rate ?? 0;
    expect(lowered).toBeLessThan(1.4);
    now += 2_000;
    await a.waitTurn();
    expect(a.rate).toBeCloseTo(b.rate, 6);

    // Both climb back together, as the state and the clock say.
    now += 60_000;
    await Promise.all([a.waitTurn(), b.waitTurn()]);
    expect(a.rate).toBeCloseTo(b.rate, 6);
    expect(a.rate).toBeGreaterThan(lowered);
    expect(a.rate).toBeLessThan(2);
  });
});

describe('adaptive pacing: where calls land', () => {
  const neverThrottled = { read: async () => undefined, lower: async () => true };
  /**
   * A pacer whose clock stands at `now`: each sleep is handed to `onSleep`, not waited. At the ceiling, or at
   * what the shared `state` says.
   */
  const standingClockPacer = (
    now: number,
    random: () => number,
    onSleep: (ms: number) => void,
    state?: PacingState,
  ) =>
    new AdaptivePacer({ read: async () => state, lower: async () => true }, pacingPolicy(2), 2, {
      now: () => now,
      refreshMs: 0,
      random,
      sleep: async (ms) => onSleep(ms),
    });

  it('lands each call anywhere in its turn, and keeps the rate', async () => {
    let now = 0;
    const draws = [0, 0.95, 0.5, 0.8, 0.1];
    let draw = 0;
    const pacer = new AdaptivePacer(neverThrottled, pacingPolicy(2), 2, {
      now: () => now,
      random: () => draws[draw++ % draws.length] as number,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const starts: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      await pacer.waitTurn();
      starts.push(now);
    }
    // Two workers share 2 calls/s: each worker's turns are 1 s apart.
    const intoSlot = starts.map((at, i) => (at - i * 1_000) / 1_000);
    expect(Math.min(...intoSlot)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...intoSlot)).toBeLessThan(1);
    // Late in the turn too: calls early in their turn win the races for the bucket's tokens.
    expect(intoSlot.filter((x) => x > 0.5).length).toBeGreaterThanOrEqual(20);
    expect(((starts.at(-1) as number) - (starts[0] as number)) / 49).toBeGreaterThan(950);
    expect(((starts.at(-1) as number) - (starts[0] as number)) / 49).toBeLessThan(1_050);
  });

  it('calls at once after a whole interval idle: it races no one, and Lambda bills a wait', async () => {
    let now = 0;
    const slept: number[] = [];
    const pacer = new AdaptivePacer(neverThrottled, pacingPolicy(2), 2, {
      now: () => now,
      random: () => 0.9,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await pacer.waitTurn();
    now += 5_000;
    await pacer.waitTurn();
    expect(slept).toEqual([]);
    // Back to back, the next call is paced and jittered: 1 s turn, 90 % into it.
    await pacer.waitTurn();
    expect(slept).toEqual([1_900]);
  });

  it('calls at a slot of the schedule at once at the ceiling, and anywhere in its interval once throttled', async () => {
    let now = 10_000;
    const slept: number[] = [];
    let state: { rate: number; changedAt: number; throttledRate?: number } | undefined;
    const pacer = new AdaptivePacer(
      { read: async () => state, lower: async () => true },
      pacingPolicy(2),
      2,
      {
        now: () => now,
        refreshMs: 0,
        random: () => 0.8,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      },
    );
    // A slot already past (the request came back after it) and one 700 ms ahead: no jitter at the ceiling.
    await pacer.waitUntil(9_000);
    await pacer.waitUntil(now + 700);
    expect(slept).toEqual([700]);
    // Three slots already past, as requests that came back late in one batch: at the ceiling half an interval
    // (250 ms) after this worker's last call and apart, not all at once.
    slept.length = 0;
    await Promise.all([pacer.waitUntil(9_000), pacer.waitUntil(9_500), pacer.waitUntil(10_000)]);
    expect(slept).toEqual([250, 250, 250]);
    // Another caller throttled us: the rate is 1.4/s, an interval of 714 ms, and the call lands 80 % into it.
    // (Two seconds after this worker's last call, so its spacing does not count.)
    now += 2_000;
    state = { rate: 1.4, changedAt: now, throttledRate: 2 };
    slept.length = 0;
    await pacer.waitUntil(now - 2_000);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeCloseTo(0.8 * (1000 / 1.4), 6);
  });

  /** When a standing-clock pacer starts the calls of requests whose slots all passed (the first goes at once). */
  const lateCalls = async (now: number, slots: number[], random: () => number, state?: PacingState) => {
    const delayedTo: number[] = [];
    const pacer = standingClockPacer(now, random, (ms) => delayedTo.push(now + ms), state);
    await Promise.all(slots.map((slot) => pacer.waitUntil(slot)));
    return { pacer, delayedTo };
  };

  it('makes one late call at once, then one half an interval at the ceiling, whatever the batch brought back', async () => {
    // Five requests whose slots passed while they waited for their batch: one goes at once, then at the
    // ceiling half an interval apart (4/s for as long as a batch lasts; the schedule keeps the rate). Never
    // one of the calls spread at the ceiling (the draw).
    const { delayedTo } = await lateCalls(50_000, [45_000, 45_500, 46_000, 46_500, 47_000], () => 0.9);
    expect(delayedTo).toEqual([50_250, 50_500, 50_750, 51_000]);
  });

  it('spaces late calls a whole interval below the ceiling, where another caller needs the tokens between', async () => {
    const now = 50_000;
    // A throttle 10 s ago left the rate at 1.4/s, coming back towards 1.6/s: 1/1.6 s apart at most.
    const { pacer, delayedTo } = await lateCalls(now, [45_000, 45_500, 46_000], () => 0, {
      rate: 1.4,
      changedAt: now - 10_000,
      throttledRate: 2,
    });
    const interval = 1000 / pacer.rate;
    expect(pacer.rate).toBeLessThan(2);
    expect(delayedTo).toHaveLength(2);
    expect(delayedTo[0]).toBeCloseTo(now + interval, 6);
    expect(delayedTo[1]).toBeCloseTo(now + 2 * interval, 6);
  });

  it('spreads a random quarter of the calls at the ceiling in their interval (no phase for a neighbour to lose to)', async () => {
    const now = 50_000;
    const draws = [0.1, 0.5, 0.9, 0.9];
    const slept: number[] = [];
    const pacer = standingClockPacer(
      now,
      () => draws.shift() ?? 0.9,
      (ms) => slept.push(ms),
    );
    // Drawn 0.1 (< 0.25): spread, 0.5 into the 500 ms interval; drawn 0.9: at its slot.
    await pacer.waitUntil(50_000);
    expect(slept).toEqual([250]);
    await pacer.waitUntil(51_000);
    expect(slept).toEqual([250, 1_000]);
  });

  it('calls at a call time of the cursor without spacing it from this worker’s others, however they arrive', async () => {
    const now = 50_000;
    const delayedTo: number[] = [];
    const pacer = standingClockPacer(
      now,
      () => 0.9,
      (ms) => delayedTo.push(now + ms),
    );
    // Call times 500 ms apart (the cursor spaced them from every call) reached in the reverse order: each at
    // its own time, not pushed past the one reached before it.
    await Promise.all([52_000, 51_500, 51_000, 50_500].map((at) => pacer.waitUntil(at, true)));
    expect(delayedTo).toEqual([52_000, 51_500, 51_000, 50_500]);
  });
});

describe('adaptive pacing: a throttle paused or lowered', () => {
  /** A pacer at 40/s with a store that records its pauses and decreases. */
  const pacerAt = (now: () => number, state: () => PacingState | undefined) => {
    const written = { pauses: [] as number[][], lowered: [] as PacingState[] };
    const store = {
      read: async () => state(),
      lower: async (next: PacingState) => {
        written.lowered.push(next);
        return true;
      },
      pause: async (at: number, episodeStart: number, ms: number) => {
        written.pauses.push([at, episodeStart, ms]);
        return true;
      },
    };
    const pacer = new AdaptivePacer(store, pacingPolicy(40), 8, {
      now,
      refreshMs: 0,
      random: () => 0.9,
      sleep: async () => undefined,
    });
    return { pacer, written };
  };

  it('pauses the calls for 5 intervals when a call waited for its time at the ceiling, the rate kept', async () => {
    let now = 100_000;
    let state: PacingState | undefined;
    const { pacer, written } = pacerAt(
      () => now,
      () => state,
    );
    await pacer.waitUntil(now + 300, true);
    now += 400;
    await pacer.onThrottle();
    expect(written.pauses).toEqual([[100_400, 98_400, 125]]);
    expect(written.lowered).toEqual([]);
    state = { rate: Number.POSITIVE_INFINITY, changedAt: 0, pausedAt: 100_400 };
    expect(pacer.rate).toBe(40);
    // Another throttle of the same bunch: answered already.
    now += 50;
    await pacer.onThrottle();
    expect(written.pauses).toHaveLength(1);
    expect(written.lowered).toEqual([]);
    // Throttled again after the episode: a caller shares the quota, the rate goes down.
    now += 3_000;
    await pacer.waitUntil(now + 100, true);
    await pacer.onThrottle();
    expect(written.lowered).toHaveLength(1);
    expect(written.lowered[0]?.rate).toBeCloseTo(28, 6);
  });

  it('lowers the rate at once when no call of the worker waited for its time (nothing queued to bunch)', async () => {
    const now = 100_000;
    const { pacer, written } = pacerAt(
      () => now,
      () => undefined,
    );
    await pacer.waitUntil(now - 2_000, true);
    await pacer.onThrottle();
    expect(written.pauses).toEqual([]);
    expect(written.lowered.map((l) => l.rate)).toEqual([28]);
  });
});
