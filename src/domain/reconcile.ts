/**
 * What `DescribeContact` says of the contact a request names, in the terms reconciliation needs. The worker
 * builds it from the API's answer; `undefined` stands for a contact Connect does not know (404).
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
}

/** What reconciliation concluded about a request whose earlier attempt may have transferred. */
export type Reconciliation =
  /** The contact (or the contact the transfer started) sits where the request sent it: it happened. */
  | { readonly kind: 'transferred'; readonly ContactId: string; readonly ContactArn: string }
  /** The contact is still going elsewhere, or never existed: no transfer happened. */
  | { readonly kind: 'not-transferred'; readonly reason: string }
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
 * Decides, from Connect's own record, whether a request's earlier ambiguous attempt transferred its contact.
 * A transfer either keeps the contact's id (the contact then sits in the requested queue or with the
 * requested agent) or starts a successor (`PreviousContactId` = the contact) and ends the contact. So:
 * - unknown to Connect: not transferred;
 * - still going and where the request sent it: transferred;
 * - still going elsewhere: not transferred (a transfer would have moved or ended it);
 * - ended, with a successor where the request sent it: transferred, to that successor;
 * - ended otherwise: unknown (an agent, a flow or an expiry ends contacts too, and a successor may have
 *   moved on since), which the worker dead-letters as `AmbiguousTransfer` for a person.
 *
 * @param successors - the contacts of its tree whose `PreviousContactId` is this contact, described.
 * @example
 * decideReconciliation({ ContactId: 'c', QueueId: 'q' }, { id: 'c', arn: 'arn…', active: true, queueId: 'q' }, []);
 * // { kind: 'transferred', ContactId: 'c', ContactArn: 'arn…' }
 */
export function decideReconciliation(
  request: TransferTarget,
  contact: ContactView | undefined,
  successors: readonly ContactView[],
): Reconciliation {
  if (!contact) {
    return { kind: 'not-transferred', reason: `Connect does not know contact ${request.ContactId}` };
  }
  const atTarget = (view: ContactView) =>
    request.QueueId !== undefined
      ? sameResource(request.QueueId, view.queueId)
      : sameResource(request.UserId, view.agentId);
  if (contact.active) {
    if (atTarget(contact)) return { kind: 'transferred', ContactId: contact.id, ContactArn: contact.arn };
    return {
      kind: 'not-transferred',
      reason: `contact ${contact.id} is still active and not at the requested ${request.QueueId !== undefined ? 'queue' : 'agent'}`,
    };
  }
  const successor = successors.find((view) => view.previousContactId === contact.id && atTarget(view));
  if (successor) return { kind: 'transferred', ContactId: successor.id, ContactArn: successor.arn };
  return {
    kind: 'unknown',
    reason: `contact ${contact.id} has ended and no contact it was transferred to sits at the requested ${request.QueueId !== undefined ? 'queue' : 'agent'}: a transfer may have ended it, or something else did. Check its contact tree in Connect, then settle the request by hand or redrive it`,
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
