import { describe, expect, it } from 'vitest';
import {
  type ContactView,
  chainRootOf,
  decideReconciliation,
  SUCCESSOR_READ_LAG_MS,
} from '../../../src/domain/index.js';

const ATTEMPT = Date.parse('2026-11-29T12:00:00Z');
const BEFORE = ATTEMPT - 60_000;
const AFTER = ATTEMPT + 1_000;
/** Connect's time when reconciliation reads: long after the attempt, past any read lag. */
const NOW = ATTEMPT + 10 * 60_000;

const contact = (view: Partial<ContactView> & { id: string }): ContactView => ({
  arn: `arn:aws:connect:us-east-1:123456789012:instance/i/contact/${view.id}`,
  active: true,
  initiatedAt: BEFORE - 60_000,
  lastUpdatedAt: AFTER,
  ...view,
});

describe('decideReconciliation', () => {
  const toQueue = { ContactId: 'c-1', QueueId: 'q-2' };
  const toAgent = { ContactId: 'c-1', UserId: 'arn:aws:connect:us-east-1:123456789012:instance/i/agent/a-1' };

  it('finds the transfer done when the contact kept its id, changed after the attempt, and sits in the queue', () => {
    expect(
      decideReconciliation(toQueue, contact({ id: 'c-1', queueId: 'q-2' }), [], ATTEMPT, NOW),
    ).toMatchObject({
      kind: 'transferred',
      ContactId: 'c-1',
    });
  });

  it('matches an agent given by ARN with the agent id DescribeContact returns', () => {
    expect(decideReconciliation(toAgent, contact({ id: 'c-1', agentId: 'a-1' }), [], ATTEMPT, NOW).kind).toBe(
      'transferred',
    );
  });

  it('finds no transfer when the contact did not change after the attempt, wherever it sits', () => {
    for (const queueId of ['q-1', 'q-2']) {
      expect(
        decideReconciliation(
          toQueue,
          contact({ id: 'c-1', queueId, lastUpdatedAt: BEFORE }),
          [],
          ATTEMPT,
          NOW,
        ).kind,
      ).toBe('not-transferred');
    }
  });

  it('cannot tell when the contact changed after the attempt but sits elsewhere (moved again since?)', () => {
    expect(decideReconciliation(toQueue, contact({ id: 'c-1', queueId: 'q-1' }), [], ATTEMPT, NOW).kind).toBe(
      'unknown',
    );
  });

  it('finds no transfer for a contact that ended before the attempt', () => {
    expect(
      decideReconciliation(toQueue, contact({ id: 'c-1', active: false, endedAt: BEFORE }), [], ATTEMPT, NOW)
        .kind,
    ).toBe('not-transferred');
  });

  it('finds the transfer done, to the new contact, when the contact ended and its successor sits in the queue', () => {
    const successor = contact({ id: 'c-2', previousContactId: 'c-1', queueId: 'q-2', initiatedAt: AFTER });
    expect(
      decideReconciliation(
        toQueue,
        contact({ id: 'c-1', active: false, endedAt: AFTER }),
        [successor],
        ATTEMPT,
        NOW,
      ),
    ).toEqual({ kind: 'transferred', ContactId: 'c-2', ContactArn: successor.arn });
  });

  it('cannot tell when the contact ended after the attempt and no successor of it since sits at the target', () => {
    const ended = contact({ id: 'c-1', active: false, endedAt: AFTER });
    const elsewhere = contact({ id: 'c-2', previousContactId: 'c-1', queueId: 'q-9', initiatedAt: AFTER });
    // Started before the attempt: another request's transfer, not ours.
    const older = contact({ id: 'c-3', previousContactId: 'c-1', queueId: 'q-2', initiatedAt: BEFORE });
    const cousin = contact({ id: 'c-4', previousContactId: 'c-0', queueId: 'q-2', initiatedAt: AFTER });
    expect(decideReconciliation(toQueue, ended, [], ATTEMPT, NOW).kind).toBe('unknown');
    expect(decideReconciliation(toQueue, ended, [elsewhere, older, cousin], ATTEMPT, NOW).kind).toBe(
      'unknown',
    );
  });

  it('waits while an ended contact may not list its successor yet, then cannot tell', () => {
    const ended = contact({ id: 'c-1', active: false, endedAt: AFTER });
    const justAfter = AFTER + SUCCESSOR_READ_LAG_MS - 1;
    expect(decideReconciliation(toQueue, ended, [], ATTEMPT, justAfter).kind).toBe('too-soon');
    expect(decideReconciliation(toQueue, ended, [], ATTEMPT, AFTER + SUCCESSOR_READ_LAG_MS).kind).toBe(
      'unknown',
    );
    // A successor that is readable and sits at the target settles it at once.
    const successor = contact({ id: 'c-2', previousContactId: 'c-1', queueId: 'q-2', initiatedAt: AFTER });
    expect(decideReconciliation(toQueue, ended, [successor], ATTEMPT, justAfter).kind).toBe('transferred');
  });
});

describe('chainRootOf', () => {
  it('names the first contact of the tree, or the contact itself when it is the first', () => {
    expect(chainRootOf({ id: 'c-3', initialContactId: 'c-1' })).toBe('c-1');
    expect(chainRootOf({ id: 'c-1' })).toBe('c-1');
  });
});
