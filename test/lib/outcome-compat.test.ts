import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import * as construct from '../../src/construct/index.js';

describe('metricOutcome: the Outcome enum renamed by jsii, seen from connect-transfer-orchestrator/construct', () => {
  it('refuses an outcome that is not one (the old member names, transpiled without types), never a nameless metric', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Old');
    const o = new construct.TransferOrchestrator(stack, 'O', {
      instanceIds: ['11111111-2222-3333-4444-555555555555'],
    });
    const old = (construct.Outcome as unknown as Record<string, string>).AmbiguousTransfer;
    expect(old).toBeUndefined(); // the old member is gone
    expect(() => o.metricOutcome(old as never)).toThrow(/metricOutcome takes one of .*got undefined/);
    // The current names chart the metric the worker publishes.
    expect(o.metricOutcome(construct.Outcome.AMBIGUOUS_TRANSFER).metricName).toBe('AmbiguousTransfer');
  });
});
