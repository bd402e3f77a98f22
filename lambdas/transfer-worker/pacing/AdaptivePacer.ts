import {
  afterThrottle,
  currentRate,
  intervalMs,
  type PacingPolicy,
  type PacingState,
  slotCallSpacingMs,
} from '../../../src/domain/index.js';
import { answerThrottle, pauseMs } from '../../../src/domain/pacing.js';

/** Where the deployment's shared pacing state lives (one small item of the ledger table). */
export interface PacingStore {
  /** The shared state, if any worker ever lowered the rate. */
  read(): Promise<PacingState | undefined>;
  /**
   * Writes a lowered rate unless another worker already answered this throttle episode (changed the state
   * since `episodeStart`). Returns whether it was written.
   */
  lower(next: PacingState, episodeStart: number): Promise<boolean>;
  /**
   * Pauses the deployment's calls: records `pausedAt` and moves the call cursor on by `pauseMs`, unless a
   * pause since `episodeStart` answered this throttle already or no call is queued on the cursor. Returns
   * whether it was written. A store without a call cursor has none: its throttles lower the rate.
   */
  pause?(pausedAt: number, episodeStart: number, pauseMs: number): Promise<boolean>;
}

/** What a worker's pacer does: wait for a turn (its own, or a slot of the schedule), and hear of throttles. */
export interface Pacer {
  waitTurn(): Promise<void>;
  /**
   * Waits for a slot of the deployment's schedule (ms), which takes the place of this worker's turn; `claimed`
   * when it is a call time of the schedule's call cursor (already an interval from every other call).
   */
  waitUntil(slotAt: number, claimed?: boolean): Promise<void>;
  onThrottle(): Promise<void>;
  /** The deployment's rate this worker paces to now (calls/s). */
  readonly rate: number;
}

/** How an `AdaptivePacer` reads the clock, sleeps and draws its jitter (tests and the model replace them). */
export interface AdaptivePacerOptions {
  /** How often the shared state is read again. @default the policy's `refreshMs` */
  readonly refreshMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * How far into its interval (its turn's, or at a slot the spread's) a call may land, as a share of it.
   * @default 1 (anywhere)
   */
  readonly jitter?: number;
}

/**
 * Paces one worker's calls to its share (`rate / workers`) of a rate every worker of the deployment agrees
 * on: the shared state is read at most every `refreshMs` (an eventually consistent read), and only a
 * throttle writes it (`afterThrottle`, once per episode, whichever worker sees it first). Between reads the
 * rate still moves, as `currentRate` computes it from the state and the clock.
 */
export class AdaptivePacer implements Pacer {
  #state: PacingState | undefined;
  #readAt = Number.NEGATIVE_INFINITY;
  /** This worker's last turn (a slot of the schedule counts as one): its next own turn is an interval later. */
  #lastTurnMs = Number.NEGATIVE_INFINITY;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  /** When this worker last called at a slot: its next such call is `slotCallSpacingMs` later at the earliest. */
  #lastSlotCallMs = Number.NEGATIVE_INFINITY;
  /** When a call of this worker last waited for its slot or call time: calls were queued on the schedule. */
  #queuedAt = Number.NEGATIVE_INFINITY;

  readonly #refreshMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #jitter: number;

  constructor(
    private readonly store: PacingStore,
    private readonly policy: PacingPolicy,
    private readonly workers: number,
    options: AdaptivePacerOptions = {},
  ) {
    this.#refreshMs = options.refreshMs ?? policy.refreshMs;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#jitter = options.jitter ?? 1;
  }

