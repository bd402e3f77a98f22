import { describe, expect, it } from 'vitest';
import { type ContactView, chainRootOf, decideReconciliation } from '../../../src/domain';

const contact = (view: Partial<ContactView> & { id: string }): ContactView => ({
  arn: `arn:aws:connect:us-east-1:123456789012:instance/i/contact/${view.id}`,
  active: true,
  ...view,
});

describe('decideReconciliation', () => {
  const toQueue = { ContactId: 'c-1', QueueId: 'q-2' };
  const toAgent = { ContactId: 'c-1', UserId: 'arn:aws:connect:us-east-1:123456789012:instance/i/agent/a-1' };

  it('finds the transfer done when the contact kept its id and sits in the requested queue', () => {
    expect(decideReconciliation(toQueue, contact({ id: 'c-1', queueId: 'q-2' }), [])).toMatchObject({
      kind: 'transferred',
      ContactId: 'c-1',
    });
  });

  it('matches an agent given by ARN with the agent id DescribeContact returns', () => {
    expect(decideReconciliation(toAgent, contact({ id: 'c-1', agentId: 'a-1' }), [])).toMatchObject({
      kind: 'transferred',
    });
  });

  it('finds no transfer when the contact is still active elsewhere', () => {
    expect(decideReconciliation(toQueue, contact({ id: 'c-1', queueId: 'q-1' }), []).kind).toBe(
      'not-transferred',
    );
  });

  it('finds no transfer for a contact Connect does not know', () => {
    expect(decideReconciliation(toQueue, undefined, []).kind).toBe('not-transferred');
  });

  it('finds the transfer done, to the new contact, when the contact ended and its successor sits in the queue', () => {
    const successor = contact({ id: 'c-2', previousContactId: 'c-1', queueId: 'q-2' });
    expect(
      decideReconciliation(toQueue, contact({ id: 'c-1', active: false, queueId: 'q-1' }), [successor]),
    ).toEqual({ kind: 'transferred', ContactId: 'c-2', ContactArn: successor.arn });
  });

  it('cannot tell when the contact ended and no successor sits where the request sent it', () => {
    const elsewhere = contact({ id: 'c-2', previousContactId: 'c-1', queueId: 'q-9' });
    const ended = contact({ id: 'c-1', active: false });
    expect(decideReconciliation(toQueue, ended, []).kind).toBe('unknown');
    expect(decideReconciliation(toQueue, ended, [elsewhere]).kind).toBe('unknown');
    // A contact of the tree that came from another contact is no successor of this one.
    const cousin = contact({ id: 'c-3', previousContactId: 'c-0', queueId: 'q-2' });
    expect(decideReconciliation(toQueue, ended, [cousin]).kind).toBe('unknown');
  });
});

describe('chainRootOf', () => {
  it('names the first contact of the tree, or the contact itself when it is the first', () => {
    expect(chainRootOf({ id: 'c-3', initialContactId: 'c-1' })).toBe('c-1');
    expect(chainRootOf({ id: 'c-1' })).toBe('c-1');
  });
});
