// `npx tsx tools/bench/pacingModel.ts [seeds] [--others]`: the worker's real pacer (`AdaptivePacer`, two
// workers sharing one state item) against a model of Connect's token bucket (2/s, burst 5) and the bench's
// neighbours, phase after phase as `npm run bench` runs them (20 s warm-up, 120 s measured), in virtual time:
// an hour of traffic in a second of wall time. It is how the controller's constants were chosen; `npm run
// bench` then measures the real worker on the local stack.

import { AdaptivePacer, type PacingStore } from '../../lambdas/transfer-worker/pacing/AdaptivePacer.js';
import { type PacingPolicy, type PacingState, pacingPolicy } from '../../src/domain/pacing.js';
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
  const store = new MemoryPacingStore();
  const worker = async () => {
    const pacer = new AdaptivePacer(store, policy, 2, {
      now: () => clock.now,
      random,
      sleep: clock.sleep,
      jitter: Number(process.env.PACING_JITTER ?? 1),
    });
    while (clock.now < end) {
      await pacer.waitTurn();
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

if (process.argv[1]?.endsWith('pacingModel.ts')) {
  // PACING_OVERRIDES='{"headroom":0.75}' and PACING_JITTER=0.3 try other constants without editing them;
  // `--others` runs neighbours the bench does not (at random, and steady ones leaving less room).
  const policy = { ...pacingPolicy(2), ...JSON.parse(process.env.PACING_OVERRIDES ?? '{}') } as PacingPolicy;
  const neighbours = process.argv.includes('--others') ? OTHER_NEIGHBOURS : NEIGHBOURS;
  const seeds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 10);
  const runs: PhaseResult[][] = [];
  for (let seed = 1; seed <= seeds; seed += 1)
    runs.push(await simulatePhases(policy, seed, 20_000, 120_000, neighbours));
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
