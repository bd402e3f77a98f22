// Over ~300 lines: starting, restarting (saving queued messages) and stopping the local stack belong to one
// lifecycle; the template model, provisioning, the poller and the environments are their own modules.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type MessageAttributeValue, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { WorkerEnv } from '../../src/contract/index.js';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
  type SimulatorSeed,
  type SimulatorSnapshot,
} from '../connect-simulator/ConnectSimulator.js';
import {
  type LocalEngine,
  type LocalSqs,
  startLocalDynamoDB,
  startLocalSqs,
} from '../local-engines/engines.js';
import { type DynamoDBFaults, FaultyDynamoDBProxy } from '../local-engines/FaultyDynamoDBProxy.js';
import { type BatchReport, EventSourcePoller } from './EventSourcePoller.js';
import { ExecutionEnvironment } from './ExecutionEnvironment.js';
import { type LocalResource, provisionStack, resolveEnvironment } from './provision.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from './sampleContactCenter.js';
import { readStackModel, type StackModel } from './stackModel.js';
import { synthesizeStack } from './synthesize.js';

/** How to run the stack locally. */
export interface LocalOrchestratorOptions {
  /**
   * CDK context for `cdk synth`, as `-c key=value` would give it.
   * @default { instanceIds: SAMPLE_INSTANCE_ID }
   */
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Keeps tables, queued messages and the simulator's state here across restarts.
   * @default - a temporary directory, removed on stop
   */
  readonly dataDirectory?: string;
  /** @default - free ports */
  readonly ports?: { readonly dynamodb?: number; readonly sqs?: number; readonly connect?: number };
  /** The Connect simulator's options. @default - the stack's rate quota, burst 5, new contact ids */
  readonly simulator?: ConnectSimulatorOptions;
  /** What the simulator starts with (unless restored). @default sampleContactCenter() */
  readonly seed?: SimulatorSeed;
  /** Variables added to the worker's environment after the stack's (for instance a log level). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Each line the worker logs. */
  readonly onLogLine?: (line: string) => void;
  /** Each invocation the event source made. */
  readonly onBatch?: (report: BatchReport) => void;
  /**
   * Puts a fault-injecting proxy between the worker and DynamoDB (for the chaos suite), which also counts
   * the worker's requests per operation.
   * @default - the worker talks to DynamoDB directly
   */
  readonly dynamodbFaults?: DynamoDBFaults;
}

const STACK_NAME = 'ConnectTransferOrchestrator';

/** The local engines the stack runs on, the simulator restored from the data directory or seeded. */
async function startEngines(
  options: LocalOrchestratorOptions,
  model: StackModel,
  region: string,
  dataDirectory: string | undefined,
): Promise<{ dynamodb: LocalEngine; sqs: LocalSqs; connect: ConnectSimulator }> {
  const ratePerSecond = Number(model.worker.environment[WorkerEnv.transferRatePerSecond] ?? 2);
  const [dynamodb, sqs, connect] = await Promise.all([
    startLocalDynamoDB({
      port: options.ports?.dynamodb,
      dataDirectory: dataDirectory && join(dataDirectory, 'dynamodb'),
    }),
    startLocalSqs({ port: options.ports?.sqs, region }),
    ConnectSimulator.start({ port: options.ports?.connect, region, ratePerSecond, ...options.simulator }),
  ]);
  const snapshotFile = dataDirectory && join(dataDirectory, 'simulator.json');
  if (snapshotFile && existsSync(snapshotFile)) {
    connect.restore(JSON.parse(readFileSync(snapshotFile, 'utf8')) as SimulatorSnapshot);
  } else {
    connect.seed(options.seed ?? sampleContactCenter());
  }

  return { dynamodb, sqs, connect };
}

/**
 * The synthesized stack running on local engines: dynalite, fauxqs and the Connect simulator on 127.0.0.1,
 * the tables and queues the template declares, the bundled worker asset in emulated Lambda execution
 * environments with the template's environment, and an emulated SQS event source mapping.
 *
 * @example
 * const local = await LocalOrchestrator.start({ dataDirectory: '.local-data' });
 * console.log(local.queueUrl);
 * await local.stop();
 */
