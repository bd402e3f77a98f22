// `npx tsx tools/bench/pacingModel.ts [seeds] [--others] [--cursor] | [--raised]`: the worker's real pacer (`AdaptivePacer`, two
// workers sharing one state item) against a model of Connect's token bucket (2/s, burst 5) and the bench's
// neighbours, phase after phase as `npm run bench` runs them (20 s warm-up, 120 s measured), in virtual time:
// an hour of traffic in a second of wall time. It is how the controller's constants were chosen; `npm run
// bench` then measures the real worker on the local stack.

import { AdaptivePacer, type PacingStore } from '../../lambdas/transfer-worker/pacing/AdaptivePacer.js';
import { type PacingPolicy, type PacingState, pacingPolicy } from '../../src/domain/pacing.js';
import { claimCallTime } from '../../src/domain/schedule.js';
import { seededRandom } from '../connect-simulator/random.js';
import { TokenBucket } from '../connect-simulator/TokenBucket.js';
import { type CountedCall, callTimeline, type PhaseResult, phaseFigures, round } from './callFigures.js';
import { NEIGHBOURS, type NeighbourPattern, OTHER_NEIGHBOURS } from './neighbourPatterns.js';

/** Virtual time: timers resolve in order of their due time, and the clock jumps to each. */
class VirtualClock {
  now = 0;
  #timers: { at: number; fire: () => void }[] = [];

  sleep = (ms: number) => new Promise<void>((resolve) => this.at(this.now + Math.max(0, ms), resolve));

  at(at: number, fire: () => void): void {
    this.#timers.push({ at, fire });
    this.#timers.sort((a, b) => a.at - b.at);
  }

  async run(until: number): Promise<void> {
    for (;;) {
      // Let every promise chain the last timer released run up to its next sleep.
      await new Promise((resolve) => setImmediate(resolve));
      const timer = this.#timers.shift();
      if (!timer || timer.at > until) return;
      this.now = timer.at;
      timer.fire();
    }
  }
}

