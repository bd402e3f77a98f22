import { parseTransferRequest } from '../../src/request/index.js';
import type { Contact, SimulatorCall } from '../connect-simulator/types.js';
import type { InvariantResult } from './invariants.js';

/** What the attributes check counts, for the summary. */
export interface AttributesFigures {
  /** Requests that transferred carrying `Attributes`. */
  readonly transferred: number;
  /** `UpdateContactAttributes` calls that changed a contact. */
  readonly applied: number;
}

/**
 * The eighth invariant: every request that transferred with `Attributes` left them on its chain's current
 * contact (each carries keys of its own in the workload, and attributes merge and travel with transfers, so
 * the newest contact of the chain holds every one of them), checked from the simulator's contacts.
 */
export function attributesInvariant(
  sent: Iterable<string>,
  calls: readonly SimulatorCall[],
  contacts: readonly Contact[],
): InvariantResult & { readonly figures: AttributesFigures } {
  const transferredTokens = new Set(
    calls
      .filter((c) => c.operation === 'TransferContact' && c.transferred)
      .map((c) => String(c.input.ClientToken)),
  );
  const byId = new Map(contacts.map((c) => [`${c.instanceId}/${c.id}`, c]));
  const missing: string[] = [];
  const checked = new Set<string>();
  for (const body of sent) {
    const parsed = parseTransferRequest(body, { messageId: 'check' });
    if (!parsed.ok) continue;
    const { request } = parsed.value;
    if (
      !request.Attributes ||
      !transferredTokens.has(request.ClientToken) ||
      checked.has(request.ClientToken)
    )
      continue;
    checked.add(request.ClientToken);
    const named = byId.get(`${request.InstanceId}/${request.ContactId}`);
    const current = named && currentContactOf(named, contacts);
    const shown = current?.attributes ?? {};
    if (Object.entries(request.Attributes).some(([key, value]) => shown[key] !== value))
      missing.push(`${request.ClientToken} (on ${current?.id ?? 'no contact'})`);
  }
  const applied = calls.filter((c) => c.operation === 'UpdateContactAttributes' && c.applied).length;
  return {
    name: '8. attributes: every request that transferred with Attributes left them on its contact',
    ok: missing.length === 0,
    detail: `${checked.size} transferred with attributes, ${applied} UpdateContactAttributes applied${missing.length ? `; missing: ${missing.slice(0, 5).join(', ')}` : ''}`,
    figures: { transferred: checked.size, applied },
  };
}

/** The newest contact of a contact's chain: the one no transfer has moved on from. */
function currentContactOf(contact: Contact, contacts: readonly Contact[]): Contact {
  const chain = contacts.filter((c) => c.instanceId === contact.instanceId && c.chain === contact.chain);
  const movedOn = new Set(chain.map((c) => c.previousContactId).filter(Boolean));
  const leaves = chain.filter((c) => !movedOn.has(c.id));
  return leaves.sort((a, b) => b.initiatedAt - a.initiatedAt)[0] ?? contact;
}
