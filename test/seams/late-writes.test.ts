import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterAttribute, LedgerKey } from '../../src/contract/index.js';
import { FaultProxy } from '../../tools/local-engines/FaultProxy.js';
import { queueTransfer } from '../support/factories.js';
import { SeamWorld } from '../support/seamWorld.js';

// Writes to a chain that hang and land after a later delivery (a hostile review's cases): the world's own
// DynamoDB proxy is waited for after every delivery, so a second proxy in front of it, which the driver does
// not wait for, lets a hung send outlive the delivery that made it, as a real late write can.
describe('writes to a chain that land late', () => {
  let world: SeamWorld;
  let late: FaultProxy;
  beforeAll(async () => {
    world = await SeamWorld.start({ maxReceiveCount: 3, env: { REQUEUE_LIMIT: '2', TRANSFER_CAP: '1' } });
    late = await FaultProxy.start('dynamodb', world.proxies.dynamodb.endpoint, { hangMs: 4_000 });
    (world.options as { env?: Record<string, string> }).env = {
      ...world.options.env,
      AWS_ENDPOINT_URL_DYNAMODB: late.endpoint,
    };
    await world.loadWorker();
  });
  afterAll(async () => {
    await late?.stop();
    await world?.stop();
  });

  it('keeps the reservation of a token that transferred when an earlier delivery’s release lands late', async () => {
    const contact = world.newContact();
    const token = `late-release-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      if (delivery !== 1) return;
      // Delivery 1: Connect throttles every call (nothing happened): the token is forgotten and its slot
      // released; that release's first send hangs (lands 4 s later), its retry applies.
      world.inject('connect', { site: 'connect.transfer', fault: 'throttle', times: 20 });
      late.inject({ site: 'ledger.release', fault: 'hang', times: 1 });
    });
    expect(world.transfersOf(token)).toBe(1);
    expect(await world.chainTokens(contact)).toContain(token);
    await late.settled();
    // With transferCap 1, a second request on the chain (naming the contact the transfer started) must be
    // refused as CapReached; with the slot gone it transfers: two transfers on a chain capped at one.
    const successor =
      world.connect.snapshot().contacts.find((c) => c.previousContactId === contact)?.id ?? '';
    const second = `after-late-release-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: successor, ClientToken: second })));
    await world.drain();
    const letters = await world.drainDlq();
    expect(letters.map((l) => l.attributes[DeadLetterAttribute.ErrorClass])).toEqual(['CapReached']);
    const transfersInChain = world.transfersOf(token) + world.transfersOf(second);
    expect({ transfersInChain, slots: [...(await world.chainTokens(contact))] }).toEqual({
      transfersInChain: 1,
      slots: [token],
    });
  }, 40_000);

  it('A: a reserve refused at the cap on its retry, whose first send lands after a reservation frees, holds no reservation', async () => {
    const contact = world.newContact();
    const chain = LedgerKey.chain('instance-1', contact);
    await world.ledger.reserve(chain, 'filler-0'); // the chain's one transfer (cap 1)
    const token = `cap-late-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      // First send hangs (applied 4 s later); the SDK's retry is refused by the cap: CapReached, dead-lettered.
      if (delivery === 1) late.inject({ site: 'ledger.reserve', fault: 'hang', times: 1 });
    });
    const letters = await world.drainDlq();
    expect(letters.map((l) => l.attributes[DeadLetterAttribute.ErrorClass])).toEqual(['CapReached']);
    // Another request's attempt gives its slot back meanwhile; then the first send lands.
    await world.ledger.release(chain, 'filler-0');
    await late.settled();
    expect(world.transfersOf(token)).toBe(0);
    // Invariant 5: a dead-lettered (CapReached, forgotten) token must hold no slot.
    expect(await world.chainTokens(contact)).not.toContain(token);
  }, 30_000);

  it('B: a reserve in doubt in one delivery, landing after a later delivery gave the slot back, holds no reservation', async () => {
    const contact = world.newContact('VOICE');
    // The contact's last change is well before the attempts (Connect's clock), so reconciliation can prove "not transferred".
    world.connect.advanceClock(10_000);
    const token = `cross-run-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      if (delivery !== 1) return;
      // Delivery 1: the reserve's first send hangs (lands 4 s later), its retry applies (in doubt); every
      // attempt of the TransferContact call fails before applying (500): MayHaveTransferred, slot kept.
      late.inject({ site: 'ledger.reserve', fault: 'hang', times: 1 });
      world.inject('connect', { site: 'connect.transfer', fault: 'fail-before', times: 10 });
    });
    // Delivery 2 was refused (VOICE), reconciled as not transferred, and gave the slot back (no tombstone:
    // its own reserve was not in doubt). Now delivery 1's hung send lands.
    const letters = await world.drainDlq();
    expect(letters.map((l) => l.attributes[DeadLetterAttribute.ErrorClass])).toEqual([
      'PermanentConnectError',
    ]);
    await late.settled();
    expect(world.transfersOf(token)).toBe(0);
    expect(await world.chainTokens(contact)).not.toContain(token);
  }, 30_000);
});
