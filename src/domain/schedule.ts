/**
 * The deployment's schedule of calls (pure decisions). With a backlog, a worker that waits for its paced turn
 * is billed by Lambda for the wait: with two workers at 2 calls/s that is a whole second per transfer. So each
 * request is given a slot in one shared schedule when it first arrives, and a request whose slot is more than
 * a moment away waits in the queue instead (sent back with a delay: SQS does not bill a wait), and runs when
 * it comes back. Slots follow the rate the pacer would use at their time, so the schedule keeps the pace a
 * waiting worker would have kept.
 *
 * A slot says when a request comes back; the call itself is made at a call time claimed, when the request is
 * ready to call, from the same schedule's call cursor (`nextCallAt`): held requests come back whole seconds
 * late and together, and a call at each late slot at once bunched them past Connect's bucket (5 calls deep:
 * 125 ms at 40/s). Call times are one interval of the rate apart across the deployment, so no batch, however
 * late, calls faster than the rate.
 */
import { currentRate, type PacingState } from './pacing.js';
import { type PacingPolicy, SLOT_STALE_AFTER_MS } from './pacingPolicy.js';

/** SQS's longest message delay (s). */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** Slots given to a batch's requests, and where the schedule ends after them. */
export interface SlotBooking {
  /** One slot (ms) per request, in order; fewer than asked when the horizon is reached. */
  readonly slots: readonly number[];
  /** The end of the schedule after this booking: the next free slot. */
  readonly nextFreeAt: number;
}

/**
 * Books up to `count` consecutive slots from the schedule's end (or now, if it ended), each one interval of
 * the rate at its own time after the one before (the rate recovers after a throttle as `currentRate` says),
 * never past `horizonMs` from now.
 *
 * @example
 * bookSlots(undefined, pacingPolicy(2), undefined, 0, 3, SCHEDULE_HORIZON_MS); // { slots: [0, 500, 1000], nextFreeAt: 1500 }
 */
export function bookSlots(
  state: PacingState | undefined,
  policy: PacingPolicy,
  nextFreeAt: number | undefined,
  now: number,
  count: number,
  horizonMs: number,
): SlotBooking {
  const slots: number[] = [];
  let at = Math.max(nextFreeAt ?? now, now);
  while (slots.length < count && at - now <= horizonMs) {
    slots.push(at);
    at += 1000 / currentRate(state, at, policy);
  }
  return { slots, nextFreeAt: at };
}

/** What to do with a request and its slot now: run it (after a short wait), or let it wait in the queue. */
export type SlotDecision =
  | { readonly kind: 'run'; readonly waitMs: number }
  | { readonly kind: 'hold'; readonly delaySeconds: number };

/**
 * Run now (waiting in the function for at most `maxWaitMs`), or hold in the queue until the slot: the delay
 * is rounded up, so the request comes back at or after its slot and its worker does not wait at all.
 *
 * @example
 * decideSlot(10_400, 10_000, MAX_IN_FUNCTION_WAIT_MS); // { kind: 'run', waitMs: 400 }
 * decideSlot(14_200, 10_000, MAX_IN_FUNCTION_WAIT_MS); // { kind: 'hold', delaySeconds: 5 }
 */
export function decideSlot(slotAt: number, now: number, maxWaitMs: number): SlotDecision {
  const waitMs = slotAt - now;
  if (waitMs <= maxWaitMs) return { kind: 'run', waitMs: Math.max(0, waitMs) };
  return { kind: 'hold', delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(waitMs / 1000)) };
}

/**
 * Whether a slot a request came back with is still valid: booked under the schedule's current epoch (no
 * throttle voided it since) and not long past.
 *
 * @example
 * slotHolds({ at: 5_000, epoch: 0 }, 0, 6_200); // true
 */
export function slotHolds(
  slot: { readonly at: number; readonly epoch: number },
  epoch: number,
  now: number,
  staleAfterMs: number = SLOT_STALE_AFTER_MS,
) {
  return slot.epoch === epoch && now - slot.at <= staleAfterMs;
}

/**
 * How long a request that found no slot within the horizon waits in the queue before it asks again (s):
 * until the schedule's end is within the horizon again at the earliest, then anywhere up to SQS's longest
 * delay (`random` in [0, 1)), so that a large backlog comes back spread out, not all at once.
 *
 * @example
 * unscheduledDelaySeconds(900_000, 0, SCHEDULE_HORIZON_MS, 0); // 300
 */
export function unscheduledDelaySeconds(
  nextFreeAt: number,
  now: number,
  horizonMs: number,
  random: number,
): number {
  const earliest = Math.min(
    MAX_QUEUE_DELAY_SECONDS,
    Math.max(1, Math.ceil((nextFreeAt - now - horizonMs) / 1000)),
  );
  return Math.min(
    MAX_QUEUE_DELAY_SECONDS,
    earliest + Math.floor(random * (MAX_QUEUE_DELAY_SECONDS - earliest + 1)),
  );
}

/** A call time claimed from the call cursor, and where the cursor stands after it. */
export interface CallClaim {
  /** When the call may start (ms). */
  readonly callAt: number;
  /** The cursor after the claim: the next call of the deployment starts no earlier (ms). */
  readonly nextCallAt: number;
}

/**
 * The call time a request about to call takes from the deployment's call cursor: the cursor, or now if it
 * fell behind (nobody called for a while), and the cursor moves one interval of the rate past it. Claimed
 * when the request is ready to call, not when its batch was planned: a request reaches its turn after its
 * own reads and writes, hundreds of ms later under load, and a time claimed earlier would be past by then
 * (a call at once, bunched with the others) or, given up, a hole in the schedule.
 *
 * @example
 * claimCallTime(10_250, 10_000, 25); // { callAt: 10_250, nextCallAt: 10_275 }
 * claimCallTime(9_000, 10_000, 25); // { callAt: 10_000, nextCallAt: 10_025 }
 */
export function claimCallTime(nextCallAt: number | undefined, now: number, intervalMs: number): CallClaim {
  const callAt = Math.max(nextCallAt ?? now, now);
  return { callAt, nextCallAt: callAt + intervalMs };
}
