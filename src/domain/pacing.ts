/**
 * Adaptive pacing of `TransferContact` (pure decisions). The account's quota is shared with every other
 * caller, so the rate the orchestrator uses adapts: the configured rate is a ceiling; a throttle lowers the
 * rate multiplicatively and remembers where it happened; the rate then climbs back quickly to under that
 * point, probes towards it slowly and above it faster (additively), up to the ceiling. All workers share one
 * view: the state is a small record (the rate at the last change, when, and the rate that was throttled),
 * and the current rate is a function of it and the clock, so only a throttle writes.
 */

import type { PacingPolicy } from './pacingPolicy.js';

export { type PacingPolicy, pacingPolicy } from './pacingPolicy.js';

/** The shared pacing state, as the ledger keeps it. */
export interface PacingState {
  /** The deployment's rate (calls/s) right after the last change. */
  readonly rate: number;
  /** When it changed (ms). */
  readonly changedAt: number;
  /** The rate that was in use when Connect last throttled (calls/s). */
  readonly throttledRate?: number;
  /** When a throttle was last answered with a pause of the calls instead of a lower rate (ms). */
  readonly pausedAt?: number;
}

const clamp = (rate: number, policy: PacingPolicy) => Math.min(policy.ceiling, Math.max(policy.floor, rate));

/**
 * The rate to use now (calls/s for the whole deployment).
 *
 * @example
 * currentRate(undefined, Date.now(), pacingPolicy(2)); // 2: never throttled, the ceiling
 * currentRate({ rate: 1, changedAt: 0, throttledRate: 1.5 }, 5_000, pacingPolicy(2)); // 1.2: back under the throttle point
 */
export function currentRate(state: PacingState | undefined, now: number, policy: PacingPolicy): number {
  if (!state) return policy.ceiling;
  const seconds = Math.max(0, (now - state.changedAt) / 1000);
  const knee = clamp((state.throttledRate ?? policy.ceiling) * policy.headroom, policy);
  if (state.rate >= knee) return clamp(probeFrom(state.rate, seconds, state.throttledRate, policy), policy);
  if (seconds <= policy.recoverySeconds)
    return clamp(state.rate + ((knee - state.rate) * seconds) / policy.recoverySeconds, policy);
  return clamp(probeFrom(knee, seconds - policy.recoverySeconds, state.throttledRate, policy), policy);
}

/** The rate `seconds` into a probe from `start`: slowly up to the throttled rate, faster above it. */
function probeFrom(start: number, seconds: number, throttledRate: number | undefined, policy: PacingPolicy) {
  const edge = throttledRate ?? policy.ceiling;
  if (start >= edge) return start + policy.probePerSecond * seconds;
  const toEdge = (edge - start) / policy.nearProbePerSecond;
  if (seconds <= toEdge) return start + policy.nearProbePerSecond * seconds;
  return edge + policy.probePerSecond * (seconds - toEdge);
}

/**
 * The state after Connect throttled a call, or `undefined` when the throttle belongs to an episode already
 * answered (another worker, or this one, lowered the rate moments ago).
 *
 * @example
 * afterThrottle(undefined, 10_000, pacingPolicy(2)); // { rate: 1.4, changedAt: 10_000, throttledRate: 2 }
 */
export function afterThrottle(
  state: PacingState | undefined,
  now: number,
  policy: PacingPolicy,
): PacingState | undefined {
  if (state && now - state.changedAt < policy.episodeMs) return undefined;
  const rate = currentRate(state, now, policy);
  // A throttle while the rate is still coming back from the last one is an echo of it (the bucket it
  // emptied has not refilled yet): it lowers the rate again, but the room is still judged by the first.
  const echo = state !== undefined && now - state.changedAt <= policy.recoverySeconds * 1000;
  const throttledRate = echo ? Math.max(rate, state.throttledRate ?? rate) : rate;
  return { rate: clamp(rate * policy.decrease, policy), changedAt: now, throttledRate };
}

/** How a worker answers a throttle: not at all (its episode was answered), a pause of the calls, or a lower rate. */
export type ThrottleAnswer = 'answered' | 'pause' | 'lower';

/**
 * How to answer a throttle. A throttle while the deployment calls at its ceiling with calls queued on the
 * call cursor (`callsQueued`: the call waited for its call time), and none paused in the last `confirmMs`,
 * pauses the calls for Connect's burst (the bucket refills) instead of lowering the rate: at a raised
 * quota the bucket is a few intervals deep (125 ms at 40/s), and a call delayed by the worker's own reads and
 * writes bunches the next ones past it though the schedule kept the rate; lowering the rate by 30 % for
 * that cost minutes of the quota. A caller that shares the quota throttles again: the next throttle
 * after the pause's own episode lowers the rate, as does any throttle below the ceiling or with no queue
 * (nothing of ours could have bunched), and any where Connect's bucket is a second deep or more (the
 * policy's `shallowBucket`: at the default 2/s, 2.5 s, which no lateness of ours empties).
 *
 * @example
 * answerThrottle(undefined, 10_000, pacingPolicy(40), true); // 'pause'
 * answerThrottle({ rate: 40, changedAt: 0, pausedAt: 5_000 }, 10_000, pacingPolicy(40), true); // 'lower'
 */
export function answerThrottle(
  state: PacingState | undefined,
  now: number,
  policy: PacingPolicy,
  callsQueued: boolean,
): ThrottleAnswer {
  const sincePause = state?.pausedAt === undefined ? Number.POSITIVE_INFINITY : now - state.pausedAt;
  if (sincePause < policy.episodeMs) return 'answered';
  const atCeiling = currentRate(state, now, policy) >= policy.ceiling;
  const mayPause = policy.shallowBucket && atCeiling && callsQueued;
  return mayPause && sincePause > policy.confirmMs ? 'pause' : 'lower';
}

/**
 * How long a pause of the calls lasts (ms): `pauseIntervals` intervals of the rate, so that Connect's bucket
 * (5 deep) refills.
 *
 * @example
 * pauseMs(40, pacingPolicy(40)); // 125
 */
export function pauseMs(rate: number, policy: PacingPolicy): number {
  return (policy.pauseIntervals * 1000) / rate;
}

/**
 * The pause between two calls of one worker when `workers` share the deployment's rate.
 *
 * @example
 * intervalMs(2, 2); // 1000
 */
export function intervalMs(rate: number, workers: number): number {
  return (1000 * workers) / rate;
}

/**
 * How far apart one worker makes its calls at slots of the shared schedule (ms). Requests held for their slots
 * come back late and together (SQS delays are whole seconds, and the event source's batching window adds up
 * to a second), so a worker spaces them rather than calling a batch at once, which would empty Connect's
 * bucket. Below the ceiling (a throttle said another caller shares the quota) a whole interval of the
 * deployment's rate, so that our calls leave the other caller's tokens alone; at the ceiling the policy's
 * `ceilingSpacingShare` of one (Lambda bills every millisecond a worker waits).
 *
 * @example
 * slotCallSpacingMs(2, pacingPolicy(2)); // 250
 * slotCallSpacingMs(1.4, pacingPolicy(2)); // 714.28…
 */
export function slotCallSpacingMs(rate: number, policy: PacingPolicy): number {
  return (rate >= policy.ceiling ? policy.ceilingSpacingShare : 1) * intervalMs(rate, 1);
}
