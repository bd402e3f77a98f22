import { describe, expect, it } from 'vitest';
import { ambiguityOf, nextRequestState, type RequestState } from '../../../src/domain/index.js';

describe('nextRequestState', () => {
  const open: RequestState = { kind: 'open', attemptId: 'a', attemptedAt: 1_000 };

  it('counts an attempt found open by another as ambiguous from its start, keeping its lease', () => {
    const after = nextRequestState(open, { kind: 'begin', attemptId: 'b', at: 2_000 });
    expect(after).toEqual({ kind: 'open', attemptId: 'a', attemptedAt: 1_000, ambiguousSince: 1_000 });
    // Its own write read back is not a crash.
    expect(nextRequestState(open, { kind: 'begin', attemptId: 'a', at: 2_000 })).toBe(open);
  });

  it('keeps the first ambiguity through later lost answers and begins', () => {
    let state = nextRequestState(open, { kind: 'lost-answer', at: 1_500 });
    state = nextRequestState(state, { kind: 'begin', attemptId: 'b', at: 3_000 });
    state = nextRequestState(state, { kind: 'lost-answer', at: 3_100 });
    expect(ambiguityOf(state)).toBe(1_500);
    expect(ambiguityOf(nextRequestState(state, { kind: 'proved-not-transferred' }))).toBeUndefined();
  });

  it('never changes a transferred record, whatever comes', () => {
    const done: RequestState = { kind: 'transferred', ContactId: 'c', ContactArn: 'arn' };
    for (const kind of ['forget', 'close', 'proved-not-transferred'] as const)
      expect(nextRequestState(done, { kind })).toBe(done);
    expect(nextRequestState(done, { kind: 'begin', attemptId: 'z', at: 9 })).toBe(done);
  });

  it('closes only the lease it names', () => {
    expect(nextRequestState(open, { kind: 'close', attemptId: 'other' })).toBe(open);
    expect(nextRequestState(open, { kind: 'close', attemptId: 'a' })).toEqual({ kind: 'idle' });
  });
});
