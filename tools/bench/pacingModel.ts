// `npx tsx tools/bench/pacingModel.ts`: the pacing controller against a model of Connect's token bucket
// (2/s, burst 5) and a neighbour, in simulated time (seconds of wall time for hours of traffic). It is how
// the controller's constants were chosen; `npm run bench` then measures the real worker on the stack.

import {
  afterThrottle,
  currentRate,
  type PacingPolicy,
  type PacingState,
  pacingPolicy,
} from '../../src/domain/pacing.js';
import { seededRandom } from '../connect-simulator/random.js';
import { TokenBucket } from '../connect-simulator/TokenBucket.js';

/** When a neighbour calls, in ms of simulated time, over `durationMs`. */
type Neighbour = {
  readonly name: string;
  readonly calls: (durationMs: number) => number[];
  readonly average: number;
};
const jitter = seededRandom(11);
// Steady, but not clockwork: each call lands anywhere in the middle 80 % of its interval.
const steady = (perSecond: number): Neighbour => ({
  name: `steady ${perSecond}/s`,
  average: perSecond,
  calls: (d) =>
    perSecond === 0
      ? []
      : Array.from(
          { length: Math.floor((d / 1000) * perSecond) },
          (_, i) => (i + 0.1 + 0.8 * jitter()) * (1000 / perSecond),
        ),
});
const bursty: Neighbour = {
  name: 'bursts of 5 every 5 s',
  average: 1,
  calls: (d) =>
    Array.from({ length: Math.floor(d / 5000) }, (_, i) => Array(5).fill(i * 5000 + 2_500)).flat(),
};

/** One model run: our paced calls (2 workers share the rate) and the neighbour's, on one bucket. */
export function simulate(neighbour: Neighbour, policy: PacingPolicy | 'fixed', durationMs = 600_000) {
  let now = 0;
  const bucket = new TokenBucket(2, 5, () => now);
  const ceiling = policy === 'fixed' ? 2 : policy.ceiling;
  let state: PacingState | undefined;
  const rateAt = (t: number) => (policy === 'fixed' ? ceiling : currentRate(state, t, policy));
  const events: [number, 'us' | 'them'][] = neighbour.calls(durationMs).map((t) => [t, 'them']);
  const ours = { ok: 0, throttled: 0 };
  const theirs = { ok: 0, throttled: 0 };
  let next = 0;
  events.sort((a, b) => a[0] - b[0]);
  let i = 0;
  while (next < durationMs || i < events.length) {
    const them = events[i];
    if (them && them[0] <= next) {
      now = them[0];
      if (bucket.tryTake()) theirs.ok += 1;
      else theirs.throttled += 1;
      i += 1;
      continue;
    }
    if (next >= durationMs) break;
    now = next;
    if (bucket.tryTake()) ours.ok += 1;
    else {
      ours.throttled += 1;
      if (policy !== 'fixed') state = afterThrottle(state, now, policy) ?? state;
    }
    // Each call's own latency moves the next one by up to 10 %.
    next = now + (1000 / rateAt(now)) * (0.95 + 0.1 * jitter());
  }
  const left = 2 - neighbour.average;
  return {
    neighbour: neighbour.name,
    share: Math.round((ours.ok / (durationMs / 1000) / left) * 1000) / 1000,
    ourThrottled: Math.round((ours.throttled / Math.max(1, ours.ok + ours.throttled)) * 1000) / 1000,
    theirThrottled: Math.round((theirs.throttled / Math.max(1, theirs.ok + theirs.throttled)) * 1000) / 1000,
  };
}

if (process.argv[1]?.endsWith('pacingModel.ts')) {
  const neighbours = [steady(0), steady(0.25), steady(0.5), steady(1), bursty];
  for (const [name, policy] of [
    ['fixed', 'fixed'],
    ['adaptive', pacingPolicy(2)],
  ] as const) {
    process.stdout.write(`\n${name}\n`);
    for (const n of neighbours) process.stdout.write(`  ${JSON.stringify(simulate(n, policy))}\n`);
  }
}
