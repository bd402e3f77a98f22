import { describe, expect, it } from 'vitest';
import type { SimulatorCall } from '../../../tools/connect-simulator/ConnectSimulator.js';
import { checkInvariants, type DrainedState } from '../../../tools/scenario/invariants.js';

let seq = 0;
const call = (token: string, status: number, transferred: boolean, queue = 'q-1'): SimulatorCall => ({
  seq: ++seq,
  operation: 'TransferContact',
  input: { InstanceId: 'i', ContactId: 'c-1', ContactFlowId: 'f', QueueId: queue, ClientToken: token },
  status,
  transferred,
});

/** Two messages: one transferred (t-1), one refused and dead-lettered (t-2); all consistent. */
const healthy = (): DrainedState => ({
  sent: new Map([
    ['m-1', '{"a":1}'],
    ['m-2', '{"a":2}'],
  ]),
  deleted: new Set(['m-1', 'm-2']),
  deadLetters: [
    {
      messageId: 'd-2',
      body: '{"a":2}',
      attributes: { SourceMessageId: 'm-2', ErrorClass: 'PermanentConnectError', ErrorCode: 'X' },
      clientToken: 't-2',
    },
  ],
  stillQueued: 0,
  calls: [call('t-1', 200, true), call('t-2', 400, false)],
  transfersPerChain: new Map([['i/c-1', 1]]),
  ledger: new Map([['chain#i#c-1', new Set(['t-1'])]]),
  cap: 2,
});

const failing = (state: DrainedState) =>
  checkInvariants(state)
    .filter((r) => !r.ok)
    .map((r) => r.name.slice(0, 2));

describe('checkInvariants', () => {
  it('passes a consistent drained state', () => {
    expect(failing(healthy())).toEqual([]);
  });

  it('flags a chain past the cap, in Connect or in the ledger', () => {
    expect(failing({ ...healthy(), transfersPerChain: new Map([['i/c-1', 3]]) })).toContain('1.');
    expect(failing({ ...healthy(), ledger: new Map([['chain#i#c-1', new Set(['a', 'b', 'c'])]]) })).toContain(
      '1.',
    );
  });

  it('flags a token transferred twice (say, after Connect forgot it)', () => {
    const state = healthy();
    expect(failing({ ...state, calls: [...state.calls, call('t-1', 200, true)] })).toContain('2.');
  });

  it('flags a token successful with two sets of parameters', () => {
    const state = healthy();
    expect(failing({ ...state, calls: [...state.calls, call('t-1', 200, false, 'q-other')] })).toContain(
      '3.',
    );
  });

  it('flags a message neither processed nor in the DLQ, and a DLQ body that changed', () => {
    expect(failing({ ...healthy(), deleted: new Set(['m-2']) })).toContain('4.');
    const changed = healthy();
    expect(
      failing({
        ...changed,
        deadLetters: [
          { ...(changed.deadLetters[0] as DrainedState['deadLetters'][number]), body: '{"a":3}' },
        ],
      }),
    ).toContain('4.');
  });

  it('counts a message SQS moved itself (same message id), stale attributes and all, as not lost', () => {
    const state = healthy();
    const moved = {
      messageId: 'm-1',
      body: '{"a":1}',
      attributes: { SourceMessageId: 'an-earlier-trip', ErrorClass: 'PermanentConnectError' },
    };
    expect(
      failing({ ...state, deleted: new Set(['m-2']), deadLetters: [...state.deadLetters, moved] }),
    ).toEqual([]);
  });

  it('flags a reservation kept by a failure, and a transfer the ledger does not count', () => {
    expect(failing({ ...healthy(), ledger: new Map([['chain#i#c-1', new Set(['t-1', 't-2'])]]) })).toContain(
      '5.',
    );
    expect(failing({ ...healthy(), ledger: new Map() })).toContain('5.');
  });

  it('lets an ambiguous attempt keep its reservation (the safe over-count), and says how many did', () => {
    const state = { ...healthy(), ledger: new Map([['chain#i#c-1', new Set(['t-1', 't-2'])]]) };
    const results = checkInvariants({ ...state, ambiguousTokens: new Set(['t-2']) });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[4]?.detail).toContain('1 kept after an ambiguous attempt');
  });

  it('lets a reservation stay with a request whose copy SQS moved to the DLQ by itself, whatever stale reason it carries', () => {
    // t-2's request was redriven (it kept its earlier refusal as attributes), held for its slot, its call cut
    // off by a killed worker, and its copy moved to the DLQ by SQS: the reservation stays, as after any ambiguity.
    const state = { ...healthy(), ledger: new Map([['chain#i#c-1', new Set(['t-1', 't-2'])]]) };
    const copy = {
      messageId: 'copy-of-m-2',
      body: '{"a":2}',
      attributes: { ErrorClass: 'PermanentConnectError', ErrorCode: 'X', OriginalMessageId: 'm-2' },
      clientToken: 't-2',
    };
    expect(failing({ ...state, deadLetters: [copy] })).toEqual([]);
    expect(failing(state)).toContain('5.');
  });
});
