import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../tools/connect-simulator/TokenBucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 5, () => now);
    const burst = Array.from({ length: 6 }, () => bucket.tryTake());
    expect(burst).toEqual([true, true, true, true, true, false]);
    now = 499;
    expect(bucket.tryTake()).toBe(false);
    now = 500;
    expect(bucket.tryTake()).toBe(true);
    now = 60_000;
    expect(Array.from({ length: 6 }, () => bucket.tryTake()).filter(Boolean)).toHaveLength(5);
  });
});