/** The state item, as DynamoDB keeps it (a conditional write per episode). */
class MemoryPacingStore implements PacingStore {
  #state: PacingState | undefined;
  readonly log: PacingState[] = [];
  async read() {
    return this.#state;
  }
  async lower(next: PacingState, episodeStart: number) {
    if (this.#state && this.#state.changedAt >= episodeStart) return false;
    this.#state = next;
    this.log.push(next);
    return true;
  }
}

/**
 * One run of every neighbour phase in turn: `workers` workers, each with its own pacer and a backlog that
 * never empties, making a throttled call again at its next turn up to 3 times as the worker does.
 */
export async function simulatePhases(
  policy: PacingPolicy,
  seed: number,
  warmupMs = 20_000,
  measureMs = 120_000,
  neighbours: readonly NeighbourPattern[] = NEIGHBOURS,
  cursor = false,
) {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const bucket = new TokenBucket(2, 5, () => clock.now);
  const calls: CountedCall[] = [];
  const take = (theirs: boolean) => {
    const ok = bucket.tryTake();
    calls.push({ at: clock.now, theirs, ok, throttled: !ok });
    return ok;
  };
  const phaseMs = warmupMs + measureMs;
  const end = phaseMs * neighbours.length;
  // `cursor`: each call at a call time of the schedule's call cursor, as a request with a slot makes it.
  const store = cursor ? new MemoryCursorStore() : new MemoryPacingStore();
  const worker = async () => {
    const pacer = new AdaptivePacer(store, policy, 2, {
      now: () => clock.now,
      random,
      sleep: clock.sleep,
      jitter: Number(process.env.PACING_JITTER ?? 1),
    });
    while (clock.now < end) {
      if (store instanceof MemoryCursorStore)
        await pacer.waitUntil(store.claim(clock.now, 1000 / pacer.rate), true);
      else await pacer.waitTurn();
      for (let retry = 0; !take(false) && retry < 3; retry += 1) {
        await pacer.onThrottle();
        await pacer.waitTurn();
      }
      // The record's own DynamoDB reads and writes before the next call.
      await clock.sleep(40 + 40 * random());
    }
  };
  neighbours.forEach((pattern, phase) => {
    for (const at of pattern.schedule(phaseMs)) clock.at(phase * phaseMs + at, () => take(true));
  });
  void worker();
  void worker();
  await clock.run(end);
  if (process.env.PACING_MODEL_TIMELINE) printTimeline(calls, store);
  return neighbours.map((pattern, phase) =>
    phaseFigures(calls, pattern, phase * phaseMs + warmupMs, (phase + 1) * phaseMs),
  );
}

/** The calls of every 5 s and each change of the shared state. */
function printTimeline(calls: readonly CountedCall[], store: MemoryPacingStore) {
  callTimeline(calls, 0, 5_000).forEach((line, step) => {
    const changes = store.log
      .filter((l) => Math.floor(l.changedAt / 5_000) === step)
      .map((l) => `[${(l.changedAt / 1000).toFixed(1)} s: ${l.rate.toFixed(2)}/s]`);
    process.stdout.write(`${line} ${changes.join(' ')}\n`);
  });
}

/** The pacing item with its call cursor, as DynamoDB keeps it (`DynamoPacingStore`'s conditions). */
class MemoryCursorStore extends MemoryPacingStore {
  nextCallAt: number | undefined;
  #pausedAt: number | undefined;
  override async read() {
    const state = await super.read();
    if (this.#pausedAt === undefined) return state;
    return { ...(state ?? { rate: Number.POSITIVE_INFINITY, changedAt: 0 }), pausedAt: this.#pausedAt };
  }
  claim(now: number, intervalMs: number): number {
    const claim = claimCallTime(this.nextCallAt, now, intervalMs);
    this.nextCallAt = claim.nextCallAt;
    return claim.callAt;
  }
  async pause(pausedAt: number, episodeStart: number, pauseMs: number) {
    if (this.nextCallAt === undefined || this.nextCallAt < pausedAt) return false;
    if (this.#pausedAt !== undefined && this.#pausedAt >= episodeStart) return false;
    this.#pausedAt = pausedAt;
    this.nextCallAt += pauseMs;
    return true;
  }
}

/** How late a worker's calls reach Connect after their turn: its own writes, and stalls of its thread. */
export interface CallDelays {
  /** The record's writes between its turn and its call (ms, uniform in the range). */
  readonly writesMs: readonly [number, number];
  /** Stalls of a worker's thread (or of the engines it waits on) a second, and how long each lasts (ms). */
  readonly stallsPerSecond: number;
  readonly stallMs: number;
  /**
   * A call that reaches its send more than `reslotAfterIntervals` intervals after its call time claims a new
   * one and waits for it (not what the worker does: its call follows its writes without asking the pacer).
   */
  readonly reslotAfterIntervals?: number;
}

/**
 * A raised quota (`rate`, burst 5) drained by `workers` workers with the call cursor, in virtual time: each
 * takes batches of 10 from a backlog that never empties, each record reads for 20–80 ms, claims its call time
 * from the cursor, waits for it (`AdaptivePacer.waitUntil`, claimed), and calls after `delays` (a call delayed
 * into a stall goes when it ends, with the others it held). Throttled calls are answered as the worker does.
 * What the local stack cannot show at 40/s on a small machine: what the pacing does when the machine keeps up.
 */
export async function simulateRaisedQuota(
  rate: number,
  workers: number,
  seed: number,
  delays: CallDelays,
  measureMs = 120_000,
) {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const bucket = new TokenBucket(rate, 5, () => clock.now);
  const policy = pacingPolicy(rate);
  const store = new MemoryCursorStore();
  const warmupMs = 10_000;
  const end = warmupMs + measureMs;
  let transfers = 0;
  let throttles = 0;
  const worker = async () => {
    const pacer = new AdaptivePacer(store, policy, workers, {
      now: () => clock.now,
      random,
      sleep: clock.sleep,
    });
    // This worker's stalls: none of its calls goes out during one.
    const stalls: [number, number][] = [];
    for (
      let at = 0;
      at < end;
      at += (-Math.log(1 - random()) * 1000) / Math.max(delays.stallsPerSecond, 1e-9)
    )
      stalls.push([at, at + delays.stallMs]);
    const callAfter = async (ms: number) => {
      const at = clock.now + ms;
      const stall = stalls.find(([from, to]) => at >= from && at < to);
      await clock.sleep((stall ? stall[1] + random() * 5 : at) - clock.now);
    };
    const record = async () => {
      await clock.sleep(20 + 60 * random());
      const callAt = store.claim(clock.now, 1000 / pacer.rate);
      await pacer.waitUntil(callAt, true);
      const [low, high] = delays.writesMs;
      await callAfter(low + (high - low) * random());
      const late = delays.reslotAfterIntervals;
      if (late !== undefined && clock.now > callAt + (late * 1000) / pacer.rate)
        await pacer.waitUntil(store.claim(clock.now, 1000 / pacer.rate), true);
      for (let retry = 0; ; retry += 1) {
        const ok = bucket.tryTake();
        if (clock.now >= warmupMs && clock.now < end) {
          if (ok) transfers += 1;
          else throttles += 1;
        }
        if (ok || retry >= 3) return;
        await pacer.onThrottle();
        await pacer.waitTurn();
      }
    };
    while (clock.now < end) {
      await Promise.all(Array.from({ length: 10 }, record));
      // The invocation ends, the poller deletes and receives the next batch.
      await clock.sleep(30 + 40 * random());
    }
  };
  for (let i = 0; i < workers; i += 1) void worker();
  await clock.run(end);
  return { share: round(transfers / ((measureMs / 1000) * rate)), throttles };
}

if (process.argv[1]?.endsWith('pacingModel.ts') && process.argv.includes('--raised')) {
  // `--raised`: the raised quotas of issue 24 (10/s with 2 workers, 40/s with 8), with calls that reach
  // Connect 20–60 ms after their turn and, in turn, stalls of the workers' threads (a busy machine).
  const seeds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 5);
  for (const [rate, workers] of [
    [10, 2],
    [40, 8],
  ] as const)
    for (const [stallsPerSecond, stallMs, reslotAfterIntervals] of [
      [0, 0, undefined],
      [0.2, 100, undefined],
      [0.2, 300, undefined],
      [1, 300, undefined],
      [0.2, 300, 2],
      [1, 300, 2],
    ] as const) {
      const runs = [];
      for (let seed = 1; seed <= seeds; seed += 1)
        runs.push(
          await simulateRaisedQuota(rate, workers, seed, {
            writesMs: [20, 60],
            stallsPerSecond,
            stallMs,
            ...(reslotAfterIntervals !== undefined && { reslotAfterIntervals }),
          }),
        );
      const reslot =
        reslotAfterIntervals === undefined ? '' : `, re-slotted after ${reslotAfterIntervals} intervals`;
      process.stdout.write(
        `${rate}/s, ${workers} workers, stalls ${stallsPerSecond}/s of ${stallMs} ms${reslot}: share ${runs.map((r) => r.share).join(' ')}, throttles ${runs.map((r) => r.throttles).join(' ')}\n`,
      );
    }
} else if (process.argv[1]?.endsWith('pacingModel.ts')) {
  // PACING_OVERRIDES='{"headroom":0.75}' and PACING_JITTER=0.3 try other constants without editing them;
  // `--others` runs neighbours the bench does not (at random, and steady ones leaving less room); `--cursor`
  // makes each call at a call time of the call cursor (a request with a slot) rather than at a turn.
  const policy = { ...pacingPolicy(2), ...JSON.parse(process.env.PACING_OVERRIDES ?? '{}') } as PacingPolicy;
  const neighbours = process.argv.includes('--others') ? OTHER_NEIGHBOURS : NEIGHBOURS;
  const seeds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 10);
  const runs: PhaseResult[][] = [];
  for (let seed = 1; seed <= seeds; seed += 1)
    runs.push(
      await simulatePhases(policy, seed, 20_000, 120_000, neighbours, process.argv.includes('--cursor')),
    );
  for (const [i, pattern] of neighbours.entries()) {
    const phase = runs.map((run) => run[i] as PhaseResult);
    const mean = (f: (p: PhaseResult) => number) => round(phase.reduce((a, p) => a + f(p), 0) / phase.length);
    process.stdout.write(
      `${pattern.name.padEnd(24)} share ${mean((p) => p.shareOfWhatIsLeft)} (worst ${Math.min(...phase.map((p) => p.shareOfWhatIsLeft))})` +
        `  ours throttled ${mean((p) => p.ourThrottledShare)}` +
        `  theirs throttled ${mean((p) => p.neighbourThrottledShare)} (worst ${Math.max(...phase.map((p) => p.neighbourThrottledShare))})\n`,
    );
  }
}
