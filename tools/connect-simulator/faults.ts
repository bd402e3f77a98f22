import type { ReadOperation, WriteOperation } from './types.js';

/** What a fault does to one call. "Doing" the call is the transfer, or the attribute update. */
type Fault =
  /**
   * Answer 429 without doing anything: ThrottlingException (TooManyRequestsException for
   * `UpdateContactAttributes`).
   */
  | { readonly kind: 'throttle' }
  /** Answer 500 InternalServiceException without doing anything. */
  | { readonly kind: 'error' }
  /** Close the connection without an answer, without doing anything. */
  | { readonly kind: 'drop' }
  /** Do the call, then answer 500: the caller cannot know it happened. */
  | { readonly kind: 'commit-then-error' }
  /** Do the call, then close the connection without an answer. */
  | { readonly kind: 'commit-then-drop' }
  /** Wait `ms` before handling the call (before anything is done). */
  | { readonly kind: 'delay-before'; readonly ms: number }
  /** Do the call, then wait `ms` before answering. */
  | { readonly kind: 'delay-after'; readonly ms: number };

/**
 * A fault applied to one upcoming call that changes a contact, in order: the next call of its `operation`
 * (`TransferContact` when it names none, as before `UpdateContactAttributes` was served); calls of the other
 * operation pass it by.
 */
export type ScriptedFault = Fault & {
  /** The operation whose next call takes the fault. @default 'TransferContact' */
  readonly operation?: WriteOperation;
};

/**
 * A fault applied to one upcoming read (`DescribeContact`, `ListAssociatedContacts`): the kinds of
 * {@link ScriptedFault} that mean something for a call that changes nothing. `delay-before` waits, then
 * reads; `delay-after` reads, then waits, so the answer is stale when it arrives.
 */
export type ReadFault = (
  | Extract<Fault, { readonly kind: 'throttle' | 'error' | 'drop' | 'delay-before' | 'delay-after' }>
  /** Answer 404 for a contact that exists: a read lagging it (AWS does not rule it out). */
  | { readonly kind: 'not-found' }
) & {
  /** Only a call of this read takes the fault; calls of the other read pass it by. @default - either read */
  readonly operation?: ReadOperation;
};

/** Random faults, drawn from a seeded PRNG for reproducible runs. Rates are probabilities in [0, 1]. */
export interface FaultPlan {
  /** @default 0 */
  readonly throttleRate?: number;
  /** @default 0 */
  readonly errorRate?: number;
  /** @default 0 */
  readonly dropRate?: number;
  /** Probability that a transfer is done and then answered with a 500. @default 0 */
  readonly commitThenErrorRate?: number;
  /** Added to every call. @default 0 */
  readonly latencyMs?: number;
  /** Probability that a call is held `holdMs` before it is processed (a caller may vanish meanwhile). @default 0 */
  readonly holdBeforeRate?: number;
  /** Probability that a call is processed, then held `holdMs` before it is answered. @default 0 */
  readonly holdAfterRate?: number;
  /** How long a held call waits. @default 1000 */
  readonly holdMs?: number;
  /** Faults for the next calls, one each, before any random fault. @default [] */
  readonly script?: readonly ScriptedFault[];
  /**
   * The operations the random faults, `latencyMs` and holds apply to. Scripted faults name their own.
   * @default ['TransferContact']
   */
  readonly operations?: readonly WriteOperation[];
}

/**
 * The faults of upcoming calls that change a contact (`TransferContact`, `UpdateContactAttributes`):
 * scripted ones first, in order, then random ones drawn from the simulator's seeded PRNG, so a run is
 * reproducible. An operation the plan's random faults do not apply to draws nothing, leaving the others'
 * draws as they were.
 */
export class FaultSchedule {
  #plan: FaultPlan = {};
  #script: ScriptedFault[] = [];

  constructor(private readonly random: () => number) {}

  /** The plan in force. */
  get plan(): FaultPlan {
    return this.#plan;
  }

  /** Replaces the plan (and its script). */
  replace(plan: FaultPlan): void {
    this.#plan = plan;
    this.#script = [...(plan.script ?? [])];
  }

  /** Whether the plan's random faults, latency and holds apply to calls of `operation`. */
  covers(operation: WriteOperation): boolean {
    return (this.#plan.operations ?? ['TransferContact']).includes(operation);
  }

  /**
   * The fault of the next call of `operation`, if any.
   *
   * @example
   * new FaultSchedule(Math.random).next(); // undefined: no plan
   */
  next(operation: WriteOperation = 'TransferContact'): ScriptedFault | undefined {
    const index = this.#script.findIndex((fault) => (fault.operation ?? 'TransferContact') === operation);
    if (index >= 0) return this.#script.splice(index, 1)[0];
    if (!this.covers(operation)) return undefined;
    const { throttleRate = 0, errorRate = 0, dropRate = 0, commitThenErrorRate = 0 } = this.#plan;
    const draw = this.random();
    if (draw < throttleRate) return { kind: 'throttle' };
    if (draw < throttleRate + errorRate) return { kind: 'error' };
    if (draw < throttleRate + errorRate + dropRate) return { kind: 'drop' };
    if (draw < throttleRate + errorRate + dropRate + commitThenErrorRate)
      return { kind: 'commit-then-error' };
    const { holdBeforeRate = 0, holdAfterRate = 0, holdMs = 1_000 } = this.#plan;
    const hold = this.random();
    if (hold < holdBeforeRate) return { kind: 'delay-before', ms: holdMs };
    if (hold < holdBeforeRate + holdAfterRate) return { kind: 'delay-after', ms: holdMs };
    return undefined;
  }
}
