/**
 * What `DescribeContact` says of the contact a request names, in the terms reconciliation needs. The worker
 * builds it from the API's answer. A contact Connect does not show (404) has no view: its reads may lag a new
 * contact, so the worker asks again later rather than conclude anything from it.
 */
export interface ContactView {
  readonly id: string;
  readonly arn: string;
  /** No `DisconnectTimestamp`: the contact is still going. */
  readonly active: boolean;
  /** `QueueInfo.Id`. */
  readonly queueId?: string;
  /** `AgentInfo.Id`. */
  readonly agentId?: string;
  /** `InitialContactId`: the first contact of its tree, when the contact is related to others. */
  readonly initialContactId?: string;
  /** `PreviousContactId`: the contact it was transferred from, when a transfer started it. */
  readonly previousContactId?: string;
  /** `InitiationTimestamp` (ms). */
  readonly initiatedAt?: number;
  /** `LastUpdateTimestamp` (ms): a transfer that keeps the contact's id updates it. */
  readonly lastUpdatedAt?: number;
  /** `DisconnectTimestamp` (ms). */
  readonly endedAt?: number;
}

/**
 * How far Connect's clock and the worker's may disagree. Timestamps closer than this to the attempt prove
 * nothing either way.
 */
export const CLOCK_SKEW_MS = 5_000;

/**
 * How long after a contact ended its successor may still be missing from Connect's reads (its tree, or
 * `DescribeContact`). Connect documents no bound; a minute is many times what reads were seen to lag. Until
 * it has passed, an ended contact with no successor at the target is "too soon to tell", not "unknown": a
 * transfer that happened must not be dead-lettered as ambiguous because its new contact was not listed yet.
 */
export const SUCCESSOR_READ_LAG_MS = 60_000;

/** What reconciliation concluded about a request whose earlier attempt may have transferred. */
export type Reconciliation =
  /** The contact (or the contact the transfer started) sits where the request sent it: it happened. */
  | { readonly kind: 'transferred'; readonly ContactId: string; readonly ContactArn: string }
  /** The contact was not changed since before the attempt: no transfer happened. */
  | { readonly kind: 'not-transferred'; readonly reason: string }
  /** The contact ended so recently that its successor may not be readable yet: ask again later. */
  | { readonly kind: 'too-soon'; readonly reason: string }
  /** Nothing proves either outcome: a person must decide. */
  | { readonly kind: 'unknown'; readonly reason: string };

/** The part of a request reconciliation compares with the contact. */
export interface TransferTarget {
  readonly ContactId: string;
  readonly QueueId?: string;
  readonly UserId?: string;
}

/** An id given as itself or as the ARN that ends in it (`…/agent/<id>`, `…/queue/<id>`). */
const sameResource = (requested: string | undefined, actual: string | undefined): boolean =>
  requested !== undefined &&
  actual !== undefined &&
  (requested === actual || requested.endsWith(`/${actual}`));

/**
 * Decides, from Connect's own record, whether a request's earlier ambiguous attempt (the first one started at
 * `ambiguousSince`) transferred its contact. A transfer either keeps the contact's id (moving it, which
 * updates it) or starts a successor (`PreviousContactId` = the contact) and ends the contact. Only what the
 * timestamps make certain counts (a contact Connect does not show is never judged: see {@link ContactView}):
 * - not updated (nor ended) since before the attempt: not transferred;
 * - still going, updated since, where the request sent it: transferred;
 * - ended, with a successor started since the attempt where the request sent it: transferred, to it;
 * - ended less than {@link SUCCESSOR_READ_LAG_MS} before `now` (Connect's time) with no such successor: too
 *   soon to tell (the successor may not be readable yet), which the worker retries;
 * - anything else: unknown (another request may have moved or ended it meanwhile), which the worker
 *   dead-letters as `AmbiguousTransfer`, keeping the reservation.
 * Calling a transfer "done" that another request made only over-counts the chain, the safe side.
 *
 * @param successors - the contacts of its tree whose `PreviousContactId` is this contact, described.
 * @example
 * decideReconciliation({ ContactId: 'c', QueueId: 'q' }, { id: 'c', arn: 'arn…', active: true, queueId: 'q', lastUpdatedAt: Date.now() }, [], Date.now() - 60_000, Date.now());
 * // { kind: 'transferred', ContactId: 'c', ContactArn: 'arn…' }
 */
export function decideReconciliation(
  request: TransferTarget,
  contact: ContactView,
  successors: readonly ContactView[],
  ambiguousSince: number,
  now: number,
): Reconciliation {
  const before = (at: number | undefined) => at !== undefined && at < ambiguousSince - CLOCK_SKEW_MS;
  const where = request.QueueId !== undefined ? 'queue' : 'agent';
  const atTarget = (view: ContactView) =>
    request.QueueId !== undefined
      ? sameResource(request.QueueId, view.queueId)
      : sameResource(request.UserId, view.agentId);
  if (before(contact.endedAt) || (contact.active && before(contact.lastUpdatedAt))) {
    return {
      kind: 'not-transferred',
      reason: `contact ${contact.id} was not changed after the attempt: no transfer of it happened`,
    };
  }
  if (contact.active) {
    if (atTarget(contact)) return { kind: 'transferred', ContactId: contact.id, ContactArn: contact.arn };
    return {
      kind: 'unknown',
      reason: `contact ${contact.id} is active and was changed after the attempt, but is not at the requested ${where}: another request may have moved it since`,
    };
  }
  const successor = successors.find(
    (view) => view.previousContactId === contact.id && !before(view.initiatedAt) && atTarget(view),
  );
  if (successor) return { kind: 'transferred', ContactId: successor.id, ContactArn: successor.arn };
  if (contact.endedAt === undefined || now - contact.endedAt < SUCCESSOR_READ_LAG_MS) {
    return {
      kind: 'too-soon',
      reason: `contact ${contact.id} ended after the attempt and no contact it was transferred to at the requested ${where} is readable yet: Connect's reads may lag a new contact`,
    };
  }
  return {
    kind: 'unknown',
    reason: `contact ${contact.id} ended after the attempt and no contact it was transferred to sits at the requested ${where}: a transfer may have ended it, or something else did. Check its contact tree in Connect, then settle the request by hand or redrive it`,
  };
}

/**
 * The root of a contact's transfer chain: its `InitialContactId`, or itself when it has none (it is the
 * first of its tree). Connect counts transfers per tree, so the ledger does too.
 *
 * @example
 * chainRootOf({ id: 'c-2', arn: '…', active: true, initialContactId: 'c-1' }); // 'c-1'
 */
export function chainRootOf(contact: Pick<ContactView, 'id' | 'initialContactId'>): string {
  return contact.initialContactId || contact.id;
}
