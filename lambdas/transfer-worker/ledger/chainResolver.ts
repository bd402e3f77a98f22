import { LedgerKey } from '../../../src/contract/index.js';
import { ContactNotVisibleError, chainRootOf } from '../../../src/domain/index.js';
import type { ContactDirectory } from '../connect/contactDirectory.js';
import type { ChainRead, TransferLedger } from './TransferLedger.js';

/** A contact's chain, and the lookup's read of it when it is the chain rooted at the contact. */
export interface ResolvedChain {
  readonly chain: string;
  /** Seeds the first reserve of the chain (`TransferLedger.reserve`). */
  readonly seen?: ChainRead;
}

/**
 * The ledger chain a contact's transfers count against. The ledger answers for every contact it has seen
 * (one read); a contact it has never seen (a first request, or a contact a transfer started whose answer the
 * worker never got) is asked of Connect: its `InitialContactId` names its tree, and the answer is kept as an
 * alias so the next request needs no call. A contact Connect does not show proves nothing (its reads may lag
 * a new contact, which rooted at itself would escape its tree's cap): {@link ContactNotVisibleError}, and the
 * request is retried.
 *
 * @example
 * await resolveChain(ledger, contacts, 'instance-1', 'contact-2'); // { chain: 'chain#instance-1#contact-1' }
 */
export async function resolveChain(
  ledger: Pick<TransferLedger, 'lookUpChain' | 'linkContact'>,
  contacts: Pick<ContactDirectory, 'describe'>,
  instanceId: string,
  contactId: string,
): Promise<ResolvedChain> {
  const { chain: known, rootRead } = await ledger.lookUpChain(instanceId, contactId);
  const seen = (chain: string) => (rootRead.chain === chain ? { chain, seen: rootRead } : { chain });
  if (known) return seen(known);
  const contact = await contacts.describe(instanceId, contactId);
  if (!contact) throw new ContactNotVisibleError(instanceId, contactId);
  const root = chainRootOf(contact);
  const chain = LedgerKey.chain(instanceId, root);
  if (root !== contactId) await ledger.linkContact(instanceId, contactId, chain);
  return seen(chain);
}
