/**
 * Every tuning value of pacing, in one policy object: how the rate adapts to throttles, how the shared
 * schedule books slots, and how a worker spaces and spreads its calls. The figures behind each choice are in
 * docs/BENCHMARKS.md; `tools/bench/pacingModel.ts` replays the policy against a model of Connect's bucket.
 */

import { CALL_CURSOR_ABOVE_RATE } from '../contract/connect.js';

/** How the rate adapts, and how the schedule and the workers' calls are spaced. */
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
  /** Throttles within this long of the last change are the same episode: one decrease, not several (ms). */
  readonly episodeMs: number;
  /**
   * A throttle at the ceiling with calls queued is answered with a pause, not a lower rate, unless another
   * was paused within this long (ms): then the quota is shared, not our calls bunched. A minute: a pause
   * refills 5 tokens, which a neighbour making n calls/s takes back in 5/n s, so any neighbour above one call
   * in 12 s throttles us again inside it and is answered with a lower rate (with 10 s, one under 0.5/s never
   * was: a hostile review's model, a 0.4/s neighbour 12 % throttled at 40/s).
   */
  readonly confirmMs: number;
  /**
   * The furthest ahead of now a call time may be claimed (ms): a cursor further ahead was written by a worker
   * whose clock runs fast, or not by this rule; it is set back to now, rather than stall the deployment's
   * calls (and wait past an invocation's deadline).
   */
  readonly maxCallLeadMs: number;
  /** How many intervals of the rate a pause of the calls lasts: Connect's bucket holds 5. */
  readonly pauseIntervals: number;
  /**
   * Whether Connect's bucket is under a second deep at the ceiling (above 5/s, a raised quota): only then do
   * calls take call times from the schedule's call cursor and may a throttle be answered with a pause. A
   * deeper bucket absorbs any lateness of our own calls (late slots included), so a throttle there is another
   * caller's doing, answered with a lower rate at once, and calls keep their slots as measured beside
   * neighbours (with the cursor and the pause at the default 2/s, the neighbour run's 0.25/s or 0.5/s
   * neighbour had 15–27 % of its calls throttled, 0 % before).
   */
  readonly shallowBucket: boolean;
  /** How often a worker reads the shared pacing state and the schedule's epoch again (ms). */
  readonly refreshMs: number;
  /**
   * The share of an interval a worker's calls at slots are apart at the ceiling (below it, a whole interval,
   * so our calls leave another caller's tokens alone): held requests come back together, and all at once
   * they empty Connect's bucket; half an interval stays within it and halves the billed wait.
   */
  readonly ceilingSpacingShare: number;
  /**
   * The share of calls at slots spread in their interval at the ceiling: without any, held requests keep one
   * phase, a neighbour on the wrong side of it loses every race for the bucket's tokens, and the orchestrator,
   * never throttled, never learns of it.
   */
  readonly ceilingSpreadShare: number;
  /** The furthest into its interval a call at a slot may land (ms): out of phase with a caller on the second. */
  readonly maxSlotSpreadMs: number;
  /** Tries to book a batch's slots while other workers keep booking in between. */
  readonly bookingAttempts: number;
  /** The longest pause before the next booking try (ms): a random part of it, growing with each try. */
  readonly bookingBackoffMs: number;
  /** How long a request that found the schedule busy waits in the queue before asking again (s, spread). */
  readonly busyHoldSeconds: { readonly min: number; readonly max: number };
  /**
   * How far ahead slots are given (ms). Beyond it a request waits in the queue without a slot and asks again:
   * slots far ahead would keep a rate a throttle has since lowered, and SQS delays a message 15 minutes at most.
   */
  readonly scheduleHorizonMs: number;
  /** A slot this late is no longer honoured (ms): a held request comes back seconds after its slot, never minutes. */
  readonly slotStaleAfterMs: number;
  /** The longest a worker waits in the function for a slot (ms): SQS delays are whole seconds. */
  readonly maxInFunctionWaitMs: number;
}

/** The schedule's tuning, the same at any rate. */
const SCHEDULE_TUNING = {
  refreshMs: 2_000,
  ceilingSpacingShare: 0.5,
  ceilingSpreadShare: 0.25,
  maxSlotSpreadMs: 1_000,
  bookingAttempts: 8,
  bookingBackoffMs: 25,
  busyHoldSeconds: { min: 1, max: 5 },
  scheduleHorizonMs: 600_000,
  slotStaleAfterMs: 10_000,
  maxInFunctionWaitMs: 1_000,
} as const;

/** How far ahead slots are given (ms): the policy's `scheduleHorizonMs`. */
export const SCHEDULE_HORIZON_MS = SCHEDULE_TUNING.scheduleHorizonMs;
/** A slot this late is no longer honoured (ms): the policy's `slotStaleAfterMs`. */
export const SLOT_STALE_AFTER_MS = SCHEDULE_TUNING.slotStaleAfterMs;
/** The longest a worker waits in the function for a slot (ms): the policy's `maxInFunctionWaitMs`. */
export const MAX_IN_FUNCTION_WAIT_MS = SCHEDULE_TUNING.maxInFunctionWaitMs;

/**
 * The policy for a configured rate: a floor of a tenth of it, × 0.7 on a throttle, back to 80 % of the
 * throttled rate in 5 s, then probing slowly towards the throttled rate (0.125 % of the ceiling per second:
 * 80 s from 80 % of it back to it at 1/s), and faster above it (1 % of the ceiling per second: a neighbour
 * that left gives its room back within a minute). The throttled rate overstates the room left, since the
 * bucket's burst hides an overshoot for a while, hence the margin and the slow probe near it; a throttle at
 * the ceiling is probed back slowly too, so a neighbour that just arrived is not throttled again before the
 * next throttle. Chosen against a model of Connect's token bucket (`tools/bench/pacingModel.ts`); halving
 * instead of × 0.7 let more of a neighbour's calls be throttled in the worst runs.
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
    confirmMs: 60_000,
    pauseIntervals: 5,
    shallowBucket: ceiling > CALL_CURSOR_ABOVE_RATE,
    // 2 s, or 40 intervals where they are longer: the in-flight claims of a backlog and a pause fit in it.
    maxCallLeadMs: Math.max(2_000, (40 * 1000) / ceiling),
    ...SCHEDULE_TUNING,
  };
}
