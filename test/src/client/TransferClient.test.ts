import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  prepareTransferRequest,
  TransferClient,
  TransferRequestValidationError,
} from '../../../src/client/index.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';

const request = (i: number) => ({ InstanceId: 'i', ContactId: `c-${i}`, ContactFlowId: 'f', QueueId: 'q' });

describe('TransferClient on fauxqs', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  let queueUrl: string;
  beforeAll(async () => {
    sqs = await startLocalSqs();
    client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    ({ QueueUrl: queueUrl = '' } = await client.send(
      new CreateQueueCommand({ QueueName: 'client-requests' }),
    ));
  });
  afterAll(() => sqs.stop());

  const depth = async () => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages);
  };

  it('enqueues one request with a generated token and returns it', async () => {
    const transfers = new TransferClient({ queueUrl, sqs: client });
    const { clientToken, messageId } = await transfers.enqueue(request(0));
    expect(messageId).toBeTruthy();
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 300 }),
    );
    expect(JSON.parse(Messages[0]?.Body ?? '{}')).toEqual({ ...request(0), ClientToken: clientToken });
  });

  it('refuses an invalid request without sending it', async () => {
    const transfers = new TransferClient({ queueUrl, sqs: client });
    const before = await depth();
    await expect(transfers.enqueue({ ...request(1), UserId: 'u' })).rejects.toThrow(
      TransferRequestValidationError,
    );
    expect(await depth()).toBe(before);
  });

  it('enqueues many in batches of 10, reporting invalid requests at their index', async () => {
    const transfers = new TransferClient({ queueUrl, sqs: client });
    const before = await depth();
    const inputs = Array.from({ length: 25 }, (_, i) =>
      i === 3 || i === 17 ? { ...request(i), QueueID: 'typo' } : request(i),
    );
    const results = await transfers.enqueueMany(inputs);
    expect(results).toHaveLength(25);
    expect(results.filter((r) => !r.ok).map((r) => r.index)).toEqual([3, 17]);
    expect(results[3]).toMatchObject({
      ok: false,
      code: 'InvalidRequest',
      message: expect.stringContaining('QueueID'),
    });
    expect(new Set(results.filter((r) => r.ok).map((r) => r.clientToken)).size).toBe(23);
    expect((await depth()) - before).toBe(23);
  });
});

describe('TransferClient.publish', () => {
  it('publishes in batches of 10 and retries the entries EventBridge failed on its side', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    let call = 0;
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => {
      call += 1;
      // The first call fails its second entry transiently; everything else succeeds.
      return {
        Entries: input.Entries.map((_, n) =>
          call === 1 && n === 1
            ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
            : { EventId: `e-${call}-${n}` },
        ),
      };
    });
    try {
      const transfers = new TransferClient({
        eventBusName: 'bus',
        eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      });
      const results = await transfers.publish(Array.from({ length: 12 }, (_, i) => request(i)));
      expect(results.every((r) => r.ok)).toBe(true);
      const batches = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
      expect(batches).toEqual([10, 2, 1]);
      expect(results[1]).toMatchObject({ ok: true, id: 'e-3-0' });
    } finally {
      eventBridge.restore();
    }
  });
});

describe('prepareTransferRequest', () => {
  it('keeps a given token and reduces an instance ARN', () => {
    expect(
      prepareTransferRequest({
        ...request(0),
        InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/i-1',
        ClientToken: 't',
      }),
    ).toEqual({ ...request(0), InstanceId: 'i-1', ClientToken: 't' });
  });
});
