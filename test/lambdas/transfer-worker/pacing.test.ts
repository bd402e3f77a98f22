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
    // Slots are an interval (500 ms) apart and each call lands anywhere in its own slot (the adaptive pacer's
    // jitter), so the i-th call comes between i − 1 and i + 1 intervals after the first; arrivals move a
    // little with the machine's load. Unpaced, all five would arrive within a few milliseconds.
    arrivals.forEach((at, i) => {
      expect(at - (arrivals[0] as number)).toBeGreaterThan(500 * (i - 1) - 100);
      expect(at - (arrivals[0] as number)).toBeLessThan(500 * (i + 1) + 300);
    });
    const span = (arrivals.at(-1) as number) - (arrivals[0] as number);
    expect(span).toBeGreaterThanOrEqual(1_400);
  });
});
