import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

describe('transfer worker, thin slice', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start();
  });
  afterAll(() => harness.stop());

  it('transfers a valid request and dead-letters a malformed one in the same batch', async () => {
    const good = sqsRecord(queueTransfer({ ClientToken: 'slice-1' }));
    const bad = sqsRecord('{not json');
    const response = await harness.invoke(sqsEvent(good, bad));
    expect(response.batchItemFailures).toEqual([]);
    expect(harness.transfersMade()).toBe(1);
    const dlq = await harness.drainDlq();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.body).toBe('{not json');
    expect(dlq[0]?.attributes.ErrorClass).toBe('InvalidRequest');
  });
});
