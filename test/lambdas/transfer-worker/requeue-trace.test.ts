import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../lambdas/transfer-worker/queue/DeadLetterQueue.js';
import { copyFactsOf } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { QueueHold } from '../../../lambdas/transfer-worker/queue/QueueHold.js';
import { RequeueSender } from '../../../lambdas/transfer-worker/queue/RequeueSender.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';
import { queueTransfer, sqsRecord } from '../../support/factories.js';
import { recordingProxy } from '../../support/recordingProxy.js';

describe('requeue path and Lambda’s recursive-loop detection', () => {
  let sqs: LocalSqs;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let queueUrl: string;
  const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
  beforeAll(async () => {
    sqs = await startLocalSqs();
    proxy = await recordingProxy(sqs.endpoint);
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
    proxy.stop();
    await sqs.stop();
  });

  it('sends a request back without the invocation’s trace headers, so no requeue count can trip the 16-hop loop stop', async () => {
    const client = new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
    // Another call from the same client still carries the trace: the check below can fail.
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
    expect(proxy.requests.at(-1)?.headers['x-amzn-trace-id']).toContain('Lineage=a87bd80c:15');

    for (let requeues = 0; requeues < 20; requeues += 1) {
      const record = sqsRecord(queueTransfer(), {
        messageAttributes: { Requeues: { dataType: 'Number', stringValue: String(requeues) } },
      });
      const facts = { ...copyFactsOf(record, undefined, Date.now()), requeues };
      await new RequeueSender(client, queueUrl, 262_144).send(record, 'token-1', facts);
      const headers = proxy.requests.at(-1)?.headers ?? {};
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

  it('keeps the record’s trace on every copy, without Lambda’s hop counter, and drops a malformed one', async () => {
    const client = new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
    const queue = sqs.server.createQueue('copy-trace').queueUrl;
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const traced = (header: string, token: string) => {
      const record = sqsRecord(queueTransfer({ ClientToken: token }));
      return { ...record, attributes: { ...record.attributes, AWSTraceHeader: header } };
    };
    const failure = { errorClass: 'InvalidRequest', code: 'InvalidRequest', message: 'x' } as const;
    const send = async (record: ReturnType<typeof traced>) => {
      const facts = copyFactsOf(record, undefined, Date.now());
      await new RequeueSender(client, queue, 262_144).send(record, 'token', facts);
      await new DeadLetterQueue(client, queue, 262_144).send(record, failure, 'token', facts);
      await new QueueHold(client, queue, 262_144).send([
        { record, delaySeconds: 0, facts, clientToken: 'token' },
      ]);
    };
    const before = proxy.requests.length;
    await send(traced(`${trace};Lineage=a87bd80c:15`, 'kept'));
    await send(traced('Root=forged;Lineage=a87bd80c:15', 'dropped'));
    // What each copy asked SQS to keep, from the requests themselves (a requeue is delayed 30 s or more).
    type Sent = {
      MessageBody?: string;
      MessageSystemAttributes?: { AWSTraceHeader?: { StringValue?: string } };
    };
    const sent = proxy.requests
      .slice(before)
      .map(({ body }) => {
        if (body === undefined) throw new Error('a request body was not recorded before its answer');
        return JSON.parse(body) as Sent & { Entries?: Sent[] };
      })
      .flatMap((input) => input.Entries ?? [input])
      .map((entry) => ({
        token: JSON.parse(entry.MessageBody ?? '{}').ClientToken,
        trace: entry.MessageSystemAttributes?.AWSTraceHeader?.StringValue,
      }));
    expect(sent.filter((m) => m.token === 'kept').map((m) => m.trace)).toEqual([trace, trace, trace]);
    expect(sent.filter((m) => m.token === 'dropped').map((m) => m.trace)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // And SQS gives it back with the message (the hold, sent without delay).
    const { Messages = [] } = await new SQSClient({
      endpoint: sqs.endpoint,
      useQueueUrlAsEndpoint: false,
    }).send(
      new ReceiveMessageCommand({
        QueueUrl: queue,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const kept = Messages.filter((m) => JSON.parse(m.Body ?? '{}').ClientToken === 'kept');
    expect(kept.length).toBeGreaterThan(0);
    for (const message of kept) expect(message.Attributes?.AWSTraceHeader).toBe(trace);
    expect(sqs.realism.refusals).toEqual([]);
  });

  it('is refused by SQS if it sends a malformed trace header itself', async () => {
    const client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    await expect(
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: '{}',
          MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=forged' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