export class LocalOrchestrator {
  private constructor(
    readonly model: StackModel,
    readonly resources: ReadonlyMap<string, LocalResource>,
    readonly dynamodb: LocalEngine,
    readonly sqs: LocalSqs,
    readonly connect: ConnectSimulator,
    readonly region: string,
    /** The proxy the worker reaches DynamoDB through, when faults were asked for. */
    readonly dynamodbProxy: FaultyDynamoDBProxy | undefined,
    private readonly poller: EventSourcePoller,
    private readonly environments: readonly ExecutionEnvironment[],
    private readonly dataDirectory: string | undefined,
    private readonly scratchDirectory: string | undefined,
  ) {}

  static async start(options: LocalOrchestratorOptions = {}): Promise<LocalOrchestrator> {
    const region = process.env.AWS_REGION ?? 'us-east-1';
    process.env.AWS_REGION = region;
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

    const dataDirectory = options.dataDirectory ? resolve(options.dataDirectory) : undefined;
    const scratchDirectory = dataDirectory ? undefined : mkdtempSync(join(tmpdir(), 'cto-local-'));
    const root = dataDirectory ?? (scratchDirectory as string);
    mkdirSync(root, { recursive: true });
    const context: Record<string, string> = { instanceIds: SAMPLE_INSTANCE_ID, ...options.context };
    const cloudAssembly = join(root, 'cdk.out');
    await synthesizeStack(cloudAssembly, context);
    const model = readStackModel(cloudAssembly, context.stackName ?? STACK_NAME);

    const { dynamodb, sqs, connect } = await startEngines(options, model, region, dataDirectory);

    const resources = await provisionStack(model, { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint });
    const client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    if (dataDirectory) await restoreMessages(client, join(dataDirectory, 'queues.json'), resources);

    const dynamodbProxy = options.dynamodbFaults
      ? await FaultyDynamoDBProxy.start(dynamodb.endpoint, options.dynamodbFaults)
      : undefined;
    const environment = {
      ...resolveEnvironment(model.worker.environment, resources),
      AWS_REGION: region,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbProxy?.endpoint ?? dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_CONNECT: connect.endpoint,
      ...options.environment,
    };
    const { worker } = model;
    const environments = Array.from(
      { length: worker.eventSource.maxConcurrency },
      () =>
        new ExecutionEnvironment({
          modulePath: join(worker.assetDirectory, worker.moduleFile),
          handlerName: worker.handlerName,
          functionName: 'transfer-worker',
          timeoutMs: worker.timeoutSeconds * 1000,
          environment,
          onLogLine: options.onLogLine,
        }),
    );
    const queue = resources.get(worker.eventSource.queueLogicalId) as LocalResource;
    const poller = new EventSourcePoller(
      client,
      { queueUrl: queue.ref, queueArn: queue.arn, region, ...worker.eventSource },
      environments,
      options.onBatch,
    );
    poller.start();
    return new LocalOrchestrator(
      model,
      resources,
      dynamodb,
      sqs,
      connect,
      region,
      dynamodbProxy,
      poller,
      environments,
      dataDirectory,
      scratchDirectory,
    );
  }

  /** The transfer queue's URL. */
  get queueUrl(): string {
    return (this.resources.get(this.model.worker.eventSource.queueLogicalId) as LocalResource).ref;
  }

  /** The dead-letter queue's URL. */
  get deadLetterQueueUrl(): string {
    const queue = this.model.queues.find((q) => q.logicalId === this.model.worker.eventSource.queueLogicalId);
    return (this.resources.get(queue?.redrive?.deadLetterLogicalId ?? '') as LocalResource).ref;
  }

  /** The ledger table's name (the table keyed on `pk`). */
  get ledgerTableName(): string {
    return this.model.tables.find((t) => t.keySchema[0]?.AttributeName === 'pk')?.logicalId ?? '';
  }

  /** The idempotency table's name (the table keyed on `id`). */
  get idempotencyTableName(): string {
    return this.model.tables.find((t) => t.keySchema[0]?.AttributeName === 'id')?.logicalId ?? '';
  }

  /** How many execution environments run the worker (the event source's `maxConcurrency`). */
  get environmentCount(): number {
    return this.environments.length;
  }

