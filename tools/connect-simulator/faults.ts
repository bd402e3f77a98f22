import type { ReadOperation } from './types.js';

/** A fault applied to one upcoming `TransferContact` call, in order. */
export type ScriptedFault =
  /** Answer 429 ThrottlingException without doing anything. */
  | { readonly kind: 'throttle' }
  /** Answer 500 InternalServiceException without doing anything. */
  | { readonly kind: 'error' }
  /** Close the connection without an answer, without doing anything. */
  | { readonly kind: 'drop' }
  /** Do the transfer, then answer 500: the caller cannot know it happened. */
  | { readonly kind: 'commit-then-error' }
  /** Do the transfer, then close the connection without an answer. */
  | { readonly kind: 'commit-then-drop' }
  /** Wait `ms` before handling the call (before anything is done). */
  | { readonly kind: 'delay-before'; readonly ms: number }
  /** Do the transfer, then wait `ms` before answering. */
  | { readonly kind: 'delay-after'; readonly ms: number };

/**
 * A fault applied to one upcoming read (`DescribeContact`, `ListAssociatedContacts`): the kinds of
 * {@link ScriptedFault} that mean something for a call that changes nothing. `delay-before` waits, then
 * reads; `delay-after` reads, then waits, so the answer is stale when it arrives.
 */
export type ReadFault = (
  | Extract<ScriptedFault, { readonly kind: 'throttle' | 'error' | 'drop' | 'delay-before' | 'delay-after' }>
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
}

/**
 * The faults of upcoming `TransferContact` calls: scripted ones first, in order, then random ones drawn from
 * the simulator's seeded PRNG, so a run is reproducible.
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

  /**
   * The fault of the next call, if any.
   *
   * @example
   * new FaultSchedule(Math.random).next(); // undefined: no plan
   */
  next(): ScriptedFault | undefined {
    const scripted = this.#script.shift();
    if (scripted) return scripted;
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
