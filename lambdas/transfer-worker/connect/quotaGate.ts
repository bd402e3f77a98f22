import { ConnectCallError, DeadlineTooCloseError, isThrottledCall } from '../../../src/domain/index.js';

/** A Connect API's quota, as this worker's share of it. */
export interface ApiQuota {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** How the gate reads the clock and waits (tests replace them). */
export interface GateClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const realClock: GateClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Any SDK error as a {@link ConnectCallError} (its name as the code, its HTTP status). */
export const callError = (error: unknown): ConnectCallError => {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  return new ConnectCallError(e.name || 'UnknownError', e.$metadata?.httpStatusCode, e.message, {
    cause: error,
  });
};

/** A throttled call, by the same rule as a throttled transfer (the domain's list of throttling codes). */
export const isThrottle = (error: unknown): boolean => isThrottledCall(callError(error));

/**
 * A token bucket in front of one Connect API other than `TransferContact` (whose pacing is the schedule's):
 * each has an account-wide quota of its own (the default 2/s, burst 5, shared with every other caller), so a
 * batch must not fire its calls at once and spend a delivery on each throttle.
 *
 * @example
 * const gate = new QuotaGate({ ratePerSecond: 1, burst: 2 });
 * await gate.take(); // at once; the third take in a row waits a second
 */
export class QuotaGate {
  #tokens: number;
  #at: number;

  constructor(
    private readonly quota: ApiQuota,
    private readonly clock: GateClock = realClock,
    /** How long the invocation may still wait (ms): a wait past it throws instead. @default unbounded */
    private readonly budgetMs: () => number = () => Number.POSITIVE_INFINITY,
  ) {
    this.#tokens = quota.burst;
    this.#at = clock.now();
  }

  /** Waits until the bucket has a token, and takes it; throws {@link DeadlineTooCloseError} rather than wait past the budget. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.#tokens = Math.min(
        this.quota.burst,
        this.#tokens + ((now - this.#at) / 1000) * this.quota.ratePerSecond,
      );
      this.#at = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / this.quota.ratePerSecond) * 1000);
      // Never wait past the invocation's deadline: Lambda would kill it and every record would come back.
      const budget = this.budgetMs();
      if (waitMs > budget) throw new DeadlineTooCloseError(Math.max(0, Math.floor(budget)));
      await this.clock.sleep(waitMs);
    }
  }

  /** Empties the bucket: Connect said the quota is spent (another caller shares it). */
  drain(): void {
    this.#tokens = 0;
    this.#at = this.clock.now();
  }

  /**
   * Makes a call at the gate's next token. A throttled call did nothing and is safe to make again: it is,
   * after the bucket is drained and refilled, a few times; any other failure is thrown as the SDK threw it.
   */
  async call<T>(send: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      await this.take();
      try {
        return await send();
      } catch (error) {
        if (!isThrottle(error) || retry >= THROTTLED_CALL_RETRIES) throw error;
        this.drain();
      }
    }
  }
}

/** How many times one call is made again after a throttle, within the invocation. */
const THROTTLED_CALL_RETRIES = 3;
