import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

// The real handler at a low rate: the simulator's own clock says how far apart the calls arrived. If the
// worker stopped waiting for its slots, the calls of a batch would arrive together.
describe('pacing: the real handler spaces its TransferContact calls', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    // 4 calls/s for the deployment: the shared schedule's slots are 250 ms apart, whichever worker takes them.
    harness = await WorkerHarness.start({
      env: { TRANSFER_RATE_PER_SECOND: '4', MAX_CONCURRENCY: '2' },
      simulator: { contactIdMode: 'keep' },
    });
  });
  afterAll(() => harness.stop());

  it('makes one call per slot of the schedule within a batch, the first at once', async () => {
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
    // A batch of five books five consecutive slots 250 ms apart, the first no earlier than the invocation,
    // and no call is made before its slot: so the i-th call to arrive comes at least 250·i ms after the
    // invocation began (each also after its request's ledger writes, later under load). Unpaced, all five
    // would arrive within a few milliseconds.
    arrivals.forEach((at, i) => {
      expect(at - started).toBeGreaterThanOrEqual(250 * i);
      expect(at - started).toBeLessThan(250 * i + 1_500);
    });
  });
});
