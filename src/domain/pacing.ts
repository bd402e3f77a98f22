/**
 * Adaptive pacing of `TransferContact` (pure decisions). The account's quota is shared with every other
 * caller, so the rate the orchestrator uses adapts: the configured rate is a ceiling; a throttle lowers the
 * rate multiplicatively and remembers where it happened; the rate then climbs back quickly to under that
 * point, probes towards it slowly and above it faster (additively), up to the ceiling. All workers share one
 * view: the state is a small record (the rate at the last change, when, and the rate that was throttled),
 * and the current rate is a function of it and the clock, so only a throttle writes.
 */

/** The shared pacing state, as the ledger keeps it. */
export interface PacingState {
  /** The deployment's rate (calls/s) right after the last change. */
  readonly rate: number;
  /** When it changed (ms). */
  readonly changedAt: number;
  /** The rate that was in use when Connect last throttled (calls/s). */
  readonly throttledRate?: number;
}

/** How the rate adapts. */
export interface PacingPolicy {
  /** The configured rate: never exceeded. */
  readonly ceiling: number;
  /** Never below: the backlog always moves. */
  readonly floor: number;
  /** A throttle multiplies the rate by this. */
  readonly decrease: number;
  /** After a throttle, the rate climbs back to `headroom` × the throttled rate… */
  readonly headroom: number;
  /** …in this many seconds… */
  readonly recoverySeconds: number;
  /** …then probes towards the throttled rate by this many calls/s each second… */
  readonly nearProbePerSecond: number;
  /** …and above it (a neighbour that left) by this many. */
  readonly probePerSecond: number;
  /** Throttles within this long of the last change are the same episode: one decrease, not several. */
  readonly episodeMs: number;
}

/**
 * The policy for a configured rate: a floor of a tenth of it, × 0.7 on a throttle, back to 80 % of the
 * throttled rate in 5 s, then probing slowly towards the throttled rate (0.125 % of the ceiling per second:
 * 80 s from 80 % of it back to it at 1/s), and faster above it (1 % of the ceiling per second: a neighbour
 * that left gives its room back within a minute). A throttle at the ceiling is probed back slowly too: coming
 * back fast from it let a neighbour that had just arrived (0.25/s) lose 3 of its 30 calls in a bench run
 * before the second throttle, where a lone throttle when alone (the price of the slow way: 160 s at 80 to
 * 100 %) no longer happens once a worker spaces its late calls. Chosen against a model of
 * Connect's token bucket (`tools/bench/pacingModel.ts`: the worker's own pacer in virtual time, the bench's
 * neighbours and `--others`, 20 runs each). The throttled rate overstates the room left, since the bucket's
 * burst hides an overshoot for a while (about √(2 × burst × probe) calls/s), hence the margin and the slow
 * probe near it: with one probe speed (0.5 % per second, from 75 %) a steady 1/s neighbour took 1.03 of what
 * it leaves and lost 3 % of its calls (10.8 % in the worst run); with two, 0.98 and 0.9 % (4.2 %); at 0.25
 * and 0.5 per s 0.96 of the room, 0.3 and 1.6 % of their calls. The price: neighbours at random leave a
 * little more unused (0.85 / 0.82 of it at 0.5 / 1 per s, against 0.94 / 0.87). Halving instead of
 * × 0.7 let more neighbour calls be throttled in the worst runs.
 *
 * @example
 * pacingPolicy(2).floor; // 0.2
 */
export function pacingPolicy(ceiling: number): PacingPolicy {
  return {
    ceiling,
    floor: ceiling / 10,
    decrease: 0.7,
    headroom: 0.8,
    recoverySeconds: 5,
    nearProbePerSecond: ceiling / 800,
    probePerSecond: ceiling / 100,
    episodeMs: 2_000,
  };
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

/**
 * The pause between two calls of one worker when `workers` share the deployment's rate.
 *
 * @example
 * intervalMs(2, 2); // 1000
 */
export function intervalMs(rate: number, workers: number): number {
  return (1000 * workers) / rate;
}

/** The share of an interval a worker's calls at slots are apart while the rate is at the ceiling. */
const CEILING_SPACING_SHARE = 0.5;

/**
 * How far apart one worker makes its calls at slots of the shared schedule (ms). Requests held for their slots
 * come back late and together (SQS delays are whole seconds, and the event source's batching window adds up
 * to a second), so a worker spaces them rather than calling a batch at once: all at once, two seconds' worth
 * emptied Connect's bucket when alone (bench runs E and H). Below the ceiling (a throttle said another caller
 * shares the quota) a whole interval of the deployment's rate, so that our calls leave the other caller's
 * tokens alone. At the ceiling half an interval: Lambda bills every millisecond a worker waits, and the
 * half-spaced pairs stayed within the bucket (300 s alone on the stack, no throttle; 0.18 s of waiting per
 * transfer against 0.30 s).
 *
 * @example
 * slotCallSpacingMs(2, pacingPolicy(2)); // 250
 * slotCallSpacingMs(1.4, pacingPolicy(2)); // 714.28…
 */
export function slotCallSpacingMs(rate: number, policy: PacingPolicy): number {
  return (rate >= policy.ceiling ? CEILING_SPACING_SHARE : 1) * intervalMs(rate, 1);
}
