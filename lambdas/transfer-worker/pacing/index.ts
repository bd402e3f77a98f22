import { DeadlineTooCloseError, intervalMs, type PacingPolicy } from '../../../src/domain/index.js';
import { AdaptivePacer, type Pacer, type PacingStore } from './AdaptivePacer.js';
import { type BatchPlan, type PlannedRecord, planBatch, type ScheduledTurn } from './batchSchedule.js';
import { CallPacer } from './CallPacer.js';
import { type ScheduleStore, SharedSchedule } from './SharedSchedule.js';

export type { Pacer, PacingStore } from './AdaptivePacer.js';
export type { BatchPlan, PlannedRecord, ScheduledTurn } from './batchSchedule.js';

/**
 * The worker's pacing, behind one door: a batch is admitted (each record runs now, with the slot it waits for
 * if any, or is held in the queue until its slot), each call waits for its turn, a throttle is heard, and the
 * rate it paces to can be read. Adaptive pacing with a schedule, adaptive without one, and fixed pacing are
 * the implementations behind it; every tuning value is in the {@link PacingPolicy}.
 */
export interface Pacing {
  /** Plans a batch: the records to run now (each with its slot, if any) and the ones to hold in the queue. */
  admit(records: readonly PlannedRecord[]): Promise<BatchPlan>;
  /**
   * Waits until a call may start: with a slot, the next call time of the deployment's call cursor (the slot
   * itself when the cursor cannot be reached); without one, this worker's next turn. A call time further
   * away than `budgetMs` (what the invocation may still wait) throws {@link DeadlineTooCloseError} at once:
   * Lambda would end the invocation in the wait, and every record of the batch would come back.
   */
  waitTurn(turn?: ScheduledTurn, budgetMs?: number): Promise<void>;
  /** Connect throttled a call. */
  onThrottle(): Promise<void>;
  /** The deployment's rate this worker paces to now (calls/s). */
  readonly rate: number;
}

/** How a deployment's pacing is set up. */
export interface PacingSetup {
  /** `adaptive`: the rate a ceiling, lowered on throttles and shared; `fixed`: `rate / workers` each. */
  readonly mode: 'adaptive' | 'fixed';
  readonly policy: PacingPolicy;
  /** Workers sharing the rate (the event source's `maxConcurrency`). */
  readonly workers: number;
  /** Where the shared pacing state and the schedule live (the ledger's pacing item). */
  readonly store: PacingStore & ScheduleStore;
  /**
   * Whether requests may wait in the queue for their slots: only when the worker can tell its own copies
   * (their slots) from a producer's messages, and with adaptive pacing.
   */
  readonly schedule: boolean;
}

/** Every record runs now, paced in the function. */
const runAllNow = async (records: readonly PlannedRecord[]): Promise<BatchPlan> => ({
  run: new Map(records.map((planned) => [planned.record.messageId, undefined])),
  hold: [],
});

/**
 * The pacing a worker's setup asks for.
 *
 * @example
 * const pacing = createPacing({ mode: 'adaptive', policy: pacingPolicy(2), workers: 2, store, schedule: true });
 * const plan = await pacing.admit(records);
 * await pacing.waitTurn(plan.run.get(messageId));
 */
export function createPacing(setup: PacingSetup): Pacing {
  const { policy, workers, store } = setup;
  const pacer: Pacer =
    setup.mode === 'adaptive'
      ? new AdaptivePacer(store, policy, workers)
      : new CallPacer(intervalMs(policy.ceiling, workers), Date.now, policy.ceiling);
  const schedule =
    setup.mode === 'adaptive' && setup.schedule ? new SharedSchedule(store, policy) : undefined;
  return {
    admit: schedule
      ? (records) => planBatch(records, schedule, { now: Date.now, random: Math.random })
      : runAllNow,
    waitTurn: async (turn, budgetMs = Number.POSITIVE_INFINITY) => {
      if (!turn) return pacer.waitTurn();
      // The call time comes from the deployment's call cursor, claimed now that the request is ready: its
      // slot only said when to come back, and calling at a slot already past (held requests come back late
      // and together) bunched the calls of several workers past Connect's bucket.
      // Only where Connect's bucket is under a second deep: a deeper one absorbs late slots, and calls at
      // slots are what was measured beside neighbours at the default quota.
      const callAt = schedule && policy.shallowBucket ? await schedule.claimCall(pacer.rate) : undefined;
      if (callAt !== undefined && callAt - Date.now() > budgetMs)
        throw new DeadlineTooCloseError(Math.max(0, Math.floor(budgetMs)));
      return callAt === undefined ? pacer.waitUntil(turn.slotAt) : pacer.waitUntil(callAt, true);
    },
    onThrottle: () => pacer.onThrottle(),
    get rate() {
      return pacer.rate;
    },
  };
}
