import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectSimulator } from '../../tools/connect-simulator/ConnectSimulator.js';
import {
  type LocalEngine,
  type LocalSqs,
  startLocalDynamoDB,
  startLocalSqs,
} from '../../tools/local-engines/engines.js';
import { LocalEventBridge } from '../../tools/local-eventbridge/LocalEventBridge.js';
import { toLambdaRecord } from '../../tools/local-runner/lambdaRecords.js';
import {
  type LocalResource,
  provisionStack,
  resolveEnvironment,
} from '../../tools/local-runner/provision.js';
import { readStackModel, type StackModel } from '../../tools/local-runner/stackModel.js';
import { synthesizeStack } from '../../tools/local-runner/synthesize.js';
import { lambdaContext, queueTransfer } from '../support/factories.js';
import { SAMPLE_SEED } from '../support/harness.js';

// The worker as deployed: `cdk synth` builds the asset, the template gives its environment and its queues,
// and the bundled index.mjs runs with nothing else.
describe('the bundled worker asset, configured only by the stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'cto-synth-'));
  let model: StackModel;
  let dynamodb: LocalEngine;
  let sqs: LocalSqs;
  let connect: ConnectSimulator;
  let resources: Map<string, LocalResource>;
  let handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>;
  let client: SQSClient;
  let eventBridge: LocalEventBridge;
  const outcomeEvents: string[] = [];

  beforeAll(async () => {
    await synthesizeStack(outdir, {
      instanceIds: 'instance-1,instance-denied',
      transferCap: '3',
      maxReceiveCount: '2',
      transferRatePerSecond: '50',
    });
    model = readStackModel(outdir, 'ConnectTransferOrchestrator');
    [dynamodb, sqs, connect] = await Promise.all([
      startLocalDynamoDB(),
      startLocalSqs(),
      ConnectSimulator.start({ ratePerSecond: 1_000, burst: 1_000, contactIdMode: 'keep' }),
    ]);
    connect.seed(SAMPLE_SEED);
    resources = await provisionStack(model, { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint });
    // The stack's outcome events go to its bus, served here by the local EventBridge.
    eventBridge = await LocalEventBridge.start({ sqsEndpoint: sqs.endpoint });
    eventBridge.configure({ buses: model.buses.map((bus) => bus.name), rules: [] });
    eventBridge.onEvent((_, event) => outcomeEvents.push(event['detail-type']));
    Object.assign(process.env, resolveEnvironment(model.worker.environment, resources), {
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_CONNECT: connect.endpoint,
      // Only the log level differs from the stack's environment: INFO lines would bury the test report.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const module = await import(
      pathToFileURL(join(model.worker.assetDirectory, model.worker.moduleFile)).href
    );
    handler = module[model.worker.handlerName];
    client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([dynamodb?.stop(), sqs?.stop(), connect?.stop(), eventBridge?.stop()]);
    rmSync(outdir, { recursive: true, force: true });
  });

  const queue = () => resources.get(model.worker.eventSource.queueLogicalId) as LocalResource;
  const deadLetterQueue = () => {
    const { redrive } =
      model.queues.find((q) => q.logicalId === model.worker.eventSource.queueLogicalId) ?? {};
    return resources.get(redrive?.deadLetterLogicalId ?? '') as LocalResource;
  };

  /** Sends bodies to the transfer queue, receives them as the event source would, and invokes the asset. */
  const deliver = async (...bodies: unknown[]) => {
    for (const body of bodies) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queue().ref,
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );
    }
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queue().ref,
        MaxNumberOfMessages: 10,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const records = Messages.map((m) => toLambdaRecord(m, queue().arn, 'us-east-1'));
    return handler({ Records: records }, lambdaContext(model.worker.timeoutSeconds * 1000));
  };

  const dlq = async () => {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueue().ref,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 300,
      }),
    );
    return Messages.map((m) => ({
      body: m.Body,
      code: m.MessageAttributes?.ErrorCode?.StringValue,
      errorClass: m.MessageAttributes?.ErrorClass?.StringValue,
    }));
  };

  it('reads the stack: the queue redrives after maxReceiveCount, the visibility timeout is 6x the timeout', () => {
    const transferQueue = model.queues.find((q) => q.logicalId === model.worker.eventSource.queueLogicalId);
    expect(transferQueue?.redrive?.maxReceiveCount).toBe(2);
    expect(transferQueue?.visibilityTimeoutSeconds).toBe(6 * model.worker.timeoutSeconds);
    expect(model.worker.eventSource).toMatchObject({
      batchSize: 10,
      maxConcurrency: 2,
      reportBatchItemFailures: true,
    });
    expect(model.tables.map((t) => t.keySchema[0]?.AttributeName).sort()).toEqual(['id', 'pk']);
  });

  it('transfers, replays a duplicate, and stops the chain at the stack’s cap of 3', async () => {
    const requests = [1, 2, 3, 4].map((i) =>
      queueTransfer({ ContactId: 'task-2', ClientToken: `bundle-${i}` }),
    );
    const first = await deliver(requests[0], requests[0], requests[1]);
    // The two copies of one token ran concurrently: one was in flight when the other arrived.
    expect(first.batchItemFailures.length).toBeLessThanOrEqual(1);
    await deliver(requests[2], requests[3]);
    expect(connect.transfersPerChain().get('instance-1/task-2')).toBe(3);
    const dead = await dlq();
    expect(dead.map((d) => d.code)).toEqual(['TransferCapReached']);
  });

  it('dead-letters an invalid message and an instance the stack was not given', async () => {
    const response = await deliver('{"InstanceId": 1}', queueTransfer({ InstanceId: 'instance-other' }));
    expect(response.batchItemFailures).toEqual([]);
    const dead = await dlq();
    expect(dead.map((d) => d.code).sort()).toEqual(['InstanceNotAllowed', 'InvalidRequest']);
    expect(dead.map((d) => d.body)).toContain('{"InstanceId": 1}');
  });

  it('dead-letters a Connect rejection with its code, and puts its outcome event on the stack’s bus', async () => {
    outcomeEvents.length = 0;
    await deliver(queueTransfer({ ContactId: 'voice-1' }));
    expect(await dlq()).toEqual([
      expect.objectContaining({ errorClass: 'PermanentConnectError', code: 'InvalidRequestException' }),
    ]);
    expect(outcomeEvents).toEqual(['Transfer Contact Failed']);
  });

  it('keeps its promises in the harsh world: a lost answer, a state-first Connect, new ids, a redrive', async () => {
    // A second instance of the asset (a cold start), its Connect client bound to a harsh simulator.
    const harsh = await ConnectSimulator.start({
      ratePerSecond: 1_000,
      burst: 1_000,
      contactIdMode: 'new',
      checkOrder: 'state-first',
      tokenWindowMs: 60_000,
    });
    try {
      harsh.seed(SAMPLE_SEED);
      process.env.AWS_ENDPOINT_URL_CONNECT = harsh.endpoint;
      const asset = pathToFileURL(join(model.worker.assetDirectory, model.worker.moduleFile)).href;
      const harshHandler = (await import(`${asset}?harsh`))[model.worker.handlerName] as typeof handler;
      const invoke = (body: unknown, receiveCount = 1) =>
        harshHandler(
          {
            Records: [
              {
                ...toLambdaRecord(
                  { MessageId: crypto.randomUUID(), Body: JSON.stringify(body), ReceiptHandle: 'r' },
                  queue().arn,
                  'us-east-1',
                ),
                attributes: {
                  ApproximateReceiveCount: String(receiveCount),
                  SentTimestamp: String(Date.now()),
                  SenderId: 'local',
                  ApproximateFirstReceiveTimestamp: String(Date.now()),
                },
              },
            ],
          },
          lambdaContext(model.worker.timeoutSeconds * 1000),
        );

      // The first transfer of task-3 happens, but its answer is lost (no token: derived from its content);
      // the SDK's retry is refused "not active" (the transfer ended task-3); Connect's record settles it.
      harsh.injectFaults({ script: [{ kind: 'commit-then-error' }] });
      const request = queueTransfer({ ContactId: 'task-3' });
      expect((await invoke(request)).batchItemFailures).toEqual([]);
      expect(harsh.calls.filter((c) => c.operation === 'TransferContact').map((c) => c.status)).toEqual([
        500, 400,
      ]);
      // Delivered again: replayed.
      expect((await invoke(request, 2)).batchItemFailures).toEqual([]);
      const successor = harsh.snapshot().contacts.find((c) => c.previousContactId === 'task-3')?.id ?? '';
      // Redriven later under a new message id: answered, not transferred again.
      expect((await invoke(request)).batchItemFailures).toEqual([]);
      // The new contact counts against the same chain: two more reach the stack's cap of 3.
      await invoke(queueTransfer({ ContactId: successor, ClientToken: 'harsh-2' }));
      const third = harsh.snapshot().contacts.find((c) => c.previousContactId === successor)?.id ?? '';
      await invoke(queueTransfer({ ContactId: third, ClientToken: 'harsh-3' }));
      const fourth = harsh.snapshot().contacts.find((c) => c.previousContactId === third)?.id ?? '';
      await invoke(queueTransfer({ ContactId: fourth, ClientToken: 'harsh-4' }));
      expect(harsh.transfersPerChain().get('instance-1/task-3')).toBe(3);
      expect(harsh.calls.filter((c) => c.transferred && c.input.ContactId === 'task-3')).toHaveLength(1);
      expect((await dlq()).map((d) => d.code)).toEqual(['TransferCapReached']);
    } finally {
      process.env.AWS_ENDPOINT_URL_CONNECT = connect.endpoint;
      await harsh.stop();
    }
  });
});
