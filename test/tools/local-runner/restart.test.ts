import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';

const request = (contact: string) =>
  JSON.stringify({
    InstanceId: SAMPLE_INSTANCE_ID,
    ContactId: contact,
    ContactFlowId: 'flow-transfer-to-queue',
    QueueId: 'support',
  });

// Ctrl-C and `npm start` again: every message is still there, whatever it was doing.
describe('the local mode across a restart', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'cto-restart-'));
  afterAll(() => rmSync(dataDirectory, { recursive: true, force: true }));

  const inspect = (local: LocalOrchestrator, url: string) => {
    const queue = local.sqs.server.inspectQueue(url.split('/').at(-1) ?? '');
    return queue?.messages ?? { ready: [], delayed: [], inflight: [] };
  };

  it('keeps visible, delayed and in-flight messages, with their attributes and what is left of their wait', async () => {
    const first = await LocalOrchestrator.start({
      dataDirectory,
      simulator: { ratePerSecond: 1_000, burst: 1_000 },
    });
    const sqs = new SQSClient({ endpoint: first.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const producer = { Producer: { DataType: 'String', StringValue: 'crm' } };
    // A request sent with a delay (as a requeue's back-off is), not yet processed.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: first.queueUrl,
        MessageBody: request('task-1'),
        DelaySeconds: 600,
        MessageAttributes: producer,
      }),
    );
    // In the DLQ: one delayed, two received (waiting out their visibility timeout).
    for (const [body, delay] of [
      ['dead-visible', 0],
      ['dead-delayed', 300],
      ['dead-in-flight', 0],
    ] as const) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: first.deadLetterQueueUrl,
          MessageBody: body,
          DelaySeconds: delay,
          MessageAttributes: producer,
        }),
      );
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: first.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
      }),
    );
    // Both visible ones are now in flight (as in a `dlq list` peek), the third still delayed.
    expect(Messages.map((m) => m.Body).sort()).toEqual(['dead-in-flight', 'dead-visible']);
    await first.stop();

    const second = await LocalOrchestrator.start({
      dataDirectory,
      simulator: { ratePerSecond: 1_000, burst: 1_000 },
    });
    try {
      const queue = inspect(second, second.queueUrl);
      expect(queue.delayed.map((m) => m.body)).toEqual([request('task-1')]);
      expect(queue.delayed[0]?.messageAttributes).toMatchObject(producer);
      // Still waiting: about ten minutes, not zero.
      expect((queue.delayed[0]?.delayUntil ?? 0) - Date.now()).toBeGreaterThan(500_000);

      const dead = inspect(second, second.deadLetterQueueUrl);
      const all = [...dead.ready, ...dead.delayed, ...dead.inflight.map((i) => i.message)].map((m) => m.body);
      expect(all.sort()).toEqual(['dead-delayed', 'dead-in-flight', 'dead-visible']);
      // Both received messages were in flight when stopped: they come back when their visibility ends.
      expect(dead.delayed.map((m) => m.body).sort()).toEqual([
        'dead-delayed',
        'dead-in-flight',
        'dead-visible',
      ]);
      expect(dead.delayed.every((m) => m.messageAttributes.Producer?.StringValue === 'crm')).toBe(true);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
