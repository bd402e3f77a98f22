import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedToken, queueTransfer, sqsEvent, sqsRecord } from '../support/factories.js';
import { WorkerHarness } from '../support/harness.js';

// The real handler on the engines, fed random batches: it never throws, never fails a batch as a whole for
// one bad record, and each record ends transferred, in the DLQ, or reported for retry.
describe('the worker handler, fuzzed', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ simulator: { contactIdMode: 'keep' } });
  });
  afterAll(() => harness.stop());

  // SQS bodies are 1 to 256 KiB of text: never empty.
  const body = fc.oneof(
    fc.string({ minLength: 1, maxLength: 300 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record({
        ContactId: fc.constantFrom('task-1', 'task-2', 'task-3', 'voice-1', 'nope'),
        extra: fc.option(fc.string({ maxLength: 5 })),
      })
      .map(({ ContactId, extra }) =>
        JSON.stringify(queueTransfer({ ContactId, ...(extra !== null && { [extra]: 1 }) })),
      ),
    fc.constantFrom('x'.repeat(200_000), '{}', 'null', '[]', '""'),
  );

  it('answers every batch record by record and loses nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        await harness.drainDlq();
        const records = bodies.map((b) => sqsRecord(b));
        const response = await harness.invoke(sqsEvent(...records));
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const id of failed) expect(records.map((r) => r.messageId)).toContain(id);
        // Invalid and refused records are dead-lettered (not retried): the failures are transient ones only.
        const dead = await harness.drainDlq();
        const deadIds = new Set(dead.map((d) => d.attributes.SourceMessageId));
        // Exactly one place each: retried, dead-lettered, or done (Connect transferred its token, now or
        // before: a copy of an earlier request is replayed).
        const transferred = new Set(
          harness.connect.calls.filter((c) => c.status === 200).map((c) => String(c.input.ClientToken)),
        );
        for (const record of records) {
          const retried = failed.has(record.messageId);
          const deadLettered = deadIds.has(record.messageId);
          expect(retried && deadLettered).toBe(false);
          if (!retried && !deadLettered) expect(transferred.has(derivedToken(record))).toBe(true);
        }
        for (const d of dead)
          expect(records.find((r) => r.messageId === d.attributes.SourceMessageId)?.body).toBe(d.body);
      }),
      { numRuns: 60 },
    );
  });
});
