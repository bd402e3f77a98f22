import { describe, expect, it } from 'vitest';
import {
  afterThrottle,
  answerThrottle,
  currentRate,
  intervalMs,
  pacingPolicy,
  pauseMs,
  slotCallSpacingMs,
} from '../../../src/domain/pacing.js';

const policy = pacingPolicy(2);

describe('adaptive pacing: the controller’s decisions', () => {
  it('uses the ceiling until Connect throttles', () => {
    expect(currentRate(undefined, 123, policy)).toBe(2);
  });

  it('lowers the rate by 30 % on a throttle and remembers where it happened', () => {
    expect(afterThrottle(undefined, 10_000, policy)).toEqual({
      rate: 1.4,
      changedAt: 10_000,
      throttledRate: 2,
    });
  });

  it('answers one throttle episode once, whoever sees the next throttles', () => {
    const lowered = afterThrottle(undefined, 10_000, policy);
    expect(afterThrottle(lowered, 10_000 + policy.episodeMs - 1, policy)).toBeUndefined();
    expect(afterThrottle(lowered, 10_000 + policy.episodeMs, policy)?.rate).toBeLessThan(1.4);
  });

  it('climbs back to 80 % of the throttled rate in 5 s, probes slowly up to it, then faster to the ceiling', () => {
    const state = { rate: 0.75, changedAt: 0, throttledRate: 1.5 };
    expect(currentRate(state, 0, policy)).toBe(0.75);
    expect(currentRate(state, 2_500, policy)).toBeCloseTo(0.975);
    expect(currentRate(state, 5_000, policy)).toBeCloseTo(1.2);
    // 0.0025 calls/s more each second up to the throttled rate: from 1.2 to 1.5 takes 120 s…
    expect(currentRate(state, 65_000, policy)).toBeCloseTo(1.35);
    expect(currentRate(state, 125_000, policy)).toBeCloseTo(1.5);
    // …then 0.02 more each second: from 1.5 to the ceiling of 2 takes 25 s.
    expect(currentRate(state, 135_000, policy)).toBeCloseTo(1.7);
    expect(currentRate(state, 149_000, policy)).toBeLessThan(2);
    expect(currentRate(state, 150_000, policy)).toBe(2);
    expect(currentRate(state, 10_000_000, policy)).toBe(2);
  });

  it('probes slowly back to the ceiling after a throttle at the ceiling (a neighbour may have just arrived)', () => {
    const state = afterThrottle(undefined, 0, policy);
    expect(currentRate(state, 5_000, policy)).toBeCloseTo(1.6);
    expect(currentRate(state, 85_000, policy)).toBeCloseTo(1.8);
    expect(currentRate(state, 165_000, policy)).toBe(2);
  });

  it('probes at the faster speed at once from a rate already above the last throttled one', () => {
    const state = { rate: 1.2, changedAt: 0, throttledRate: 1 };
    expect(currentRate(state, 10_000, policy)).toBeCloseTo(1.4);
  });

  it('lowers the rate again on a throttle during the recovery, but keeps judging the room by the first', () => {
    const first = afterThrottle(undefined, 0, policy);
    const echo = afterThrottle(first, 3_000, policy);
    expect(echo?.rate).toBeLessThan(first?.rate ?? 0);
    expect(echo?.throttledRate).toBe(2);
    // After the recovery a throttle is news: the room is judged by it.
    const later = afterThrottle(first, 60_000, policy);
    expect(later?.throttledRate).toBeCloseTo(currentRate(first, 60_000, policy));
  });

  it('never goes below the floor, so the backlog always moves', () => {
    let state = afterThrottle(undefined, 0, policy);
    for (let t = 1; t < 20; t += 1) state = afterThrottle(state, t * policy.episodeMs, policy) ?? state;
    expect(currentRate(state, 20 * policy.episodeMs, policy)).toBeGreaterThanOrEqual(policy.floor);
    expect(policy.floor).toBe(0.2);
  });

  it('spaces one worker’s calls by its share of the rate', () => {
    expect(intervalMs(2, 2)).toBe(1_000);
    expect(intervalMs(1, 2)).toBe(2_000);
  });

  it('spaces a worker’s calls at slots half an interval at the ceiling, a whole one below it', () => {
    expect(slotCallSpacingMs(2, policy)).toBe(250);
    expect(slotCallSpacingMs(4, pacingPolicy(4))).toBe(125);
    expect(slotCallSpacingMs(1.999, policy)).toBeCloseTo(1000 / 1.999, 9);
    expect(slotCallSpacingMs(1, policy)).toBe(1_000);
  });
});

describe('answering a throttle: a pause for our own bunching, a lower rate for a shared quota', () => {
  const raised = pacingPolicy(40);

  it('pauses the calls for a throttle at the ceiling with calls queued and no pause lately', () => {
    expect(answerThrottle(undefined, 100_000, raised, true)).toBe('pause');
    expect(answerThrottle({ rate: 40, changedAt: 0, pausedAt: 39_999 }, 100_000, raised, true)).toBe('pause');
    // A second throttle within a minute of a pause is a neighbour's doing, however slow the neighbour (a
    // 0.25/s one takes the pause's 5 tokens back in 20 s): the rate is lowered.
    expect(answerThrottle({ rate: 40, changedAt: 0, pausedAt: 80_000 }, 100_000, raised, true)).toBe('lower');
    expect(
      answerThrottle({ rate: 10, changedAt: 0, pausedAt: 50_000 }, 100_000, pacingPolicy(10), true),
    ).toBe('lower');
    // Connect's bucket refills in the pause: 5 intervals.
    expect(pauseMs(40, raised)).toBe(125);
    expect(pauseMs(2, policy)).toBe(2_500);
  });

  it('answers the throttles of the pause’s own episode once: the other calls of the bunch', () => {
    expect(answerThrottle({ rate: 40, changedAt: 0, pausedAt: 99_000 }, 100_000, raised, true)).toBe(
      'answered',
    );
  });

  it('lowers the rate for a throttle after the pause’s episode: another caller shares the quota', () => {
    expect(answerThrottle({ rate: 40, changedAt: 0, pausedAt: 95_000 }, 100_000, raised, true)).toBe('lower');
    expect(answerThrottle({ rate: 40, changedAt: 0, pausedAt: 90_000 }, 100_000, raised, true)).toBe('lower');
  });

  it('lowers the rate at once at the default quota, whose bucket (2.5 s deep) no lateness of ours empties', () => {
    expect(policy.shallowBucket).toBe(false);
    expect(answerThrottle(undefined, 100_000, policy, true)).toBe('lower');
    expect(pacingPolicy(5).shallowBucket).toBe(false);
    expect(pacingPolicy(10).shallowBucket).toBe(true);
  });

  it('lowers the rate at once with no call queued, or below the ceiling (nothing of ours bunched)', () => {
    expect(answerThrottle(undefined, 100_000, raised, false)).toBe('lower');
    const lowered = afterThrottle(undefined, 80_000, raised);
    expect(currentRate(lowered, 100_000, raised)).toBeLessThan(40);
    expect(answerThrottle(lowered, 100_000, raised, true)).toBe('lower');
  });
});
