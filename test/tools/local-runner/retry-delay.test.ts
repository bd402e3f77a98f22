import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { parseOutcomeLine } from '../../../tools/local-runner/outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';

// A duplicate sent while its twin is in flight: it only has to wait, so it must settle in seconds, not after
// the queue's visibility timeout (here 6 × 10 s).
describe('a record that only has to wait comes back in seconds', () => {
  let local: LocalOrchestrator;
  const outcomes: { outcome: string; at: number; code?: string }[] = [];
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      context: {
        transferRatePerSecond: '20',
        functionTimeoutSeconds: '10',
        maxConcurrency: '2',
        batchSize: '1',
      },
      simulator: { ratePerSecond: 1_000, burst: 1_000, contactIdMode: 'keep' },
      onLogLine: (line) => {
        const outcome = parseOutcomeLine(line);
        if (outcome) outcomes.push({ outcome: outcome.outcome, at: Date.now(), code: outcome.errorCode });
      },
    });
  }, 180_000);
  afterAll(() => local?.stop());

  it('acknowledges the duplicate as Duplicate a few seconds after its twin transferred', async () => {
    // Connect holds the first call 3 s, so the twin finds the token in flight.
    local.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 3_000 }] });
    const body = JSON.stringify({
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: 'task-3',
      ContactFlowId: 'flow-transfer-to-queue',
      QueueId: 'billing',
      ClientToken: 'twins',
    });
    const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const sentAt = Date.now();
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: local.queueUrl,
        Entries: [
          { Id: 'a', MessageBody: body },
          { Id: 'b', MessageBody: body },
        ],
      }),
    );
    const deadline = Date.now() + 45_000;
    while (!outcomes.some((o) => o.outcome === 'Duplicate') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const duplicate = outcomes.find((o) => o.outcome === 'Duplicate');
    expect(outcomes.some((o) => o.code === 'TransferInFlight')).toBe(true);
    expect(duplicate, 'the duplicate settled').toBeDefined();
    expect(((duplicate?.at ?? 0) - sentAt) / 1000).toBeLessThan(15);
    expect(local.connect.calls.filter((c) => c.transferred)).toHaveLength(1);
  });
});
