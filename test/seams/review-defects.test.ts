import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterAttribute } from '../../src/contract/index.js';
import { queueTransfer } from '../support/factories.js';
import { SeamWorld } from '../support/seamWorld.js';

/** A valid request's JSON padded with whitespace to `total` bytes (JSON allows it; the request is the same). */
const padded = (request: Record<string, unknown>, total: number): string => {
  const json = JSON.stringify(request);
  return `{${' '.repeat(total - Buffer.byteLength(json))}${json.slice(1)}`;
};

// Defects a hostile review found after the seam matrix passed: each on the real handler, every delivery the
// last (so nothing is retried by SQS), with faults aimed through the fault layer.
describe('the seams, attacked from outside', () => {
  let world: SeamWorld;
  beforeAll(async () => {
    world = await SeamWorld.start({ maxReceiveCount: 1, env: { REQUEUE_LIMIT: '2' } });
    await world.loadWorker();
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('keeps a transfer a transfer when a twin of its token in the same batch fails fast meanwhile', async () => {
    const contact = world.newContact();
    const token = `twin-${contact}`;
    const body = JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token }));
    await world.send(body);
    await world.send(body);
    await world.drain((delivery) => {
      if (delivery !== 1) return;
      // The twin's in-progress write hangs once (then it is refused as in flight) while the first copy's
      // settle write hangs past every SDK attempt.
      world.inject('dynamodb', { site: 'idempotency.begin', fault: 'hang', skip: 1, times: 1 });
      world.inject('dynamodb', { site: 'request.transition', fault: 'hang', times: 3 });
    });
    await world.settled();
    const letters = await world.drainDlq();
    const events = world.takeEvents(token);
    expect(world.transfersOf(token)).toBe(1);
    expect(letters.filter((letter) => DeadLetterAttribute.ErrorClass in letter.attributes)).toEqual([]);
    expect(events.failed).toEqual([]);
    expect(events.completed.length).toBeGreaterThan(0);
  });

  it('leaves no reservation when a reserve that hung lands after the refused request gave its reservation back', async () => {
    const contact = world.newContact('VOICE');
    const token = `late-reserve-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      // The reserve's first send hangs past the SDK's timeout; its retry applies; Connect refuses the VOICE
      // contact and the reservation goes back; then the first send lands.
      if (delivery === 1) world.inject('dynamodb', { site: 'ledger.reserve', fault: 'hang', times: 1 });
    });
    await world.settled();
    const letters = await world.drainDlq();
    expect(world.transfersOf(token)).toBe(0);
    expect(letters.map((letter) => letter.attributes[DeadLetterAttribute.ErrorClass])).toEqual([
      'PermanentConnectError',
    ]);
    expect(await world.chainTokens(contact)).toEqual(new Set());
  });

  it('refuses a body that leaves no room for its copies’ attributes, and announces the refusal', async () => {
    const contact = world.newContact();
    const token = `padded-${contact}`;
    const body = padded(queueTransfer({ ContactId: contact, ClientToken: token }), 262_144 - 150);
    await world.send(body);
    await world.drain((delivery) => {
      if (delivery === 1)
        world.inject('eventbridge', { site: 'events.failed', fault: 'fail-before', times: 100 });
    });
    await world.settled();
    const letters = await world.drainDlq();
    expect(world.transfersOf(token)).toBe(0);
    expect(letters.map((letter) => letter.attributes[DeadLetterAttribute.ErrorClass])).toEqual([
      'InvalidRequest',
    ]);
    expect(world.takeEvents(token).failed.length).toBeGreaterThan(0);
  });

  it('announces a dead letter from the copy itself when DynamoDB and the bus both failed on its last delivery', async () => {
    const contact = world.newContact();
    const token = `announce-${contact}`;
    for (let i = 0; i < 11; i += 1) await world.ledger.reserve(`chain#instance-1#${contact}`, `other-${i}`);
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      if (delivery !== 1) return;
      for (const site of ['deadletter.begin', 'deadletter.finish', 'rejection.record'])
        world.inject('dynamodb', { site, fault: 'fail-before', times: 100 });
      world.inject('eventbridge', { site: 'events.failed', fault: 'fail-before', times: 100 });
    });
    await world.settled();
    const letters = await world.drainDlq();
    const { failed } = world.takeEvents(token);
    expect(letters.map((letter) => letter.attributes[DeadLetterAttribute.ErrorClass])).toEqual([
      'CapReached',
    ]);
    expect(failed.map((event) => (event.detail as { ErrorClass: string }).ErrorClass)).toEqual([
      'CapReached',
    ]);
  });

  it('does not announce a stale Failed once the same request, sent again, transferred', async () => {
    const contact = world.newContact();
    const token = `stale-${contact}`;
    const body = JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token }));
    world.connect.failReads([{ kind: 'not-found', operation: 'DescribeContact' }]);
    await world.send(body);
    await world.drain((delivery) => {
      if (delivery !== 1) return;
      world.inject('eventbridge', { site: 'events.failed', fault: 'fail-before', times: 100 });
      // The producer sends the request again (as the docs ask after a dead letter): it arrives before the
      // copy that announces the first send's dead letter, which waits a second.
      void world.send(body);
    });
    await world.settled();
    await world.drainDlq();
    const events = world.takeEvents(token);
    expect(world.transfersOf(token)).toBe(1);
    expect(events.completed.length).toBeGreaterThan(0);
    expect(events.failed).toEqual([]);
  });

  it('reads its own applied write back as its own, not as a crashed attempt: a refusal gives the reservation back', async () => {
    const contact = world.newContact('VOICE');
    const token = `own-write-${contact}`;
    await world.send(JSON.stringify(queueTransfer({ ContactId: contact, ClientToken: token })));
    await world.drain((delivery) => {
      if (delivery === 1) world.inject('dynamodb', { site: 'request.begin', fault: 'fail-after', times: 1 });
    });
    await world.settled();
    const letters = await world.drainDlq();
    world.takeEvents(token);
    expect(letters.map((letter) => letter.attributes[DeadLetterAttribute.ErrorClass])).toEqual([
      'PermanentConnectError',
    ]);
    expect((await world.chainTokens(contact)).has(token)).toBe(false);
  });
});
