import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferClient } from '../../src/client/index.js';
import type { BatchReport } from '../../tools/local-runner/EventSourcePoller.js';
import { LocalOrchestrator } from '../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from '../../tools/local-runner/sampleContactCenter.js';
import {
  enqueueTraced,
  outcomeTracesOf,
  rootOf,
  traceOf,
  transferredUnder,
  until,
} from './tracedRequests.js';

const REQUESTS = 12;

// One request's trace, from the producer to the outcome event, on the local engines: the producer's
// header rides SQS (`AWSTraceHeader`, kept by the realistic SQS proxy), the worker's held copies keep it,
// the TransferContact call carries it (`X-Amzn-Trace-Id`, recorded by the simulator) and the outcome event
// carries it (`TraceHeader`, seen by the local EventBridge). At Connect's default rate a backlog of 12
// waits in the queue, so most requests reach Connect as a held copy, not the message the producer sent.
describe('a producer trace, end to end', () => {
  let local: LocalOrchestrator;
  const batches: BatchReport[] = [];
  let outcomeTraces: Map<string, string | undefined>;
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      context: { maxConcurrency: '2', batchSize: '10' },
      simulator: { contactIdMode: 'keep' },
      seed: sampleContactCenter(REQUESTS + 1),
      onBatch: (report) => batches.push(report),
    });
    outcomeTraces = outcomeTracesOf(local);
  }, 180_000);
  afterAll(() => local?.stop());

  const transferredTo = (token: string) => transferredUnder(local, token);

  it('carries each queued request’s trace through its held copies to Connect and to its outcome event', async () => {
    const tokens = await enqueueTraced(local, REQUESTS, (i) => `trace-${i}`);
    await until(
      () => tokens.every((token) => transferredTo(token) && outcomeTraces.has(token)),
      'every transfer and its outcome event',
    );
    // Held copies ran: more messages than requests went through the worker.
    expect(new Set(batches.flatMap((batch) => batch.messageIds)).size).toBeGreaterThan(REQUESTS);
    tokens.forEach((token, i) => {
      const sent = rootOf(traceOf(i));
      expect(rootOf(transferredTo(token)?.traceHeader), `${token} at Connect`).toBe(sent);
      expect(rootOf(outcomeTraces.get(token)), `${token} in its outcome event`).toBe(sent);
      // Lambda's hop counter never rides on: the header is the producer's fields only.
      expect(transferredTo(token)?.traceHeader).not.toContain('Lineage');
    });
  }, 120_000);

  it('carries a trace put on the bus through the rule to Connect and the outcome event', async () => {
    const trace = traceOf(99);
    const client = new TransferClient({
      eventBusName: local.eventBusName,
      eventBridge: new EventBridgeClient({ endpoint: local.eventBridge.endpoint }),
      traceHeader: () => trace,
    });
    const [result] = await client.publish([
      {
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: `task-${REQUESTS + 1}`,
        ContactFlowId: 'flow-transfer-to-queue',
        QueueId: 'billing',
        ClientToken: 'trace-bus',
      },
    ]);
    expect(result?.ok).toBe(true);
    await until(
      () => Boolean(transferredTo('trace-bus') && outcomeTraces.has('trace-bus')),
      'the bus request',
    );
    expect(rootOf(transferredTo('trace-bus')?.traceHeader)).toBe(rootOf(trace));
    expect(rootOf(outcomeTraces.get('trace-bus'))).toBe(rootOf(trace));
  }, 120_000);

  it('refuses a malformed trace header before sending anything', async () => {
    const client = new TransferClient({
      queueUrl: local.queueUrl,
      sqs: new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false }),
      traceHeader: () => 'Root=not-a-trace',
    });
    await expect(
      client.enqueue({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: 'task-1',
        ContactFlowId: 'flow-transfer-to-queue',
        QueueId: 'billing',
      }),
    ).rejects.toThrow(/not an X-Ray trace header/);
  });
});
