import { describe, expect, it } from 'vitest';
import { TRANSFER_COMPLETED_DETAIL_TYPE, TRANSFER_FAILED_DETAIL_TYPE } from '../../../src/contract/index.js';
import type { DeadLetter } from '../../../tools/scenario/invariants.js';
import { checkOutcomeEvents, type OutcomeEventState } from '../../../tools/scenario/outcomeEventCheck.js';

const dead = (messageId: string, attributes: Record<string, string>): DeadLetter => ({
  messageId,
  body: '{}',
  attributes,
  clientToken: undefined,
});
const state = (overrides: Partial<OutcomeEventState>): OutcomeEventState => ({
  sent: new Map([
    ['m-1', '{}'],
    ['m-2', '{}'],
  ]),
  deleted: new Set(['m-1', 'm-2']),
  requeued: new Set(),
  deadLetters: [],
  events: [],
  ...overrides,
});

describe('the sixth invariant: every request that reached an end has its event', () => {
  it('fails for an acknowledged message with no event', () => {
    const result = checkOutcomeEvents(
      state({ events: [{ detailType: TRANSFER_COMPLETED_DETAIL_TYPE, messageId: 'm-1' }] }),
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('m-2');
  });

  it('expects a Failed event for a message the worker dead-lettered, named as the producer sent it', () => {
    const deadLetters = [dead('d-1', { SourceMessageId: 'm-2', ErrorClass: 'CapReached' })];
    const completed = { detailType: TRANSFER_COMPLETED_DETAIL_TYPE, messageId: 'm-1' };
    expect(
      checkOutcomeEvents(
        state({
          deadLetters,
          events: [completed, { detailType: TRANSFER_COMPLETED_DETAIL_TYPE, messageId: 'm-2' }],
        }),
      ).ok,
    ).toBe(false);
    expect(
      checkOutcomeEvents(
        state({
          deadLetters,
          events: [completed, { detailType: TRANSFER_FAILED_DETAIL_TYPE, messageId: 'm-2' }],
        }),
      ).ok,
    ).toBe(true);
  });

  it('expects nothing for a message whose held copy SQS moved to the DLQ by itself (it never reached an end)', () => {
    const events = [{ detailType: TRANSFER_COMPLETED_DETAIL_TYPE, messageId: 'm-1' }];
    const moved = [dead('copy-of-m-2', { OriginalMessageId: 'm-2', SlotAt: '1' })];
    expect(checkOutcomeEvents(state({ events })).ok).toBe(false);
    expect(checkOutcomeEvents(state({ events, deadLetters: moved })).ok).toBe(true);
  });

  it('accepts an event naming the message a redriven copy carries as the producer’s', () => {
    const redriven = state({
      sent: new Map([['r-1', '{}']]),
      deleted: new Set(['r-1']),
      events: [{ detailType: TRANSFER_COMPLETED_DETAIL_TYPE, messageId: 'm-9' }],
    });
    expect(checkOutcomeEvents(redriven).ok).toBe(false);
    expect(checkOutcomeEvents({ ...redriven, originals: new Map([['r-1', 'm-9']]) }).ok).toBe(true);
  });

  it('knows a held copy of a redriven request that SQS moved by itself, stale reason attributes and all', () => {
    // The redriven request r-1 kept its earlier trip's reason; the worker held it (its copy names r-1), and
    // SQS moved the copy to the DLQ after maxReceiveCount: r-1 never reached an end.
    const redriven = state({ sent: new Map([['r-1', '{}']]), deleted: new Set(['r-1']) });
    const stale = { ErrorClass: 'PermanentConnectError', SourceMessageId: 'an-earlier-trip' };
    const moved = dead('copy-of-r-1', { ...stale, OriginalMessageId: 'r-1', SlotAt: '1' });
    expect(checkOutcomeEvents({ ...redriven, deadLetters: [moved] }).ok).toBe(true);
    // The same copy dead-lettered by the worker (which drops OriginalMessageId) needs its Failed event.
    const byWorker = dead('d-1', { ErrorClass: 'PermanentConnectError', SourceMessageId: 'r-1' });
    expect(checkOutcomeEvents({ ...redriven, deadLetters: [byWorker] }).ok).toBe(false);
  });
});
