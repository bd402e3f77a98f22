import { describe, expect, it } from 'vitest';
import { afterThrottle, pacingPolicy } from '../../../src/domain/pacing.js';
import { MAX_IN_FUNCTION_WAIT_MS, SCHEDULE_HORIZON_MS } from '../../../src/domain/pacingPolicy.js';
import {
  bookSlots,
  claimCallTime,
  decideSlot,
  slotHolds,
  unscheduledDelaySeconds,
} from '../../../src/domain/schedule.js';

const policy = pacingPolicy(2);

describe('bookSlots', () => {
  it('gives consecutive slots one interval of the ceiling apart, from now when the schedule has ended', () => {
    expect(bookSlots(undefined, policy, 1_000, 5_000, 3, SCHEDULE_HORIZON_MS)).toEqual({
      slots: [5_000, 5_500, 6_000],
      nextFreeAt: 6_500,
    });
  });

  it('continues from the end of the schedule', () => {
    expect(bookSlots(undefined, policy, 9_000, 5_000, 2, SCHEDULE_HORIZON_MS)).toEqual({
      slots: [9_000, 9_500],
      nextFreeAt: 10_000,
    });
  });

  it('never books past the horizon', () => {
    const booking = bookSlots(undefined, policy, 5_000 + 2_900, 5_000, 10, 4_000);
    expect(booking.slots).toEqual([7_900, 8_400, 8_900]);
    expect(booking.nextFreeAt).toBe(9_400);
    expect(bookSlots(undefined, policy, 20_000, 5_000, 10, 4_000).slots).toEqual([]);
  });

  it('follows the rate as it recovers after a throttle: wider slots first, then closer', () => {
    const state = afterThrottle(undefined, 0, policy);
    const { slots } = bookSlots(state, policy, undefined, 0, 200, SCHEDULE_HORIZON_MS);
    const gaps = slots.slice(1).map((slot, i) => slot - (slots[i] as number));
    expect(gaps[0]).toBeCloseTo(1000 / 1.4, 6);
    expect(gaps.at(-1) as number).toBeLessThan(gaps[0] as number);
    for (let i = 1; i < gaps.length; i += 1)
      expect(gaps[i] as number).toBeLessThanOrEqual((gaps[i - 1] as number) + 1e-6);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500 - 1e-6);
  });
});

describe('decideSlot', () => {
  it('runs a request whose slot is at most a second away, waiting for it in the function', () => {
    expect(decideSlot(10_400, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({ kind: 'run', waitMs: 400 });
    expect(decideSlot(11_000, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({ kind: 'run', waitMs: 1_000 });
    expect(decideSlot(9_000, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({ kind: 'run', waitMs: 0 });
  });

  it('holds the others in the queue until at or after their slot, at most 15 minutes', () => {
    expect(decideSlot(11_001, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({ kind: 'hold', delaySeconds: 2 });
    expect(decideSlot(14_200, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({ kind: 'hold', delaySeconds: 5 });
    expect(decideSlot(10_000 + 3_600_000, 10_000, MAX_IN_FUNCTION_WAIT_MS)).toEqual({
      kind: 'hold',
      delaySeconds: 900,
    });
  });
});

describe('slotHolds', () => {
  it('honours a slot of the current epoch, up to 10 s late', () => {
    expect(slotHolds({ at: 5_000, epoch: 7 }, 7, 4_000)).toBe(true);
    expect(slotHolds({ at: 5_000, epoch: 7 }, 7, 15_000)).toBe(true);
    expect(slotHolds({ at: 5_000, epoch: 7 }, 7, 15_001)).toBe(false);
  });

  it('voids a slot booked before the last throttle', () => {
    expect(slotHolds({ at: 5_000, epoch: 7 }, 9, 5_000)).toBe(false);
  });
});

describe('unscheduledDelaySeconds', () => {
  it('waits at least until the schedule is within the horizon again, at most 15 minutes', () => {
    expect(unscheduledDelaySeconds(900_000, 0, SCHEDULE_HORIZON_MS, 0)).toBe(300);
    expect(unscheduledDelaySeconds(900_000, 0, SCHEDULE_HORIZON_MS, 0.999)).toBe(900);
    expect(unscheduledDelaySeconds(SCHEDULE_HORIZON_MS + 10, 0, SCHEDULE_HORIZON_MS, 0)).toBe(1);
    expect(unscheduledDelaySeconds(10_000_000, 0, SCHEDULE_HORIZON_MS, 0)).toBe(900);
  });

  it('spreads a backlog over the rest of the 15 minutes', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((r) =>
      unscheduledDelaySeconds(900_000, 0, SCHEDULE_HORIZON_MS, r),
    );
    expect(delays).toEqual([300, 450, 600, 750]);
  });
});

describe('claimCallTime', () => {
  it('gives the cursor when it is ahead, and moves it on by an interval', () => {
    expect(claimCallTime(10_250, 10_000, 25)).toEqual({ callAt: 10_250, nextCallAt: 10_275 });
  });

  it('gives now when the cursor fell behind or was never set: a lull is not made up at once', () => {
    expect(claimCallTime(9_000, 10_000, 25)).toEqual({ callAt: 10_000, nextCallAt: 10_025 });
    expect(claimCallTime(undefined, 10_000, 500)).toEqual({ callAt: 10_000, nextCallAt: 10_500 });
  });
});
