import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

// The real handler at a low rate: the simulator's own clock says how far apart the calls arrived. If the
// worker stopped asking the pacer, the calls of a batch would arrive together.
describe('pacing: the real handler spaces its TransferContact calls', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    // 4 calls/s shared by 2 workers: each worker one call every 500 ms.
    harness = await WorkerHarness.start({
      env: { TRANSFER_RATE_PER_SECOND: '4', MAX_CONCURRENCY: '2' },
      simulator: { contactIdMode: 'keep' },
    });
  });
  afterAll(() => harness.stop());

  it('makes one call per interval within a batch, the first at once', async () => {
    const records = Array.from({ length: 5 }, () =>
      sqsRecord(queueTransfer({ ContactId: harness.newContact() })),
    );
    const started = Date.now();
    const result = await harness.invoke(sqsEvent(...records));
    expect(result.batchItemFailures).toEqual([]);
    const arrivals = harness.connect.calls
      .filter((c) => c.operation === 'TransferContact' && (c.receivedAt ?? 0) >= started)
      .map((c) => c.receivedAt ?? 0)
      .sort((a, b) => a - b);
    expect(arrivals).toHaveLength(5);
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
    // Slots are an interval apart, each call within the first 30 % of its slot (the adaptive pacer's jitter),
    // and arrivals move with the machine's load: each gap is allowed
    // some slack, the whole span little.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(300);
    const span = (arrivals.at(-1) as number) - (arrivals[0] as number);
    expect(span).toBeGreaterThanOrEqual(1_800);
    // …and no slower than the rate asks (the last call about 4 intervals after the first).
    expect(span).toBeLessThan(2_800);
  });
});
