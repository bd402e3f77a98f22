import type { IncomingHttpHeaders } from 'node:http';
import { InvokeStore } from '@aws/lambda-invoke-store';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../lambdas/transfer-worker/queue/DeadLetterQueue.js';
import { copyFactsOf } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { QueueHold } from '../../../lambdas/transfer-worker/queue/QueueHold.js';
import { RequeueSender } from '../../../lambdas/transfer-worker/queue/RequeueSender.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';
import { queueTransfer, sqsRecord } from '../../support/factories.js';
import { recordingProxy } from '../../support/recordingProxy.js';

// The SDK's recursion-detection middleware adds the invocation's trace headers (`traceparent`, `tracestate`
// when Lambda's invocation store carries W3C context), and SigV4 signs them. A copy drops them (a new round,
// no hop counter): dropped after signing, the request would lack a header its signature covers and real SQS
// would answer SignatureDoesNotMatch to every hold, requeue and dead letter.

const signedHeadersOf = (headers: IncomingHttpHeaders): string[] =>
  /SignedHeaders=([^,]+)/.exec(String(headers.authorization ?? ''))?.[1]?.split(';') ?? [];

describe('a copy’s send drops the invocation’s trace headers before it is signed', () => {
  let sqs: LocalSqs;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let queueUrl: string;
  beforeAll(async () => {
    sqs = await startLocalSqs();
    proxy = await recordingProxy(sqs.endpoint);
    queueUrl = sqs.server.createQueue('signing').queueUrl;
  });
  afterAll(async () => {
    proxy.stop();
    await sqs.stop();
  });

  it('every header a copy’s signature covers is on the request (a SigV4 verifier needs them all)', async () => {
    const client = new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
    const record = sqsRecord(queueTransfer({ ClientToken: 'signed' }));
    const facts = copyFactsOf(record, undefined, Date.now());
    const store = await InvokeStore.getInstanceAsync();
    // What the Lambda runtime puts in the invocation's store when the invocation carries W3C trace context.
    const lambdaContext = {
      [Symbol.for('_AWS_LAMBDA_TRACEPARENT')]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [Symbol.for('_AWS_LAMBDA_TRACESTATE')]: 'rojo=00f067aa0ba902b7',
    };
    await store.run(lambdaContext, async () => {
      await new RequeueSender(client, queueUrl, 262_144).send(record, 'signed', facts);
      await new QueueHold(client, queueUrl, 262_144).send([
        { record, facts, clientToken: 'signed', delaySeconds: 0 },
      ]);
      await new DeadLetterQueue(client, queueUrl, 262_144).send(
        record,
        { errorClass: 'InvalidRequest', code: 'InvalidRequest', message: 'x' },
        'signed',
        facts,
      );
    });
    const sends = proxy.requests.filter((s) => /SendMessage/.test(s.target));
    expect(sends.length).toBe(3);
    for (const send of sends) {
      expect(send.headers.traceparent).toBeUndefined();
      expect(send.headers['x-amzn-trace-id']).toBeUndefined();
    }
    const missing = sends.map((s) => ({
      target: s.target,
      signedButAbsent: signedHeadersOf(s.headers).filter((name) => s.headers[name] === undefined),
    }));
    expect(missing).toEqual([
      { target: 'AmazonSQS.SendMessage', signedButAbsent: [] },
      { target: 'AmazonSQS.SendMessageBatch', signedButAbsent: [] },
      { target: 'AmazonSQS.SendMessage', signedButAbsent: [] },
    ]);
  });
});
