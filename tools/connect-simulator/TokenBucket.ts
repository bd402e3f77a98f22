/**
 * A token bucket: `burst` calls at once, refilled at `ratePerSecond`. Connect's default `TransferContact`
 * quota is 2 requests/s with a burst of 5 per account and Region.
 */
export class TokenBucket {
  #tokens: number;
  #lastRefillMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#lastRefillMs = now();
  }

  /**
   * Takes one token if there is one.
   *
   * @example
   * new TokenBucket(2, 5).tryTake(); // true
   */
  tryTake(): boolean {
    const now = this.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((now - this.#lastRefillMs) / 1000) * this.ratePerSecond,
    );
    this.#lastRefillMs = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
