import {
  BatchRequestTooLong,
  ChangeMessageVisibilityCommand,
  InvalidMessageContents,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';
import { RealisticSqsProxy } from '../../../tools/local-engines/RealisticSqsProxy.js';

const clientFor = (endpoint: string, config: SQSClientConfig = {}) =>
  new SQSClient({ endpoint, useQueueUrlAsEndpoint: false, maxAttempts: 1, ...config });

const failureOf = async (
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused');
};

describe('RealisticSqsProxy in front of fauxqs', () => {
  let sqs: LocalSqs;
  let fauxqs: () => string;
  let proxy: RealisticSqsProxy;
  let client: SQSClient;
  let counter = 0;
  const queue = (attributes?: Record<string, string>) => {
    counter += 1;
    return sqs.server.createQueue(`realistic-${counter}`, { attributes });
  };

  beforeAll(async () => {
    sqs = await startLocalSqs();
    fauxqs = () => `http://127.0.0.1:${sqs.server.port}`;
    // In front of fauxqs itself (startLocalSqs's own endpoint is already such a proxy).
    proxy = await RealisticSqsProxy.start(fauxqs());
    client = clientFor(proxy.endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await proxy.stop();
    await sqs.stop();
  });

  it('listens on 127.0.0.1', () => {
    expect(proxy.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a \\u0001 in a String attribute value with InvalidMessageContents, as the SDK names it', async () => {
    const { queueUrl } = queue();
    const error = await failureOf(
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'fine',
          MessageAttributes: { Reason: { DataType: 'String', StringValue: 'bad \u0001 value' } },
        }),
      ),
    );
    expect(error.name).toBe('InvalidMessageContents');
    expect(error).toBeInstanceOf(InvalidMessageContents);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(proxy.refusals.at(-1)).toMatchObject({ operation: 'SendMessage', code: 'InvalidMessageContents' });
    expect(sqs.server.inspectQueue(`realistic-${counter}`)?.messages.ready).toHaveLength(0);
  });

  it('refuses a lone surrogate in the body with InvalidMessageContents', async () => {
    const { queueUrl } = queue();
    const error = await failureOf(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'half \ud83d' })),
    );
    expect(error.name).toBe('InvalidMessageContents');
  });

  it('names the error of a refusal fauxqs has no class for (InvalidParameterValue, MissingParameter)', async () => {
    const { queueUrl } = queue();
    const badName = await failureOf(
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'b',
          MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } },
        }),
      ),
    );
    expect(badName.name).toBe('InvalidParameterValue');
    const empty = await failureOf(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '' })),
    );
    expect(empty.name).toBe('MissingParameter');
    const visibility = await failureOf(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: 'r',
          VisibilityTimeout: 43_201,
        }),
      ),
    );
    expect(visibility.name).toBe('InvalidParameterValue');
  });

  it('counts attributes against the queue’s maximum: refuses body + attributes over it, passes the body alone', async () => {
    const { queueUrl } = queue({ MaximumMessageSize: '1024' });
    const body = 'a'.repeat(1_020);
    const attributes = { Reason: { DataType: 'String', StringValue: 'over' } };
    const error = await failureOf(
      client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
      ),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe(
      'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
    );
    const sent = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    expect(sent.MessageId).toBeDefined();
  });

  it('reads the maximum again after SetQueueAttributes changes it', async () => {
    const { queueUrl } = queue({ MaximumMessageSize: '1024' });
    const input = { QueueUrl: queueUrl, MessageBody: 'a'.repeat(1_500) };
    expect((await failureOf(client.send(new SendMessageCommand(input)))).name).toBe('InvalidParameterValue');
    await client.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { MaximumMessageSize: '2048' } }),
    );
    expect((await client.send(new SendMessageCommand(input))).MessageId).toBeDefined();
  });

  it('sends the good entries of a batch and reports the bad one in Failed', async () => {
    const { queueUrl } = queue();
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'first', MessageBody: 'one' },
          {
            Id: 'bad',
            MessageBody: 'two',
            MessageAttributes: { 'a..b': { DataType: 'String', StringValue: 'v' } },
          },
          {
            Id: 'third',
            MessageBody: 'three',
            MessageAttributes: { Kind: { DataType: 'Number', StringValue: '3' } },
          },
        ],
      }),
    );
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['first', 'third']);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages.map((message) => message.Body).sort()).toEqual(['one', 'three']);
  });

  it('refuses a whole batch over the queue’s maximum with BatchRequestTooLong', async () => {
    const { queueUrl } = queue({ MaximumMessageSize: '1024' });
    const entries = ['a', 'b'].map((id) => ({ Id: id, MessageBody: 'x'.repeat(600) }));
    const error = await failureOf(
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
    );
    expect(error.name).toBe('BatchRequestTooLong');
    expect(error).toBeInstanceOf(BatchRequestTooLong);
  });

  it('stamps SenderId with the access key id that signed the send', async () => {
    const { queueUrl } = queue();
    const alice = clientFor(proxy.endpoint, {
      credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 'a' },
    });
    const bob = clientFor(proxy.endpoint, { credentials: { accessKeyId: 'AKIDBOB', secretAccessKey: 'b' } });
    await alice.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from alice' }));
    await bob.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'b1', MessageBody: 'from bob' }] }),
    );
    // Sent around the proxy: it never saw the id, so fauxqs's answer stands.
    await clientFor(fauxqs()).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'unseen' }));
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['SenderId'],
      }),
    );
    const senders = Object.fromEntries(
      Messages.map((message) => [message.Body, message.Attributes?.SenderId]),
    );
    expect(senders).toEqual({ 'from alice': 'AKIDALICE', 'from bob': 'AKIDBOB', unseen: '000000000000' });
    alice.destroy();
    bob.destroy();
  });

  it('keeps the stamp when the redrive policy moves the message to the DLQ (fauxqs keeps its id)', async () => {
    const dlq = queue();
    const { queueUrl } = queue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: 1 }),
    });
    const sender = clientFor(proxy.endpoint, {
      credentials: { accessKeyId: 'AKIDPRODUCER', secretAccessKey: 'p' },
    });
    const { MessageId } = await sender.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'doomed' }),
    );
    const receive = (url: string) =>
      client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
    expect((await receive(queueUrl)).Messages?.[0]?.MessageId).toBe(MessageId);
    expect((await receive(queueUrl)).Messages).toBeUndefined(); // the second receive moved it
    const moved = (await receive(dlq.queueUrl)).Messages?.[0];
    expect(moved?.MessageId).toBe(MessageId);
    expect(moved?.Attributes?.SenderId).toBe('AKIDPRODUCER');
    sender.destroy();
  });

  it('keeps a long poll waiting until a message arrives', async () => {
    const { queueUrl } = queue();
    const started = Date.now();
    const polling = client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'worth the wait' }));
    const { Messages = [] } = await polling;
    expect(Messages.map((message) => message.Body)).toEqual(['worth the wait']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it('answers an empty long poll after its wait, through the proxy', async () => {
    const { queueUrl } = queue();
    const started = Date.now();
    const { Messages } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }),
    );
    expect(Messages).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });
});
