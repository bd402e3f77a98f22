// `npx tsx tools/bench/fixedRateFrontier.ts [seeds] [--others]`: what the best a pacer can do against each neighbour of
// the bench looks like. A caller that already knows the room the neighbour leaves and never adapts (a fixed
// rate, each call anywhere in its interval, since it cannot know the neighbour's phase) against Connect's
// token bucket (2/s, burst 5), in virtual time: for each rate, its share of what the neighbour leaves and the
// share of the neighbour's calls throttled. No throttle feedback can beat the row it settles on; a pacer that
// is to do better must learn the neighbour's phase. `--others`: the neighbours the bench does not run
// (callers at random, steady ones that leave less room), as `pacingModel.ts --others`.

import { CONNECT_TRANSFER_QUOTA } from '../../src/contract/index.js';
import { seededRandom } from '../connect-simulator/random.js';
import { TokenBucket } from '../connect-simulator/TokenBucket.js';
import { type CountedCall, phaseFigures, round } from './callFigures.js';
import { NEIGHBOURS, type NeighbourPattern, OTHER_NEIGHBOURS } from './neighbourPatterns.js';

/**
 * One phase of `pattern` beside a caller at `rate` (calls/s, each in a random place of its interval).
 *
 * @example
 * fixedRatePhase(NEIGHBOURS[4], 0.9, 1); // { shareOfWhatIsLeft: 0.9, neighbourThrottledShare: 0.09, … }
 */
export function fixedRatePhase(pattern: NeighbourPattern, rate: number, seed: number, phaseMs = 600_000) {
  const random = seededRandom(seed);
  const ours = Array.from(
    { length: Math.floor((phaseMs / 1000) * rate) },
    (_, i) => ((i + random()) * 1000) / rate,
  );
  const events = [
    ...pattern.schedule(phaseMs).map((at) => ({ at, theirs: true })),
    ...ours.map((at) => ({ at, theirs: false })),
  ].sort((a, b) => a.at - b.at);
  let now = 0;
  const bucket = new TokenBucket(
    CONNECT_TRANSFER_QUOTA.ratePerSecond,
    CONNECT_TRANSFER_QUOTA.burst,
    () => now,
  );
  const calls: CountedCall[] = events.map(({ at, theirs }) => {
    now = at;
    const ok = bucket.tryTake();
    return { at, theirs, ok, throttled: !ok };
  });
  return phaseFigures(calls, pattern, 0, phaseMs);
}

if (process.argv[1]?.endsWith('fixedRateFrontier.ts')) {
  const seeds = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 5);
  const patterns = process.argv.includes('--others') ? OTHER_NEIGHBOURS : NEIGHBOURS;
  for (const pattern of patterns.filter((p) => p.average > 0)) {
    const left = CONNECT_TRANSFER_QUOTA.ratePerSecond - pattern.average;
    const rows = [0.5, 0.7, 0.8, 0.9, 1].map((fraction) => {
      const phases = Array.from({ length: seeds }, (_, i) => fixedRatePhase(pattern, left * fraction, i + 1));
      const mean = (f: (p: (typeof phases)[number]) => number) =>
        round(phases.reduce((sum, p) => sum + f(p), 0) / phases.length);
      return `at ${fraction}: share ${mean((p) => p.shareOfWhatIsLeft)}, theirs throttled ${mean((p) => p.neighbourThrottledShare)}`;
    });
    process.stdout.write(`${pattern.name.padEnd(24)} ${rows.join(' | ')}\n`);
  }
}
