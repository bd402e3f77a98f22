// Over ~300 lines: starting, restarting (saving queued messages) and stopping the local stack belong to one
// lifecycle; the template model, provisioning, the poller and the environments are their own modules.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TRANSFER_REQUESTED_DETAIL_TYPE, WorkerEnv } from '../../src/contract/index.js';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
  type SimulatorSeed,
  type SimulatorSnapshot,
} from '../connect-simulator/ConnectSimulator.js';
import type { SeamService } from '../local-engines/callSites.js';
import {
  type LocalEngine,
  type LocalSqs,
  startLocalDynamoDB,
  startLocalSqs,
} from '../local-engines/engines.js';
import { LocalEventBridge, type LocalEventBridgeOptions } from '../local-eventbridge/LocalEventBridge.js';
import { type BatchReport, EventSourcePoller } from './EventSourcePoller.js';
import { ExecutionEnvironment } from './ExecutionEnvironment.js';
import { configureEventBridge } from './eventBridgeWiring.js';
import { type LocalResource, provisionStack, resolveEnvironment } from './provision.js';
import { ScheduleRunner, type ScheduleRunnerOptions } from './ScheduleRunner.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from './sampleContactCenter.js';
import { restoreMessages, saveMessages } from './savedMessages.js';
import { type SeamFaultOptions, type SeamProxies, startSeamProxies } from './seamProxies.js';
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
  readonly ports?: {
    readonly dynamodb?: number;
    readonly sqs?: number;
    readonly connect?: number;
    readonly eventbridge?: number;
  };
  /**
   * A CDK app file to synthesize instead of the project's `bin/app.ts`, for instance one that adds a
   * transfer rule (`examples/escalate-queued-tasks.ts`).
   * @default 'bin/app.ts'
   */
  readonly app?: string;
  /** The local EventBridge's harsh switches (duplicate deliveries, compressed retries). @default - kind */
  readonly eventBridge?: Omit<LocalEventBridgeOptions, 'sqsEndpoint' | 'port' | 'region'>;
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
   * Puts a fault layer (`FaultProxy`, one per service) between the worker and each engine it calls (DynamoDB, SQS,
   * EventBridge, Connect), which counts the worker's calls per call site and injects the random faults asked
   * for per service (demo and chaos). Only the worker goes through it: the event source's poller,
   * provisioning and the checks talk to the engines directly.
   * @default - the worker talks to the engines directly
   */
  readonly seamFaults?: SeamFaultOptions;
  /**
   * The stack's scheduled rules (a transfer rule's sweep): on the template's rate by default, or another
   * interval, or only when `schedules.runNow()` is called (`intervalMs: false`). Scheduled functions reach
   * the engines directly, not through the seam fault layer.
   * @default - each at its template's rate
   */
  readonly schedules?: ScheduleRunnerOptions;
}

const STACK_NAME = 'ConnectTransferOrchestrator';

/** The local engines the stack runs on, the simulator restored from the data directory or seeded. */
async function startEngines(
  options: LocalOrchestratorOptions,
  model: StackModel,
  region: string,
  dataDirectory: string | undefined,
): Promise<Engines> {
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

  const eventBridge = await LocalEventBridge.start({
    ...options.eventBridge,
    port: options.ports?.eventbridge,
    region,
    sqsEndpoint: sqs.endpoint,
  });
  // Connect puts its contact events on the account's default bus.
  connect.onContactEvent((entries) => eventBridge.putEvents(entries, { asService: true }));
  return { dynamodb, sqs, connect, eventBridge };
}

/** The local engines. */
interface Engines {
  readonly dynamodb: LocalEngine;
  readonly sqs: LocalSqs;
  readonly connect: ConnectSimulator;
  readonly eventBridge: LocalEventBridge;
}

/** The parts of a running local stack. */
interface LocalParts extends Engines {
  readonly model: StackModel;
  readonly resources: ReadonlyMap<string, LocalResource>;
  readonly region: string;
  readonly seamProxies: SeamProxies | undefined;
  readonly poller: EventSourcePoller;
  readonly environments: readonly ExecutionEnvironment[];
  readonly schedules: ScheduleRunner;
  readonly dataDirectory: string | undefined;
  readonly scratchDirectory: string | undefined;
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
  private constructor(private readonly parts: LocalParts) {}

