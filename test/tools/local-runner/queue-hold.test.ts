import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchReport } from '../../../tools/local-runner/EventSourcePoller.js';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from '../../../tools/local-runner/sampleContactCenter.js';

const REQUESTS = 24;

// A backlog at the default rate (2/s shared by two workers): a worker that waited in the function for its
// turn would be billed about a second per transfer (both workers busy all the time). With the shared schedule
// the requests wait in the queue for their slots, and the workers run only to make the calls.
describe('a backlog waits for its slots in the queue, not in the worker', () => {
  let local: LocalOrchestrator;
  const batches: BatchReport[] = [];
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      context: { maxConcurrency: '2', batchSize: '10' },
      // Connect's default quota: 2 calls/s, a burst of 5.
      simulator: { contactIdMode: 'keep' },
      seed: sampleContactCenter(REQUESTS),
      onBatch: (report) => batches.push(report),
    });
  }, 180_000);
  afterAll(() => local?.stop());

  it('transfers every request once, at the rate, while the workers are busy a fraction of the time', async () => {
    const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const bodies = Array.from({ length: REQUESTS }, (_, i) =>
      JSON.stringify({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: `task-${i + 1}`,
        ContactFlowId: 'flow-transfer-to-queue',
        QueueId: 'billing',
        ClientToken: `hold-${i}`,
      }),
    );
    const sentAt = Date.now();
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: local.queueUrl,
          Entries: bodies.slice(i, i + 10).map((MessageBody, n) => ({ Id: String(n), MessageBody })),
        }),
      );
    }
    const transferred = () => local.connect.calls.filter((c) => c.transferred);
    const deadline = Date.now() + 90_000;
    while (transferred().length < REQUESTS && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    // Every request transferred exactly once, none dead-lettered.
    expect(transferred()).toHaveLength(REQUESTS);
    expect(new Set(transferred().map((c) => c.input.ClientToken)).size).toBe(REQUESTS);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: local.deadLetterQueueUrl, AttributeNames: ['All'] }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(0);

    // The requests waited in the queue: held ones came back as new messages.
    const messages = new Set(batches.flatMap((batch) => batch.messageIds));
    expect(messages.size).toBeGreaterThan(REQUESTS);

    // At the rate: the calls span about (REQUESTS − burst) / 2 s.
    const calls = local.connect.calls
      .filter((c) => c.operation === 'TransferContact' && (c.receivedAt ?? 0) >= sentAt)
      .map((c) => c.receivedAt ?? 0)
      .sort((a, b) => a - b);
    const span = ((calls.at(-1) as number) - (calls[0] as number)) / 1000;
    expect(span).toBeGreaterThan((REQUESTS - 5) / 2 - 1);
    // Connect's own bucket (2/s, burst 5) is the judge: requests held in the queue come back in whole
    // seconds, in pairs, which it absorbs (the bench: none of 240 calls throttled in 120 s alone).
    expect(local.connect.calls.filter((c) => c.status === 429).length).toBeLessThanOrEqual(1);

    // Billed: waiting in the function, a batch of 10 at the rate shared by two workers would run 5–10 s. Held
    // in the queue, an invocation waits at most MAX_IN_FUNCTION_WAIT_MS (1 s) for the slots it runs, so
    // batches stay short however loaded the machine is (the billed total is the bench's figure,
    // docs/BENCHMARKS.md, not this test's: a loaded 2-core machine inflates every invocation alike).
    const durations = batches.map((batch) => batch.durationMs).sort((a, b) => a - b);
    const p90 = durations[Math.floor(durations.length * 0.9)] ?? 0;
    expect(p90).toBeLessThan(4_000);
  }, 120_000);
});