  /**
   * Kills one execution environment mid-flight, as a crash or a timeout would: its batch stays in the queue
   * and comes back after the visibility timeout; its next invocation is a cold start.
   *
   * @example
   * await local.killEnvironment(0);
   */
  async killEnvironment(index: number): Promise<void> {
    await this.environments[index % this.environments.length]?.kill();
  }

  /** Stops polling, ends the execution environments, keeps state if asked, and stops the engines. */
  async stop(): Promise<void> {
    await this.poller.stop();
    await Promise.all(this.environments.map((environment) => environment.kill()));
    if (this.dataDirectory) {
      writeFileSync(join(this.dataDirectory, 'simulator.json'), JSON.stringify(this.connect.snapshot()));
      saveMessages(this.sqs, join(this.dataDirectory, 'queues.json'), this.resources, this.model);
    }
    await Promise.all([
      this.dynamodb.stop(),
      this.sqs.stop(),
      this.connect.stop(),
      this.dynamodbProxy?.stop(),
    ]);
    if (this.scratchDirectory) rmSync(this.scratchDirectory, { recursive: true, force: true });
  }
}

/** A queued message as saved across a restart. */
interface SavedMessage {
  readonly body: string;
  readonly messageId: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  /** Seconds until it is visible again: delayed, or received and waiting out its visibility timeout. */
  readonly delaySeconds: number;
  /** `ready`, `delayed` or `in-flight` when saved. */
  readonly state: string;
}

/** SQS's longest message delay: a message hidden longer comes back sooner after a restart. */
const MAX_DELAY_SECONDS = 900;

/**
 * Saves every message of every queue (the local SQS keeps none across restarts): the visible ones, the
 * delayed ones (a producer's delay, a requeue's back-off) and the ones in flight (received and waiting out
 * their visibility timeout, such as a record a batch reported as failed), each with how long it still has
 * to wait. Read without receiving, so nothing is changed.
 */
function saveMessages(
  sqs: LocalSqs,
  file: string,
  resources: ReadonlyMap<string, LocalResource>,
  model: StackModel,
) {
  const now = Date.now();
  const waitOf = (until: number | undefined) =>
    Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(((until ?? now) - now) / 1000)));
  const saved: Record<string, SavedMessage[]> = {};
  for (const queue of model.queues) {
    const url = resources.get(queue.logicalId)?.ref ?? '';
    const inspected = sqs.server.inspectQueue(url.split('/').at(-1) ?? '');
    if (!inspected) continue;
    const { ready, delayed, inflight } = inspected.messages;
    const entry = (message: (typeof ready)[number], state: string, until?: number): SavedMessage => ({
      body: message.body,
      messageId: message.messageId,
      attributes: message.messageAttributes as Record<string, MessageAttributeValue>,
      delaySeconds: waitOf(until),
      state,
    });
    saved[queue.logicalId] = [
      ...ready.map((m) => entry(m, 'ready')),
      ...delayed.map((m) => entry(m, 'delayed', m.delayUntil)),
      ...inflight.map((m) => entry(m.message, 'in-flight', m.visibilityDeadline)),
    ];
  }
  writeFileSync(file, JSON.stringify(saved));
}

/**
 * Sends saved messages again, each with its attributes and what was left of its wait. A re-sent message
 * gets a new id (as a redrive gives one): no token depends on it.
 */
async function restoreMessages(
  client: SQSClient,
  file: string,
  resources: ReadonlyMap<string, LocalResource>,
) {
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SavedMessage[]>;
  for (const [logicalId, messages] of Object.entries(saved)) {
    const url = resources.get(logicalId)?.ref;
    if (!url) continue;
    for (let i = 0; i < messages.length; i += 10) {
      const { Failed = [] } = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(i, i + 10).map((m, n) => ({
            Id: String(n),
            MessageBody: m.body,
            MessageAttributes: m.attributes,
            DelaySeconds: m.delaySeconds ?? 0,
          })),
        }),
      );
      if (Failed.length > 0)
        throw new Error(`could not restore ${Failed.length} saved message(s) to ${logicalId}`);
    }
  }
  rmSync(file);
}
