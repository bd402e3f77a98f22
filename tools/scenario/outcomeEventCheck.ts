import { TRANSFER_COMPLETED_DETAIL_TYPE, TRANSFER_FAILED_DETAIL_TYPE } from '../../src/contract/index.js';
import { type DeadLetter, type InvariantResult, movedBySqs, sentMessageOf } from './invariants.js';

/** An outcome event as the scenario saw it on the bus. */
export interface SeenOutcomeEvent {
  readonly detailType: string;
  readonly messageId: string;
}

/** What the outcome-event check reads. */
export interface OutcomeEventState {
  /** Every message sent to the transfer queue, by id. */
  readonly sent: ReadonlyMap<string, string>;
  /** Messages the worker acknowledged. */
  readonly deleted: ReadonlySet<string>;
  /** Messages the worker sent back to the queue (a requeue is not an end). */
  readonly requeued: ReadonlySet<string>;
  /**
   * Sent messages that name an earlier one as the producer's (a redriven copy SQS had moved itself keeps the
   * worker's `OriginalMessageId`): their events may name that one.
   */
  readonly originals?: ReadonlyMap<string, string>;
  readonly deadLetters: readonly DeadLetter[];
  readonly events: readonly SeenOutcomeEvent[];
}

/** The check's verdict, with the counts the report prints. */
export interface OutcomeEventResult extends InvariantResult {
  readonly completed: number;
  readonly failed: number;
  /** Events beyond the first for one message: delivery is at least once. */
  readonly repeats: number;
}

/**
 * The sixth invariant: every request that reached an end has its outcome event. A message the worker
 * dead-lettered has a `Transfer Contact Failed` naming it; one it acknowledged otherwise (transferred, or a
 * repeat of a token answered from its records) has a `Transfer Contact Completed`. A message SQS moved to
 * the DLQ by itself never reached an end in the worker, and a requeued one continues as a new message. The
 * events name the message the producer sent (`OriginalMessageId`), whichever copy ended.
 *
 * @example
 * checkOutcomeEvents(state).ok; // false when an ended request has no event
 */
export function checkOutcomeEvents(state: OutcomeEventState): OutcomeEventResult {
  const byMessage = new Map<string, string[]>();
  for (const event of state.events)
    byMessage.set(event.messageId, [...(byMessage.get(event.messageId) ?? []), event.detailType]);
  // The sent messages behind the DLQ entries the worker sent (it names the producer's message), or SQS moved
  // there by itself (a message, or the worker's copy of it, under its own id).
  const sentMessagesOf = (bySqs: boolean) =>
    new Set(
      state.deadLetters
        .filter((dead) => movedBySqs(dead, state.sent) === bySqs)
        .map((dead) => sentMessageOf(dead, state.sent, state.originals))
        .filter((id) => state.sent.has(id)),
    );
  const deadLettered = sentMessagesOf(false);
  const movedBySqsIds = sentMessagesOf(true);
  const missing: string[] = [];
  const typesOf = (id: string) => {
    const original = state.originals?.get(id);
    return [...(byMessage.get(id) ?? []), ...(original ? (byMessage.get(original) ?? []) : [])];
  };
  const expect = (id: string, detailType: string) => {
    if (!typesOf(id).includes(detailType)) missing.push(`${id} (${detailType})`);
  };
  for (const id of deadLettered) if (!movedBySqsIds.has(id)) expect(id, TRANSFER_FAILED_DETAIL_TYPE);
  const completedExpected = [...state.deleted].filter(
    (id) => state.sent.has(id) && !state.requeued.has(id) && !deadLettered.has(id),
  );
  // A request held in the queue for its slot continues as a copy whose events name this message, whichever
  // way the copy ends.
  for (const id of completedExpected) {
    if (movedBySqsIds.has(id)) continue;
    const types = typesOf(id);
    if (!types.includes(TRANSFER_COMPLETED_DETAIL_TYPE) && !types.includes(TRANSFER_FAILED_DETAIL_TYPE))
      missing.push(`${id} (${TRANSFER_COMPLETED_DETAIL_TYPE})`);
  }
  const repeats = [...byMessage.values()].reduce((sum, types) => sum + types.length - 1, 0);
  const count = (type: string) => state.events.filter((e) => e.detailType === type).length;
  return {
    name: '6. outcome events: every request that reached an end has its event (at least once)',
    ok: missing.length === 0,
    detail:
      missing.length === 0
        ? `${completedExpected.length} completed and ${deadLettered.size} dead-lettered requests, each with its event; ${repeats} repeated deliveries`
        : `no event for ${missing.length}: ${missing.slice(0, 5).join(', ')}`,
    completed: count(TRANSFER_COMPLETED_DETAIL_TYPE),
    failed: count(TRANSFER_FAILED_DETAIL_TYPE),
    repeats,
  };
}
