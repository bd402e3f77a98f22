import { bookSlots, type PacingPolicy, type PacingState } from '../../../src/domain/index.js';

/** Where the deployment's schedule lives: next to the pacing state, in one item of the ledger table. */
export interface ScheduleStore {
  /** The pacing state and the schedule's end (the next free slot, ms), read strongly consistently. */
  readSchedule(): Promise<{ readonly state?: PacingState; readonly nextFreeAt?: number }>;
  /** Moves the schedule's end from `seen` to `next`, unless another worker (or a throttle) moved it first. */
  advanceSchedule(seen: number | undefined, next: number): Promise<boolean>;
  /**
   * Claims the next call time of the deployment (ms) from the call cursor, atomically (`claimCallTime`), and
   * moves the cursor on by `intervalMs`; a cursor more than `maxLeadMs` ahead of now is set back to now.
   */
  claimCall(now: number, intervalMs: number, maxLeadMs: number): Promise<number>;
}

/** Slots given to a batch, under the epoch they belong to (the last throttle's time; 0 before any). */
export interface BookedSlots {
  readonly slots: readonly number[];
  readonly epoch: number;
  /** The schedule's end after the booking. */
  readonly nextFreeAt: number;
}

/** How a `SharedSchedule` reads the clock (tests replace it). */
export interface SharedScheduleOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** How long the epoch read for returning requests is reused. @default the policy's `refreshMs` */
  readonly refreshMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The deployment's shared schedule of calls: a batch books consecutive slots at the end of it (one
 * conditional write per batch), and a throttle voids it (the store's `lower` moves its end back to now and
 * starts a new epoch), so that requests with slots of the old rate ask again. A request ready to call claims
 * its call time from the schedule's call cursor (one write a call): the one arbiter of when the deployment
 * calls, whenever its requests came back.
 */
export class SharedSchedule {
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #epoch: number | undefined;
  #epochReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: ScheduleStore,
    readonly policy: PacingPolicy,
    options: SharedScheduleOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? policy.refreshMs;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Books up to `count` slots (fewer when the horizon is reached). `'busy'` when other workers kept booking
   * in between (the caller holds the requests a few seconds, to ask again); `undefined` when the schedule
   * could not be read or written (DynamoDB failing: the caller runs the requests, whose own writes then fail
   * and are retried, so an outage still ends in the DLQ with its reason).
   *
   * @example
   * const booked = await schedule.book(10); // { slots: [t, t + 500, …], epoch: 0, nextFreeAt }
   */
  async book(count: number): Promise<BookedSlots | 'busy' | undefined> {
    try {
      for (let attempt = 0; attempt < this.policy.bookingAttempts; attempt += 1) {
        const { state, nextFreeAt } = await this.store.readSchedule();
        const epoch = state?.changedAt ?? 0;
        this.#remember(epoch);
        const booking = bookSlots(
          state,
          this.policy,
          nextFreeAt,
          this.#now(),
          count,
          this.policy.scheduleHorizonMs,
        );
        if (booking.slots.length === 0) return { ...booking, epoch };
        if (await this.store.advanceSchedule(nextFreeAt, booking.nextFreeAt)) return { ...booking, epoch };
        await this.#sleep(this.#random() * this.policy.bookingBackoffMs * (attempt + 1));
      }
      return 'busy';
    } catch {
      return undefined;
    }
  }

  /**
   * The time a request ready to call calls at (ms): the next one of the deployment's call cursor, one interval
   * of `rate` after the one before (or now, when nobody called for a while). `undefined` when the cursor
   * cannot be read or written: the caller keeps its slot.
   *
   * @example
   * const callAt = (await schedule.claimCall(pacer.rate)) ?? slotAt;
   */
  async claimCall(rate: number): Promise<number | undefined> {
    try {
      return await this.store.claimCall(this.#now(), 1000 / rate, this.policy.maxCallLeadMs);
    } catch {
      return undefined;
    }
  }

  /**
   * The schedule's current epoch (read again at most every `refreshMs`), or `undefined` if it cannot be read.
   *
   * @example
   * slotHolds(slot, await schedule.epoch(), Date.now());
   */
  async epoch(): Promise<number | undefined> {
    if (this.#now() - this.#epochReadAt < this.#refreshMs) return this.#epoch;
    try {
      const { state } = await this.store.readSchedule();
      this.#remember(state?.changedAt ?? 0);
    } catch {
      // An unreadable schedule honours no slot: the request asks again or is paced in the function.
      return undefined;
    }
    return this.#epoch;
  }

  #remember(epoch: number): void {
    this.#epoch = epoch;
    this.#epochReadAt = this.#now();
  }
}
