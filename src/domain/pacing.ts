/**
 * Adaptive pacing of `TransferContact` (pure decisions). The account's quota is shared with every other
 * caller, so the rate the orchestrator uses adapts: the configured rate is a ceiling; a throttle lowers the
 * rate multiplicatively and remembers where it happened; the rate then climbs back quickly to just under
 * that point and probes above it slowly (additively), up to the ceiling. All workers share one view: the
 * state is a small record (the rate at the last change, when, and the rate that was throttled), and the
 * current rate is a function of it and the clock, so only a throttle writes.
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
  /** …then probes above it by this many calls/s each second. */
  readonly probePerSecond: number;
  /** Throttles within this long of the last change are the same episode: one decrease, not several. */
  readonly episodeMs: number;
}

/**
 * The policy for a configured rate: a floor of a tenth of it, × 0.7 on a throttle, back to 75 % of the
 * throttled rate in 5 s, then probing by 0.5 % of the ceiling per second (50 s from 75 % to the full ceiling
 * once a neighbour stops). Chosen against a model of Connect's token bucket (`tools/bench/pacingModel.ts`:
 * the worker's own pacer in virtual time, the bench's neighbours and `--others`): the throttled rate
 * overstates the room left, since the bucket's burst hides an overshoot for a while, hence the margin. A
 * probe of 0.2 % per second was kinder to clockwork neighbours but took minutes to take back the room a
 * neighbour left (0.78 of it after a busier one, against 0.96) and left more of a random neighbour's room
 * unused (0.86 against 0.94); 1 % per second let a 1/s neighbour be throttled 7 % (20 runs each). Halving
 * instead of × 0.7 let more neighbour calls be throttled in the worst runs.
 *
 * @example
 * pacingPolicy(2).floor; // 0.2
 */
export function pacingPolicy(ceiling: number): PacingPolicy {
  return {
    ceiling,
    floor: ceiling / 10,
    decrease: 0.7,
    headroom: 0.75,
    recoverySeconds: 5,
    probePerSecond: ceiling / 200,
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
  if (state.rate >= knee) return clamp(state.rate + policy.probePerSecond * seconds, policy);
  if (seconds <= policy.recoverySeconds)
    return clamp(state.rate + ((knee - state.rate) * seconds) / policy.recoverySeconds, policy);
  return clamp(knee + policy.probePerSecond * (seconds - policy.recoverySeconds), policy);
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
  return { rate: clamp(rate * policy.decrease, policy), changedAt: now, throttledRate: rate };
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