  get rate(): number {
    return currentRate(this.#state, this.#now(), this.policy);
  }

  /**
   * Waits until this worker's next call may start.
   *
   * @example
   * await pacer.waitTurn();
   */
  async waitTurn(): Promise<void> {
    await this.#refresh();
    const now = this.#now();
    const interval = intervalMs(this.rate, this.workers);
    // Turns an interval apart keep the rate; each call lands anywhere in its turn. Calls in lockstep with the
    // quota's refill win every token from other callers without ever being throttled (and throttles are the
    // only sign of them this pacer gets); calls early in their turn still won most races (the bench's
    // neighbour at 1/s was throttled 47 % with the calls in the first 30 % of their turn, 3 % anywhere in it).
    // A worker that was idle for a whole interval races no one: it calls at once (latency, and Lambda bills
    // the wait).
    const due = this.#lastTurnMs + interval;
    const turn = Math.max(now, due);
    this.#lastTurnMs = turn;
    const jitter = due <= now ? 0 : this.#random() * this.#jitter * interval;
    const start = Math.max(turn + jitter, this.#lastStartMs);
    this.#lastStartMs = start;
    if (start > now) await this.#sleep(start - now);
  }

  /**
   * Waits for a slot the deployment's schedule gave the request: the slot is the turn (the schedule keeps the
   * rate), and this worker's next own turn comes at least an interval after it. While the rate is below the
   * ceiling (a throttle said another caller uses the quota) the call lands anywhere in the slot's interval
   * (its first second at most), as `waitTurn`'s do: requests held for their slots come back together, whole
   * seconds after the batch that held them, so their calls keep one phase and would win every race for the
   * bucket's tokens against a caller on the second, which is then the one throttled (the bench's 1/s
   * neighbour: 16 % of its calls).
   * At the ceiling, with no sign of another caller, a call is made at once (Lambda bills the wait), but for a
   * random share of them (the policy's `ceilingSpreadShare`). Either way a worker's calls at slots are `slotCallSpacingMs`
   * apart at least, but for call times of the call cursor (`claimed`): the cursor spaced them from every
   * call of the deployment, and a worker's requests reach their turns out of the order of their call times
   * (each after its own reads), so spacing each from the one before pushed the earlier times onto the later
   * ones, a call every half interval (the bench at 10/s: 7 calls 50 ms apart, then a throttle).
   *
   * @example
   * await pacer.waitUntil(slotAt);
   */
  async waitUntil(slotAt: number, claimed = false): Promise<void> {
    await this.#refresh();
    const now = this.#now();
    if (slotAt > now) this.#queuedAt = now;
    const rate = this.rate;
    // At most a second: enough to be out of phase with a caller on the second, and Lambda bills the wait.
    const spread = Math.min(1000 / rate, this.policy.maxSlotSpreadMs);
    const spreadThis = rate < this.policy.ceiling || this.#random() < this.policy.ceilingSpreadShare;
    const jitter = spreadThis ? this.#random() * this.#jitter * spread : 0;
    const spaced = claimed
      ? Number.NEGATIVE_INFINITY
      : this.#lastSlotCallMs + slotCallSpacingMs(rate, this.policy);
    const start = Math.max(Math.max(slotAt, now) + jitter, spaced);
    if (!claimed) this.#lastSlotCallMs = start;
    this.#lastTurnMs = Math.max(this.#lastTurnMs, slotAt);
    this.#lastStartMs = Math.max(this.#lastStartMs, start);
    if (start > now) await this.#sleep(start - now);
  }

  /**
   * Connect throttled a call: pause the deployment's calls or lower the shared rate (`answerThrottle`, once
   * per episode, whichever worker sees it first), and start this worker's next call a whole new interval
   * later.
   *
   * @example
   * await pacer.onThrottle();
   */
  async onThrottle(): Promise<void> {
    const now = this.#now();
    await this.#refresh(true);
    // Calls were queued if one of this worker's waited for its time in the episode before the throttle.
    const queued = this.store.pause !== undefined && now - this.#queuedAt <= this.policy.episodeMs;
    const answer = answerThrottle(this.#state, now, this.policy, queued);
    if (answer === 'pause') {
      const paused = await this.store
        .pause?.(now, now - this.policy.episodeMs, pauseMs(this.rate, this.policy))
        .catch(() => false);
      await this.#refresh(true);
      // Not written: another worker paused for this episode (done), or no call was queued after all (lower).
      if (!paused && answerThrottle(this.#state, now, this.policy, false) === 'lower') await this.#lower(now);
    } else if (answer === 'lower') await this.#lower(now);
    this.#lastTurnMs = Math.max(this.#lastTurnMs, now);
    this.#lastStartMs = Math.max(this.#lastStartMs, now);
  }

  async #lower(now: number): Promise<void> {
    const next = afterThrottle(this.#state, now, this.policy);
    if (!next) return;
    const written = await this.store.lower(next, now - this.policy.episodeMs).catch(() => false);
    if (written) this.#state = next;
    else await this.#refresh(true);
  }

  async #refresh(force = false): Promise<void> {
    if (!force && this.#now() - this.#readAt < this.#refreshMs) return;
    // A failed read keeps the last view: pacing never stops the worker.
    this.#state = await this.store.read().catch(() => this.#state);
    this.#readAt = this.#now();
  }
}
