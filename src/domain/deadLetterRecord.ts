import type { Failure } from './failure.js';

/**
 * A message's dead-letter record (the ledger's `deadletter#<messageId>`) as a state machine, pure. It is kept
 * per message, not per token: two messages sharing a token are two requests, and one's dead letter must never
 * hide the other's. The ledger adapter persists each event as one write and reads back the state.
 *
 *   absent ──decide(reason)──▶ dead-lettering(reason) ──sent──▶ dead-lettered(reason)
 *
 * The first reason wins: a redelivery that decides again (for a different reason) finishes the first dead
 * letter, so the DLQ and the `Failed` event carry one reason.
 */
export type DeadLetterState =
  /** Never dead-lettered: the message may run. */
  | { readonly kind: 'absent' }
  /** Decided, with its reason; the DLQ may not have the message yet. The message never runs again. */
  | { readonly kind: 'dead-lettering'; readonly failure: Failure }
  /** The DLQ has the message: only its `Failed` event may remain to publish. */
  | { readonly kind: 'dead-lettered'; readonly failure: Failure };

/** What happens to a message's dead-letter record. */
export type DeadLetterEvent =
  /** The worker decides to dead-letter the message, for this reason. */
  | { readonly kind: 'decide'; readonly failure: Failure }
  /** The DLQ accepted the message. */
  | { readonly kind: 'sent' };

/**
 * The state after an event: the first decision's reason is kept; `sent` before any decision is not a dead
 * letter of this message and changes nothing.
 *
 * @example
 * nextDeadLetterState({ kind: 'absent' }, { kind: 'decide', failure }); // { kind: 'dead-lettering', failure }
 */
export function nextDeadLetterState(state: DeadLetterState, event: DeadLetterEvent): DeadLetterState {
  switch (event.kind) {
    case 'decide':
      return state.kind === 'absent' ? { kind: 'dead-lettering', failure: event.failure } : state;
    case 'sent':
      return state.kind === 'absent' ? state : { kind: 'dead-lettered', failure: state.failure };
  }
}

/** What is left to do for a dead letter in this state, in order. */
export interface DeadLetterSteps {
  /** Record the token's rejection (for `status`) and send the message to the DLQ, then record `sent`. */
  readonly send: boolean;
  /** Publish the `Failed` event (always last: an announced dead letter is in the DLQ, or SQS moves it). */
  readonly announce: boolean;
}

/**
 * The steps a dead letter in this state still needs. A message found `dead-lettering` on a redelivery is
 * sent again (the earlier delivery died before the DLQ answered, or its answer was lost: a second copy in
 * the DLQ beats none); one found `dead-lettered` is only announced, since announcing is what may be left.
 *
 * @example
 * deadLetterSteps({ kind: 'dead-lettered', failure }); // { send: false, announce: true }
 */
export function deadLetterSteps(state: DeadLetterState): DeadLetterSteps {
  return { send: state.kind === 'dead-lettering', announce: state.kind !== 'absent' };
}
