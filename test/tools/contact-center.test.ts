import { describe, expect, it } from 'vitest';
import { ContactCenter, type ContactCenterBehaviour } from '../../tools/connect-simulator/ContactCenter.js';
import { seededRandom } from '../../tools/connect-simulator/random.js';
import { ApiError } from '../../tools/connect-simulator/wire.js';

// The simulator's Connect rules, driven directly: no HTTP, no SDK.
const behaviour: ContactCenterBehaviour = {
  region: 'us-east-1',
  accountId: '123456789012',
  transferLimit: 2,
  contactIdMode: 'new',
  keepIdShare: 0,
  tokenWindowMs: 60_000,
  checkOrder: 'state-first',
};
const center = (overrides: Partial<ContactCenterBehaviour> = {}) => {
  const model = new ContactCenter({ ...behaviour, ...overrides }, seededRandom(1));
  model.seed({
    instances: [
      {
        id: 'i',
        flows: [
          { id: 'to-queue', type: 'QUEUE_TRANSFER' },
          { id: 'whisper', type: 'AGENT_WHISPER' },
        ],
        queues: ['q'],
        users: ['u'],
        contacts: [{ id: 'task' }, { id: 'voice', channel: 'VOICE' }],
      },
    ],
  });
  return model;
};
const request = (fields: Record<string, unknown> = {}) => ({
  InstanceId: 'i',
  ContactId: 'task',
  ContactFlowId: 'to-queue',
  QueueId: 'q',
  ...fields,
});
const refusal = (act: () => unknown) => {
  try {
    act();
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.type}: ${error.message}`;
    throw error;
  }
  return 'accepted';
};

describe('ContactCenter: Connect’s rules without the wire', () => {
  it.each([
    ['both a queue and a user', request({ UserId: 'u' }), /^400 .*both QueueId and UserId/],
    ['neither a queue nor a user', request({ QueueId: undefined }), /^400 .*One of QueueId or UserId/],
    ['a voice contact', request({ ContactId: 'voice' }), /^400 .*only supported for TASK and EMAIL/],
    ['a whisper flow', request({ ContactFlowId: 'whisper' }), /^400 .*AGENT_WHISPER is not supported/],
    ['an unknown queue', request({ QueueId: 'nope' }), /^404 .*queue nope not found/],
    [
      'an over-long ContactId',
      request({ ContactId: 'c'.repeat(257) }),
      /^400 .*ContactId must be a string of 1 to 256/,
    ],
  ])('refuses %s', (_, input, expected) => {
    expect(refusal(() => center().transfer(input))).toMatch(expected);
  });

  it('takes a user by its ARN as by its id, and refuses an ARN of another instance', () => {
    const arn = (instance: string) => `arn:aws:connect:us-east-1:123456789012:instance/${instance}/agent/u`;
    const model = center();
    const done = model.transfer(request({ QueueId: undefined, UserId: arn('i') }));
    expect(model.contact('i', done.output.ContactId)?.userId).toBe('u');
    expect(refusal(() => center().transfer(request({ QueueId: undefined, UserId: arn('other') })))).toMatch(
      /^404 .*user arn:.*not found/,
    );
  });

  it('ends the old contact and starts a linked one, then refuses the chain past its limit', () => {
    const model = center();
    const first = model.transfer(request());
    expect(first.transferred).toBe(true);
    expect(model.contact('i', 'task')?.state).toBe('ENDED');
    const next = model.contact('i', first.output.ContactId);
    expect(next).toMatchObject({ previousContactId: 'task', chain: 'task', initiationMethod: 'TRANSFER' });
    model.transfer(request({ ContactId: first.output.ContactId }));
    const third = model.currentContactOf('i', 'task');
    expect(refusal(() => model.transfer(request({ ContactId: third })))).toMatch(/^402 ServiceQuotaExceeded/);
  });

  it('refuses the retry of a done transfer under state-first checks, replays it under token-first', () => {
    const harsh = center();
    harsh.transfer(request({ ClientToken: 't' }));
    expect(refusal(() => harsh.transfer(request({ ClientToken: 't' })))).toMatch(/^400 .*not active/);
    const kind = center({ checkOrder: 'token-first' });
    const done = kind.transfer(request({ ClientToken: 't' }));
    const again = kind.transfer(request({ ClientToken: 't' }));
    expect(again).toEqual({ output: done.output, transferred: false });
  });

  it('forgets a token after its window: the same token transfers again', () => {
    const model = center({ checkOrder: 'token-first', contactIdMode: 'keep' });
    model.transfer(request({ ClientToken: 't' }));
    expect(model.transfer(request({ ClientToken: 't' })).transferred).toBe(false);
    model.advanceClock(60_001);
    expect(model.transfer(request({ ClientToken: 't' })).transferred).toBe(true);
    expect(model.transfersPerChain().get('i/task')).toBe(2);
  });

  it('refuses a token reused with other parameters (409)', () => {
    const model = center({ checkOrder: 'token-first', contactIdMode: 'keep' });
    model.transfer(request({ ClientToken: 't' }));
    expect(
      refusal(() => model.transfer(request({ ClientToken: 't', QueueId: undefined, UserId: 'u' }))),
    ).toMatch(/^409 IdempotencyException/);
  });
});
