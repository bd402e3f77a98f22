import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferClient } from '../../../src/client/index.js';
import { LocalEventBridge } from '../../../tools/local-eventbridge/LocalEventBridge.js';

const ROOT = 'Root=1-6750a1b2-000000000000000000000001;Parent=0000000000000002;Sampled=1';
const request = {
  InstanceId: 'i',
  ContactId: 'c',
  ContactFlowId: 'f',
  QueueId: 'q',
  ClientToken: 'client-trace',
};

// The caller's trace header goes out as the trace it continues (Root, Parent, Sampled): never longer than
// EventBridge's 500 characters, never with the caller's extra fields (Lambda's Lineage included).
describe('TransferClient: the trace header it sends', () => {
  let bus: LocalEventBridge;
  beforeAll(async () => {
    bus = await LocalEventBridge.start({ sqsEndpoint: 'http://127.0.0.1:9' });
  });
  afterAll(() => bus.stop());

  it('a header it accepts (Root plus a long Self) is not refused by EventBridge', async () => {
    const long = `${ROOT};Self=1-6750a1b2-${'a'.repeat(600)}`;
    const client = new TransferClient({
      eventBusName: 'default',
      eventBridge: new EventBridgeClient({ endpoint: bus.endpoint }),
      traceHeader: () => long,
    });
    const [result] = await client.publish([request]);
    expect(result).toMatchObject({ ok: true });
  });

  it('what it sends to SQS is the trace it continues (Root, Parent, Sampled), not the caller’s extra fields', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{"__type":"InternalError","message":"x"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new TransferClient({
      queueUrl: 'http://x/000000000000/q',
      sqs: new SQSClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        maxAttempts: 1,
      }),
      traceHeader: () => `${ROOT};Lineage=a87bd80c:15`,
    });
    await client.enqueue(request).catch(() => undefined);
    server.close();
    const sent = JSON.parse(bodies[0] ?? '{}').MessageSystemAttributes?.AWSTraceHeader?.StringValue;
    expect(sent).toBe(ROOT);
  });
});
