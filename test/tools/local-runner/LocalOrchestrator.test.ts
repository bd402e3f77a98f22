import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { parseOutcomeLine } from '../../../tools/local-runner/outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';

// The local mode runs what the stack declares: a context key changes what it does, with no second place to edit.
describe('LocalOrchestrator', () => {
  let local: LocalOrchestrator;
  const batches: number[] = [];
  const outcomes: string[] = [];
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      context: {
        batchSize: '3',
        maxReceiveCount: '2',
        transferRatePerSecond: '50',
        functionTimeoutSeconds: '8',
      },
      simulator: { ratePerSecond: 1_000, burst: 1_000 },
      environment: { POWERTOOLS_LOG_LEVEL: 'INFO' },
      onBatch: (report) => batches.push(report.messageIds.length),
      onLogLine: (line) => {
        const log = parseOutcomeLine(line);
        if (log) outcomes.push(log.outcome);
      },
    });
  }, 120_000);
  afterAll(() => local?.stop());

  it('reads the event source and the redrive policy from the synthesized template', () => {
    expect(local.model.worker.eventSource.batchSize).toBe(3);
    expect(local.model.worker.timeoutSeconds).toBe(8);
    const queue = local.model.queues.find(
      (q) => q.logicalId === local.model.worker.eventSource.queueLogicalId,
    );
    expect(queue).toMatchObject({ visibilityTimeoutSeconds: 48, redrive: { maxReceiveCount: 2 } });
  });

  it('polls in batches of the stack’s size and runs the bundled worker on them', async () => {
    const client = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const entries = Array.from({ length: 8 }, (_, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: `task-${i + 1}`,
        ContactFlowId: 'flow-transfer-to-queue',
        QueueId: 'support',
      }),
    }));
    await client.send(new SendMessageBatchCommand({ QueueUrl: local.queueUrl, Entries: entries }));
    for (let i = 0; i < 100 && outcomes.length < 8; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outcomes.filter((o) => o === 'Transferred')).toHaveLength(8);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    expect(local.connect.calls.filter((c) => c.transferred)).toHaveLength(8);
  });
});
