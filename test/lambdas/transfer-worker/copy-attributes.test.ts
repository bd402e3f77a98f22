import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFactsOf } from '../../../lambdas/transfer-worker/queue/messageAttributes.js';
import { QueueHold } from '../../../lambdas/transfer-worker/queue/QueueHold.js';
import { RequeueSender } from '../../../lambdas/transfer-worker/queue/RequeueSender.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';
import { queueTransfer, sqsRecord } from '../../support/factories.js';

const text = (stringValue: string) => ({ dataType: 'String', stringValue }) as const;

/** A request redriven from the DLQ: it keeps its earlier trip's reason, and the producer's own attribute. */
const redrivenAttributes: SQSMessageAttributes = {
  ErrorClass: text('PermanentConnectError'),
  ErrorCode: text('InvalidRequestException'),
  ErrorMessage: text('contact not active'),
  SourceMessageId: text('an-earlier-message'),
  ReceiveCount: { dataType: 'Number', stringValue: '3' },
  FailedAt: text('2026-11-01T00:00:00.000Z'),
  ClientToken: text('token-1'),
  Tenant: text('acme'),
};

describe('copies the worker sends back to the transfer queue', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  let queueUrl: string;
  beforeAll(async () => {
    sqs = await startLocalSqs();
    client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    queueUrl = sqs.server.createQueue('copy-attributes').queueUrl;
  });
  afterAll(async () => {
    await sqs.stop();
  });

  const receiveOne = async () => {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    return Object.keys(Messages[0]?.MessageAttributes ?? {}).sort();
  };

  // A copy SQS later moves to the DLQ by itself must not claim a reason it did not fail with.
  it('drop an earlier DLQ trip’s reason and keep the token and the producer’s attributes (a hold)', async () => {
    const record = sqsRecord(queueTransfer(), { messageAttributes: redrivenAttributes });
    const held = await new QueueHold(client, queueUrl, 262_144).send([
      {
        record,
        facts: copyFactsOf(record, undefined, Date.now()),
        clientToken: 'token-1',
        delaySeconds: 0,
        slot: { at: Date.now(), epoch: 1 },
      },
    ]);
    expect(held.has(record.messageId)).toBe(true);
    expect(await receiveOne()).toEqual(
      ['ClientToken', 'FirstSentTimestamp', 'OriginalMessageId', 'SlotAt', 'SlotEpoch', 'Tenant'].sort(),
    );
  });

  it('drop it too when a throttled request is sent back (a requeue)', async () => {
    const record = sqsRecord(queueTransfer(), { messageAttributes: redrivenAttributes });
    await new RequeueSender(client, queueUrl, 262_144).send(
      record,
      'token-1',
      copyFactsOf(record, undefined, Date.now()),
    );
    expect(delayedAttributes()).toEqual(
      ['ClientToken', 'FirstSentTimestamp', 'OriginalMessageId', 'Requeues', 'Tenant'].sort(),
    );
  });

  /** The attribute names of the one delayed message (a requeue waits 30 s), read without receiving it. */
  function delayedAttributes() {
    const delayed = sqs.server.inspectQueue('copy-attributes')?.messages.delayed ?? [];
    expect(delayed).toHaveLength(1);
    return Object.keys(delayed[0]?.messageAttributes ?? {}).sort();
  }
});
