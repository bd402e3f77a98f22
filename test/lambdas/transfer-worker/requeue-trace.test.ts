import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../lambdas/transfer-worker/queue/DeadLetterQueue.js';
import { copyFactsOf } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { RequeueSender } from '../../../lambdas/transfer-worker/queue/RequeueSender.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';
import { queueTransfer, sqsRecord } from '../../support/factories.js';

/** A pass-through proxy in front of the local SQS that keeps the headers of every request. */
async function headerRecordingProxy(
  target: string,
): Promise<{ server: Server; endpoint: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const upstream = httpRequest(
      { hostname, port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('requeue path and Lambda’s recursive-loop detection', () => {
  let sqs: LocalSqs;
  let proxy: Awaited<ReturnType<typeof headerRecordingProxy>>;
  let queueUrl: string;
  const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
  beforeAll(async () => {
    sqs = await startLocalSqs();
    proxy = await headerRecordingProxy(sqs.endpoint);
    queueUrl = sqs.server.createQueue('requeue-trace').queueUrl;
    // What Lambda sets in an invocation: the SDK then propagates the trace (X-Amzn-Trace-Id) on each call.
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'transfer-worker';
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:15';
  });
  afterAll(async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = saved.name;
    process.env._X_AMZN_TRACE_ID = saved.trace;
    if (saved.name === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    if (saved.trace === undefined) delete process.env._X_AMZN_TRACE_ID;
    proxy.server.closeAllConnections();
    proxy.server.close();
    await sqs.stop();
  });

  it('sends a request back with no trace context, so no requeue count can trip the 16-hop loop stop', async () => {
    const client = new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
    // Another call from the same client still carries the trace: the check below can fail.
    const first = sqsRecord(queueTransfer());
    await new DeadLetterQueue(client, queueUrl, 262_144).send(
      first,
      { errorClass: 'InvalidRequest', code: 'InvalidRequest', message: 'x' },
      'token-1',
      copyFactsOf(first, undefined, Date.now()),
    );
    expect(proxy.seen.at(-1)?.['x-amzn-trace-id']).toContain('Lineage=a87bd80c:15');

    for (let requeues = 0; requeues < 20; requeues += 1) {
      const record = sqsRecord(queueTransfer(), {
        messageAttributes: { Requeues: { dataType: 'Number', stringValue: String(requeues) } },
      });
      const facts = { ...copyFactsOf(record, undefined, Date.now()), requeues };
      await new RequeueSender(client, queueUrl, 262_144).send(record, 'token-1', facts);
      const headers = proxy.seen.at(-1) ?? {};
      expect(headers['x-amzn-trace-id']).toBeUndefined();
      expect(headers.traceparent).toBeUndefined();
    }
    const { Messages = [] } = await new SQSClient({
      endpoint: sqs.endpoint,
      useQueueUrlAsEndpoint: false,
    }).send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.length).toBeGreaterThan(0);
  });
});
