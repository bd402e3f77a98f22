/**
 * A token's request record (the ledger's `request#<token>`) as a state machine, pure. The ledger adapter
 * persists each transition as one conditional write and reads back the state it replaced; this module says
 * what each transition does, so the attempt's steps are read as states, not as a list of verbs.
 *
 *   absent ──begin──▶ open ──lost answer──▶ idle (ambiguous) ──begin──▶ open (ambiguous) ──transferred──▶ transferred
 *     ▲                 │ close                 │ proved not transferred          │
 *     └────forget───────┴───────────────────────┴─────────────────────────────────┘ (never from transferred)
 */

/** What a request record says of its token. */
export type RequestState =
  /** No record: the token never began, or was forgotten (it provably never transferred). */
  | { readonly kind: 'absent' }
  /**
   * An attempt is running: its lease is `attemptId`, taken at `attemptedAt` (Connect's time). An attempt
   * found open by another is one whose worker died: it may have transferred.
   */
  | {
      readonly kind: 'open';
      readonly attemptId: string;
      readonly attemptedAt: number;
      /** When the first attempt that may have transferred started. */
      readonly ambiguousSince?: number;
    }
  /** No attempt is running; an earlier one may have transferred when `ambiguousSince` is set. */
  | { readonly kind: 'idle'; readonly ambiguousSince?: number }
  /** The token transferred: its result is replayed for good, and nothing changes it again. */
  | { readonly kind: 'transferred'; readonly ContactId: string; readonly ContactArn: string };

/** What happens to a token's record. */
export type RequestEvent =
  /** An attempt begins (its id and start, in Connect's time). */
  | { readonly kind: 'begin'; readonly attemptId: string; readonly at: number }
  /** The attempt's call may have transferred (a lost answer, a 5xx, a timeout) and the attempt ends. */
  | { readonly kind: 'lost-answer'; readonly at: number }
  /** The attempt ends having taught nothing new; with `attemptId`, only if it is still that attempt's lease. */
  | { readonly kind: 'close'; readonly attemptId?: string }
  /** Connect's record proved that nothing transferred: the ambiguity is cleared. */
  | { readonly kind: 'proved-not-transferred' }
  /** The token provably never transferred and is forgotten (it may be used again). */
  | { readonly kind: 'forget' }
  /** Connect transferred (or reconciliation proved it): the result is kept for good. */
  | { readonly kind: 'transferred'; readonly ContactId: string; readonly ContactArn: string };

/** The ambiguity a state carries, if any. */
export const ambiguityOf = (state: RequestState): number | undefined =>
  state.kind === 'open' || state.kind === 'idle' ? state.ambiguousSince : undefined;

/**
 * The state after an event. A transferred record never changes. An attempt that begins while another is
 * open keeps the other's lease and start, and counts as ambiguous from that start: the other's worker died
 * during a call that may have transferred (its own write read back, same attempt id, is not such a case).
 *
 * @example
 * nextRequestState({ kind: 'absent' }, { kind: 'begin', attemptId: 'a', at: 1 }); // { kind: 'open', attemptId: 'a', attemptedAt: 1 }
 * nextRequestState({ kind: 'open', attemptId: 'a', attemptedAt: 1 }, { kind: 'lost-answer', at: 2 }); // { kind: 'idle', ambiguousSince: 2 }
 */
export function nextRequestState(state: RequestState, event: RequestEvent): RequestState {
  if (state.kind === 'transferred') return state;
  const ambiguousSince = ambiguityOf(state);
  const withAmbiguity = (since: number | undefined) => (since === undefined ? {} : { ambiguousSince: since });
  switch (event.kind) {
    case 'begin': {
      if (state.kind !== 'open')
        return {
          kind: 'open',
          attemptId: event.attemptId,
          attemptedAt: event.at,
          ...withAmbiguity(ambiguousSince),
        };
      if (state.attemptId === event.attemptId) return state;
      return { ...state, ambiguousSince: ambiguousSince ?? state.attemptedAt };
    }
    case 'lost-answer':
      return { kind: 'idle', ambiguousSince: ambiguousSince ?? event.at };
    case 'close':
      if (state.kind !== 'open') return state;
      if (event.attemptId !== undefined && event.attemptId !== state.attemptId) return state;
      return { kind: 'idle', ...withAmbiguity(ambiguousSince) };
    case 'proved-not-transferred':
      if (state.kind === 'open')
        return { kind: 'open', attemptId: state.attemptId, attemptedAt: state.attemptedAt };
      return state.kind === 'idle' ? { kind: 'idle' } : state;
    case 'forget':
      return { kind: 'absent' };
    case 'transferred':
      return { kind: 'transferred', ContactId: event.ContactId, ContactArn: event.ContactArn };
  }
}
