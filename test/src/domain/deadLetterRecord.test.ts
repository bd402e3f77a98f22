import { describe, expect, it } from 'vitest';
import {
  type DeadLetterState,
  deadLetterSteps,
  ErrorClass,
  type Failure,
  nextDeadLetterState,
} from '../../../src/domain/index.js';

const capped: Failure = { errorClass: ErrorClass.CapReached, code: 'TransferCapReached', message: 'cap 11' };
const invalid: Failure = { errorClass: ErrorClass.InvalidRequest, code: 'InvalidRequest', message: 'bad' };

describe('nextDeadLetterState', () => {
  it('keeps the first reason when a redelivery decides again for another', () => {
    const decided = nextDeadLetterState({ kind: 'absent' }, { kind: 'decide', failure: capped });
    expect(decided).toEqual({ kind: 'dead-lettering', failure: capped });
    expect(nextDeadLetterState(decided, { kind: 'decide', failure: invalid })).toBe(decided);
    const sent = nextDeadLetterState(decided, { kind: 'sent' });
    expect(sent).toEqual({ kind: 'dead-lettered', failure: capped });
    expect(nextDeadLetterState(sent, { kind: 'decide', failure: invalid })).toBe(sent);
  });

  it('does not make a dead letter of a message never decided', () => {
    expect(nextDeadLetterState({ kind: 'absent' }, { kind: 'sent' })).toEqual({ kind: 'absent' });
  });
});

describe('deadLetterSteps', () => {
  it.each<[string, DeadLetterState, { send: boolean; announce: boolean }]>([
    ['absent: nothing (the message may run)', { kind: 'absent' }, { send: false, announce: false }],
    [
      'dead-lettering: send, then announce',
      { kind: 'dead-lettering', failure: capped },
      { send: true, announce: true },
    ],
    [
      'dead-lettered: only announce',
      { kind: 'dead-lettered', failure: capped },
      { send: false, announce: true },
    ],
  ])('%s', (_name, state, steps) => {
    expect(deadLetterSteps(state)).toEqual(steps);
  });
});