  /** The stack as the template declares it. */
  get model(): StackModel {
    return this.parts.model;
  }
  /** Each resource of the stack on the local engines, by logical id. */
  get resources(): ReadonlyMap<string, LocalResource> {
    return this.parts.resources;
  }
  /** The local DynamoDB. */
  get dynamodb(): LocalEngine {
    return this.parts.dynamodb;
  }
  /** The local SQS. */
  get sqs(): LocalSqs {
    return this.parts.sqs;
  }
  /** The Connect simulator. */
  get connect(): ConnectSimulator {
    return this.parts.connect;
  }
  /** The local EventBridge (the stack's buses and rules, and the default bus). */
  get eventBridge(): LocalEventBridge {
    return this.parts.eventBridge;
  }
  /** The Region the engines answer for. */
  get region(): string {
    return this.parts.region;
  }
  /** The stack's scheduled rules, running on the engines (`runNow()` fires them at once). */
  get schedules(): ScheduleRunner {
    return this.parts.schedules;
  }
  /** The fault layer the worker reaches each engine through, when seam faults were asked for. */
  get seamProxies(): SeamProxies | undefined {
    return this.parts.seamProxies;
  }

  /**
   * Resolves once every call the fault layer hung has been applied (at once without one): until then a
   * hung send may still land in a queue, or a hung transfer in Connect.
   *
   * @example
   * await local.seamsSettled();
   */
  async seamsSettled(): Promise<void> {
    const proxies = this.parts.seamProxies;
    if (proxies) await Promise.all(Object.values(proxies).map((proxy) => proxy.settled()));
  }

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
    await synthesizeStack(cloudAssembly, context, options.app);
    const model = readStackModel(cloudAssembly, context.stackName ?? STACK_NAME);

    const engines = await startEngines(options, model, region, dataDirectory);
    const { dynamodb, sqs, eventBridge } = engines;

    const resources = await provisionStack(model, { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint });
    configureEventBridge(eventBridge, model, resources, region);
    const client = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    if (dataDirectory) await restoreMessages(client, join(dataDirectory, 'queues.json'), resources);

    const seamProxies = options.seamFaults
      ? await startSeamProxies(engineEndpoints(engines), options.seamFaults)
      : undefined;
    const environment = {
      ...resolveEnvironment(model.worker.environment, resources),
      AWS_REGION: region,
      ...workerEndpoints(engines, seamProxies),
      ...workerCredentials(model, resources),
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
    const schedules = startSchedules(model, resources, region, engines, options.schedules);
    return new LocalOrchestrator({
      ...engines,
      model,
      resources,
      region,
      seamProxies,
      poller,
      environments,
      schedules,
      dataDirectory,
      scratchDirectory,
    });
  }

  /** The name of the orchestrator's bus: the one its `Transfer Contact Requested` rule listens on. */
  get eventBusName(): string {
    const rule =
      this.eventBridge &&
      this.model.rules.find((r) => JSON.stringify(r.eventPattern).includes(TRANSFER_REQUESTED_DETAIL_TYPE));
    if (!rule) return 'default';
    if ('name' in rule.bus) return rule.bus.name;
    return this.resources.get(rule.bus.logicalId)?.ref ?? 'default';
  }

