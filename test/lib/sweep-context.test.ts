import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { SWEEP_CONTEXT_KEYS, sweepFromContext } from '../../lib/contextProps.js';

// The context keys the example app (examples/escalate-queued-tasks.ts) reads for its rule's sweep: each
// value is checked as the construct's own keys are, so a typo fails synth naming its key.
const read = (context: Record<string, unknown>, instanceIds = ['i-1']) =>
  sweepFromContext((key) => context[key], instanceIds);

describe('the sweep’s context keys', () => {
  it('leave every setting to the construct’s defaults when unset, on the first instance', () => {
    expect(read({})).toEqual({ instanceId: 'i-1' });
    expect(read({ sweepInstanceId: '' })).toEqual({ instanceId: 'i-1' });
  });

  it('set the instance, the settle time and the search rate, from -c strings or cdk.json values', () => {
    const sweep = read({ sweepInstanceId: 'i-2', sweepSettleSeconds: '30', sweepSearchRatePerSecond: 1 });
    expect(sweep?.instanceId).toBe('i-2');
    expect(sweep?.settle?.toSeconds()).toBe(Duration.seconds(30).toSeconds());
    expect(sweep?.searchRatePerSecond).toBe(1);
  });

  it('leave the sweep out on sweep=false, or with no instance to search', () => {
    expect(read({ sweep: 'false' })).toBeUndefined();
    expect(read({ sweep: false })).toBeUndefined();
    expect(read({}, [])).toBeUndefined();
    expect(read({ sweep: 'true' })).toBeDefined();
  });

  it.each([
    [{ sweep: 'no' }, /context sweep must be true or false, got "no"/],
    [{ sweepSettleSeconds: '1m' }, /context sweepSettleSeconds must be a number, got "1m"/],
    [{ sweepSettleSeconds: '-5' }, /context sweepSettleSeconds must be 0 or more, got -5/],
    [{ sweepSearchRatePerSecond: 'fast' }, /context sweepSearchRatePerSecond must be a number, got "fast"/],
  ])('refuse %o, naming the key', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });

  it('are each in the example app’s table of docs/OPERATIONS.md', () => {
    const docs = readFileSync('docs/OPERATIONS.md', 'utf8');
    const table = docs.slice(docs.indexOf('| example app key'));
    const keys = table
      .split('\n')
      .slice(2)
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|')[1]?.trim().replaceAll('`', ''));
    for (const key of SWEEP_CONTEXT_KEYS) expect(keys).toContain(key);
  });

  it('fail the example app’s synth on a bad value, and the construct’s range checks still apply', () => {
    const synth = (context: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'examples/escalate-queued-tasks.ts'], {
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'sweep-context-')),
          CDK_CONTEXT_JSON: JSON.stringify({
            'aws:cdk:bundling-stacks': [],
            instanceIds: '11111111-2222-3333-4444-555555555555',
            ...context,
          }),
        },
      });
    const bad = synth({ sweepSettleSeconds: 'sixty' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('context sweepSettleSeconds must be a number, got "sixty"');
    const outOfRange = synth({ sweepSearchRatePerSecond: '5' });
    expect(outOfRange.status).not.toBe(0);
    expect(outOfRange.stderr).toContain(
      "addTransferRule('EscalateQueuedTasks') sweep.searchRatePerSecond must be above 0 and at most 2",
    );
  }, 60_000);
});
