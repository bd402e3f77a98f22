import type { Pacer } from './AdaptivePacer.js';

/**
 * Spaces calls at least `intervalMs` apart within one worker, whatever the concurrency inside it: each
 * caller books the next free start time, then sleeps until it. A warm Lambda keeps the schedule across
 * invocations, so back-to-back batches do not burst.
 */
export class CallPacer implements Pacer {
  #nextStartMs = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly fixedRate = 1000 / intervalMs,
  ) {}

  /**
   * Waits for this caller's turn.
   *
   * @example
   * const pacer = new CallPacer(500);
   * await pacer.waitTurn(); // at once
   * await pacer.waitTurn(); // about 500 ms later
   */
  async waitTurn(): Promise<void> {
    const now = this.now();
    const startMs = Math.max(now, this.#nextStartMs);
    this.#nextStartMs = startMs + this.intervalMs;
    if (startMs > now) await new Promise((resolve) => setTimeout(resolve, startMs - now));
  }

  /** Waits for a given start time (ms); this worker's next turn comes an interval after it. */
  async waitUntil(slotAt: number): Promise<void> {
    const now = this.now();
    this.#nextStartMs = Math.max(this.#nextStartMs, slotAt + this.intervalMs);
    if (slotAt > now) await new Promise((resolve) => setTimeout(resolve, slotAt - now));
  }

  /** The deployment's rate this pacing implies, given the workers sharing it: fixed. */
  get rate(): number {
    return this.fixedRate;
  }

  /** A fixed pacer does not adapt: a throttle only delays the next call by an interval. */
  async onThrottle(): Promise<void> {
    this.#nextStartMs = Math.max(this.#nextStartMs, this.now() + this.intervalMs);
  }

  /** How long a caller asking now would wait, in milliseconds. */
  pendingDelayMs(): number {
    return Math.max(0, this.#nextStartMs - this.now());
  }
}