  /** Where EventBridge puts the events it could not deliver to the transfer queue. */
  get eventDeadLetterQueueUrl(): string {
    const id = this.model.rules
      .flatMap((r) => r.targets)
      .find((t) => t.deadLetterLogicalId)?.deadLetterLogicalId;
    return this.resources.get(id ?? '')?.ref ?? '';
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

  /**
   * Everything a client needs to reach the local mode (what `npm start` writes to `local.env`): the SDKs'
   * region, credentials and endpoint variables, and the stack's names.
   */
  clientEnvironment(): Record<string, string> {
    return {
      AWS_REGION: this.region,
      // boto3 and the AWS CLI v1 read only AWS_DEFAULT_REGION.
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: this.sqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamodb.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: this.eventBridge.endpoint,
      AWS_ENDPOINT_URL_CONNECT: this.connect.endpoint,
      TRANSFER_QUEUE_URL: this.queueUrl,
      TRANSFER_DLQ_URL: this.deadLetterQueueUrl,
      TRANSFER_EVENT_BUS_NAME: this.eventBusName,
      TRANSFER_IDEMPOTENCY_TABLE: this.idempotencyTableName,
      TRANSFER_LEDGER_TABLE: this.ledgerTableName,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  /** How many execution environments run the worker (the event source's `maxConcurrency`). */
  get environmentCount(): number {
    return this.parts.environments.length;
  }

  /**
   * Kills one execution environment mid-flight, as a crash or a timeout would: its batch stays in the queue
   * and comes back after the visibility timeout; its next invocation is a cold start.
   *
   * @example
   * await local.killEnvironment(0);
   */
  async killEnvironment(index: number): Promise<void> {
    await this.parts.environments[index % this.parts.environments.length]?.kill();
  }

  /** Stops polling, ends the execution environments, keeps state if asked, and stops the engines. */
  async stop(): Promise<void> {
    const { poller, environments, dataDirectory, scratchDirectory } = this.parts;
    await this.parts.schedules.stop();
    await poller.stop();
    await Promise.all(environments.map((environment) => environment.kill()));
    // Hung calls land before the engines stop (and before the queues are saved).
    await this.seamsSettled();
    // Deliveries in flight land in their queues before the queues are saved.
    await this.eventBridge.idle();
    if (dataDirectory) {
      writeFileSync(join(dataDirectory, 'simulator.json'), JSON.stringify(this.connect.snapshot()));
      saveMessages(this.sqs, join(dataDirectory, 'queues.json'), this.resources, this.model);
    }
    await Promise.all([
      this.dynamodb.stop(),
      this.sqs.stop(),
      this.connect.stop(),
      this.eventBridge.stop(),
      ...Object.values(this.seamProxies ?? {}).map((proxy) => proxy.stop()),
    ]);
    if (scratchDirectory) rmSync(scratchDirectory, { recursive: true, force: true });
  }
}

/** The stack's scheduled functions, with their template's environment and the engines' endpoints. */
function startSchedules(
  model: StackModel,
  resources: ReadonlyMap<string, LocalResource>,
  region: string,
  engines: Engines,
  options: ScheduleRunnerOptions | undefined,
): ScheduleRunner {
  const direct = workerEndpoints(engines, undefined);
  const schedules = new ScheduleRunner(
    model.schedules,
    (variables) => ({ ...resolveEnvironment(variables, resources), AWS_REGION: region, ...direct }),
    options,
  );
  schedules.start();
  return schedules;
}

/** Where each engine listens, by service. */
function engineEndpoints(engines: Engines): Record<SeamService, string> {
  return {
    dynamodb: engines.dynamodb.endpoint,
    sqs: engines.sqs.endpoint,
    eventbridge: engines.eventBridge.endpoint,
    connect: engines.connect.endpoint,
  };
}

/** The worker's `AWS_ENDPOINT_URL_<SERVICE>`: the fault layer's, when there is one, else the engines'. */
function workerEndpoints(engines: Engines, proxies: SeamProxies | undefined): Record<string, string> {
  const endpoints = engineEndpoints(engines);
  const of = (service: SeamService) => proxies?.[service].endpoint ?? endpoints[service];
  return {
    AWS_ENDPOINT_URL_DYNAMODB: of('dynamodb'),
    AWS_ENDPOINT_URL_SQS: of('sqs'),
    AWS_ENDPOINT_URL_CONNECT: of('connect'),
    AWS_ENDPOINT_URL_EVENTBRIDGE: of('eventbridge'),
  };
}

/** The worker signs with its role's id, which the local SQS stamps as the `SenderId` of its copies. */
function workerCredentials(
  model: StackModel,
  resources: ReadonlyMap<string, LocalResource>,
): Record<string, string> {
  const roleId = model.worker.environment[WorkerEnv.workerRoleId];
  if (roleId === undefined) return {};
  const { id } = resolveEnvironment({ id: roleId }, resources);
  return { AWS_ACCESS_KEY_ID: id ?? '', AWS_SECRET_ACCESS_KEY: 'local-worker' };
}
