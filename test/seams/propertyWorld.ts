import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type {
  ConnectSimulatorOptions,
  Contact,
  SimulatorCall,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import type { FaultPlan } from '../../tools/connect-simulator/faults.js';
import type { SeamService } from '../../tools/local-engines/callSites.js';
import type { FaultProxy, RandomFaults } from '../../tools/local-engines/FaultProxy.js';
import type { BusEvent } from '../../tools/local-eventbridge/LocalEventBridge.js';
import { toLambdaRecord } from '../../tools/local-runner/lambdaRecords.js';
import { type SeamProxies, SeamWorld } from '../support/seamWorld.js';
import type { GateCall, GateKeeper } from './serviceGate.js';
import { ServiceGate } from './serviceGate.js';
import type { WorkerPool, WorkerProcess } from './workerProcess.js';

const REGION = 'us-east-1';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:seam-requests`;
const SERVICES: readonly SeamService[] = ['dynamodb', 'sqs', 'eventbridge', 'connect'];
/** A producer's credentials (never the worker's: what it sends is not the worker's own copy). */
const PRODUCER = { accessKeyId: 'AIDAPROPERTYPRODUCER', secretAccessKey: 'producer' };
/** The invocation's time (Lambda's timeout): the worker stops starting transfers 1 s before it. */
export const INVOCATION_MS = 4_000;
/** Past its timeout Lambda ends the invocation; the local driver kills the process this much later. */
const TIMEOUT_SLACK_MS = 300;
/** Worker slots a world has; a run uses two or all of them. */
export const MAX_WORKERS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A world's settings: the queue's redrive, the worker's cap and the rest of its environment. */
export interface PropertyProfile {
  readonly name: string;
  readonly maxReceiveCount: number;
  readonly cap: number;
  readonly env?: Record<string, string>;
  /** The Connect simulator's harsh switches (on top of `contactIdMode: 'new'`). */
  readonly simulator?: ConnectSimulatorOptions;
}

/** Why an invocation ended without an answer. */
export interface CrashRecord {
  readonly slot: number;
  /** `crash at call N (site, landed|not sent)`, or `timeout`. */
  readonly reason: string;
  /** The batch's messages: their ids, the producer's message each stands for, and their receive counts. */
  readonly messages: readonly {
    readonly id: string;
    readonly original: string;
    readonly receiveCount: number;
  }[];
}

/** What the driver saw during a run. */
export interface DriverLog {
  readonly crashes: CrashRecord[];
  /** Messages the event source deleted (their invocation succeeded for them). */
  readonly deleted: Set<string>;
  /** Every message id received, with the producer's message it stands for (itself, or a copy's original). */
  readonly originals: Map<string, string>;
  /** Highest receive count seen per producer's message. */
  readonly receiveCounts: Map<string, number>;
  invocations: number;
  unfinished: boolean;
}

/** The faults of one run. */
export interface RunFaults {
  /** Random faults of every call of the worker, each service's proxy seeded apart. */
  readonly proxies?: RandomFaults;
  /** The Connect simulator's own `TransferContact` faults. */
  readonly connect?: FaultPlan;
  /** Crash points: the slot's worker dies at its `atCall`-th remote call of the run, the call sent or not. */
  readonly crashes?: readonly { readonly slot: number; readonly atCall: number; readonly land: boolean }[];
}

/** A DLQ message with its id. */
export interface Letter {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly senderId: string | undefined;
}

/** The engines' state once a run has ended. */
export interface EngineState {
  /** The simulator's calls during the run. */
  readonly calls: readonly SimulatorCall[];
  /** Every contact the simulator holds (the run's trees are found by root). */
  readonly contacts: readonly Contact[];
  readonly transfersPerChain: ReadonlyMap<string, number>;
  /** The ledger's items, by key. */
  readonly ledger: ReadonlyMap<string, Record<string, unknown>>;
  readonly letters: readonly Letter[];
  /** Outcome events published during the run. */
  readonly events: readonly BusEvent[];
  /** Sends of the worker's that the realistic SQS refused during the run. */
  readonly refusedBySqs: number;
}

/** One worker: its gates (one per service), its process, and the run's crash plan. */
class WorkerSlot implements GateKeeper {
  gates = {} as Record<SeamService, ServiceGate>;
  process: WorkerProcess | undefined;
  log: GateCall[] = [];
  #calls = 0;
  #plan = new Map<number, boolean>();
  #reason: string | undefined;

  constructor(readonly slot: number) {}

  /** A new run: its call count restarts and its crash points are these. */
  reset(log: GateCall[], plan: Iterable<[number, boolean]>): void {
    this.log = log;
    this.#calls = 0;
    this.#plan = new Map(plan);
  }

  admit(): { seq: number; crash?: { land: boolean } } {
    const seq = ++this.#calls;
    const land = this.#plan.get(seq);
    return land === undefined ? { seq } : { seq, crash: { land } };
  }

  async crash(seq: number): Promise<void> {
    const call = this.log.find((entry) => entry.slot === this.slot && entry.seq === seq);
    this.#reason = `crash at call ${seq} (${call?.service}:${call?.site}, ${call?.outcome.replace('crash: ', '')})`;
    await this.process?.kill();
  }

  async timeOut(): Promise<void> {
    this.#reason ??= 'timeout';
    await this.process?.kill();
  }

  /** Why the last invocation died (and forgets it). */
  takeReason(): string {
    const reason = this.#reason ?? 'died';
    this.#reason = undefined;
    return reason;
  }
}

/**
 * A {@link SeamWorld} run by several workers at once, each the real handler in a process of its own behind
 * gates that log its calls and can kill it at any of them; a driver stands in for Lambda's event source (a
 * poller per worker, partial batch responses, a crashed or timed-out invocation's batch back after its
 * deadline) and reads the engines' state after each run.
 */
export class PropertyWorld {
  readonly slots: WorkerSlot[] = [];
  readonly #admin: SQSClient;
  readonly #producer: SQSClient;
  readonly #dynamodb: DynamoDBDocumentClient;
  #busy = 0;
  #revisits = new Set<Promise<void>>();
  #driver: DriverLog = emptyDriverLog();
  #callsBefore = 0;
  #eventsBefore = 0;
  #refusalsBefore = 0;

  private constructor(
    readonly profile: PropertyProfile,
    readonly seam: SeamWorld,
    private readonly pool: WorkerPool,
  ) {
    this.#admin = new SQSClient({
      endpoint: seam.sqs.endpoint,
      useQueueUrlAsEndpoint: false,
      region: REGION,
    });
    this.#producer = new SQSClient({
      endpoint: seam.realisticSqs.endpoint,
      useQueueUrlAsEndpoint: false,
      region: REGION,
      credentials: PRODUCER,
    });
    this.#dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: seam.dynamodb.endpoint }));
  }

  static async start(profile: PropertyProfile, pool: WorkerPool): Promise<PropertyWorld> {
    const seam = await SeamWorld.start({
      maxReceiveCount: profile.maxReceiveCount,
      ...(profile.simulator && { simulator: profile.simulator }),
      env: { ...profile.env, TRANSFER_CAP: String(profile.cap), MAX_CONCURRENCY: String(MAX_WORKERS) },
    });
    const world = new PropertyWorld(profile, seam, pool);
    for (let slot = 0; slot < MAX_WORKERS; slot += 1) {
      const worker = new WorkerSlot(slot);
      for (const service of SERVICES)
        worker.gates[service] = await ServiceGate.start(service, seam.proxies[service].endpoint, worker);
      world.slots.push(worker);
    }
    await Promise.all(world.slots.map((slot) => world.#restart(slot)));
    return world;
  }

  /** Starts a run: its faults are armed, the logs emptied. */
  beginRun(faults: RunFaults, log: GateCall[]): void {
    this.#driver = emptyDriverLog();
    this.#callsBefore = this.seam.connect.calls.length;
    this.#eventsBefore = this.seam.events.length;
    this.#refusalsBefore = this.seam.realisticSqs.refusals.length;
    for (const slot of this.slots) {
      const points = (faults.crashes ?? []).filter((crash) => crash.slot === slot.slot);
      slot.reset(
        log,
        points.map((crash) => [crash.atCall, crash.land]),
      );
    }
    for (const [index, service] of SERVICES.entries()) {
      const plan = faults.proxies;
      this.#proxy(service).randomFaults(plan && { ...plan, seed: (plan.seed ?? 1) + index * 7_919 });
    }
    this.seam.connect.injectFaults(faults.connect ?? {});
  }

  /** Sends a body as a producer does; returns its message id. */
  async send(body: string): Promise<string> {
    const { MessageId } = await this.#producer.send(
      new SendMessageCommand({ QueueUrl: this.seam.queueUrl, MessageBody: body }),
    );
    return MessageId ?? '';
  }

  /**
   * Runs `workers` workers on the queue until it is empty and nothing is in flight (or `timeoutMs` passes:
   * the run is then unfinished).
   */
  async drain(workers: number, batchSize: number, timeoutMs = 60_000): Promise<void> {
    const wave = { done: false };
    const pollers = this.slots.slice(0, workers).map((slot) => this.#poll(slot, batchSize, wave));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await sleep(100);
      if (this.#busy === 0 && this.#revisits.size === 0 && (await this.#queueEmpty())) break;
      if (Date.now() > deadline) {
        this.#driver.unfinished = true;
        break;
      }
    }
    wave.done = true;
    await Promise.all(pollers);
  }

  /**
   * Ends a run: faults off, every late call landed, the queue emptied if the run did not finish; then the
   * engines' state and the driver's log.
   */
  async endRun(): Promise<{ state: EngineState; driver: DriverLog }> {
    for (const service of SERVICES) this.#proxy(service).randomFaults(undefined);
    this.seam.connect.injectFaults({});
    await Promise.all([...this.#revisits]);
    if (this.#driver.unfinished) await this.#purge();
    await this.#settled();
    const state: EngineState = {
      calls: this.seam.connect.calls.slice(this.#callsBefore),
      contacts: this.seam.connect.snapshot().contacts,
      transfersPerChain: this.seam.connect.transfersPerChain(),
      ledger: await this.#scanLedger(),
      letters: await this.#drainDlq(),
      events: this.seam.events.slice(this.#eventsBefore),
      refusedBySqs: this.seam.realisticSqs.refusals.length - this.#refusalsBefore,
    };
    for (const slot of this.slots) slot.reset([], []);
    return { state, driver: this.#driver };
  }

  async stop(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.process?.kill()));
    await Promise.all(this.slots.flatMap((slot) => Object.values(slot.gates).map((gate) => gate.stop())));
    await this.seam.stop();
  }

  #proxy(service: SeamService): FaultProxy {
    return this.seam.proxies[service as keyof SeamProxies];
  }

  /** A fresh execution environment for the slot (after a crash: Lambda's next cold start). */
  async #restart(slot: WorkerSlot): Promise<void> {
    const endpoints = Object.fromEntries(SERVICES.map((service) => [service, slot.gates[service].endpoint]));
    slot.process = await this.pool.take(this.seam.workerEnv(endpoints));
  }

  async #poll(slot: WorkerSlot, batchSize: number, wave: { done: boolean }): Promise<void> {
    while (!wave.done) {
      if (!slot.process?.alive) await this.#restart(slot);
      const { Messages = [] } = await this.#producer.send(
        new ReceiveMessageCommand({
          QueueUrl: this.seam.queueUrl,
          MaxNumberOfMessages: batchSize,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
          VisibilityTimeout: 30,
        }),
      );
      if (Messages.length === 0) {
        await sleep(50);
        continue;
      }
      this.#busy += 1;
      try {
        await this.#invoke(slot, Messages);
      } finally {
        this.#busy -= 1;
      }
    }
  }

  /** One invocation, and what the event source does after it. */
  async #invoke(slot: WorkerSlot, messages: Message[]): Promise<void> {
    const driver = this.#driver;
    const batch = messages.map((message) => {
      const id = message.MessageId ?? '';
      const original = message.MessageAttributes?.OriginalMessageId?.StringValue ?? id;
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
      driver.originals.set(id, original);
      driver.receiveCounts.set(original, Math.max(receiveCount, driver.receiveCounts.get(original) ?? 0));
      return { id, original, receiveCount };
    });
    const started = Date.now();
    const worker = slot.process;
    driver.invocations += 1;
    const timer = setTimeout(() => void slot.timeOut(), INVOCATION_MS + TIMEOUT_SLACK_MS);
    const result = worker
      ? await worker.invoke(
          { Records: messages.map((message) => toLambdaRecord(message, QUEUE_ARN, REGION)) },
          INVOCATION_MS,
        )
      : ({ kind: 'died' } as const);
    clearTimeout(timer);
    if (result.kind === 'died') {
      driver.crashes.push({ slot: slot.slot, reason: slot.takeReason(), messages: batch });
      // Nothing of the batch is deleted; it comes back once its visibility timeout passes, which Lambda's
      // advice puts past the invocation's deadline (so the crashed attempt's in-flight record has expired).
      const revisit = sleep(Math.max(0, started + INVOCATION_MS + 200 - Date.now())).then(() =>
        this.#acknowledge(messages, new Set(batch.map((message) => message.id))),
      );
      this.#revisits.add(revisit);
      void revisit.finally(() => this.#revisits.delete(revisit));
      return;
    }
    const ids = new Set(batch.map((message) => message.id));
    const reported = (result.response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    const failed =
      result.error !== undefined || !result.response || reported.some((id) => !ids.has(id))
        ? ids
        : new Set(reported);
    await this.#acknowledge(messages, failed);
  }

  /** Deletes what succeeded; what failed becomes visible again at once (time passing). */
  async #acknowledge(messages: Message[], failed: ReadonlySet<string>): Promise<void> {
    for (const message of messages) {
      const id = message.MessageId ?? '';
      const command = failed.has(id)
        ? new ChangeMessageVisibilityCommand({
            QueueUrl: this.seam.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })
        : new DeleteMessageCommand({ QueueUrl: this.seam.queueUrl, ReceiptHandle: message.ReceiptHandle });
      try {
        await this.#producer.send(command as never);
        if (!failed.has(id)) this.#driver.deleted.add(id);
      } catch {
        // A receipt handle gone stale (the message came back meanwhile): as in SQS, nothing happens.
      }
    }
  }

  async #queueEmpty(): Promise<boolean> {
    const { Attributes = {} } = await this.#producer.send(
      new GetQueueAttributesCommand({ QueueUrl: this.seam.queueUrl, AttributeNames: ['All'] }),
    );
    return [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ].every((name) => Number(Attributes[name as keyof typeof Attributes] ?? 0) === 0);
  }

  /** Every hung call applied, every held Connect call answered, every gate's forward done. */
  async #settled(): Promise<void> {
    for (let round = 0; round < 3; round += 1) {
      await this.seam.settled();
      await Promise.all(
        this.slots.flatMap((slot) => Object.values(slot.gates).map((gate) => gate.settled())),
      );
      const deadline = Date.now() + 10_000;
      while (this.seam.connect.heldCalls > 0 && Date.now() < deadline) await sleep(50);
      await sleep(100);
    }
  }

  /** An unfinished run leaves nothing for the next: the queue is emptied. */
  async #purge(): Promise<void> {
    await this.#admin.send(new PurgeQueueCommand({ QueueUrl: this.seam.queueUrl })).catch(() => undefined);
    await sleep(1_500);
    await this.#admin.send(new PurgeQueueCommand({ QueueUrl: this.seam.queueUrl })).catch(() => undefined);
  }

  async #scanLedger(): Promise<Map<string, Record<string, unknown>>> {
    const items = new Map<string, Record<string, unknown>>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#dynamodb.send(
        new ScanCommand({ TableName: 'ledger', ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) items.set(String(item.pk), item);
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async #drainDlq(): Promise<Letter[]> {
    const letters: Letter[] = [];
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await this.#admin.send(
        new ReceiveMessageCommand({
          QueueUrl: this.seam.dlqUrl,
          MaxNumberOfMessages: 10,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 300,
        }),
      );
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      for (const message of Messages) {
        const attributes: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.MessageAttributes ?? {}))
          if (value.StringValue !== undefined) attributes[name] = value.StringValue;
        letters.push({
          messageId: message.MessageId ?? '',
          body: message.Body ?? '',
          attributes,
          senderId: message.Attributes?.SenderId,
        });
        await this.#admin.send(
          new DeleteMessageCommand({ QueueUrl: this.seam.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
    return letters;
  }
}

function emptyDriverLog(): DriverLog {
  return {
    crashes: [],
    deleted: new Set(),
    originals: new Map(),
    receiveCounts: new Map(),
    invocations: 0,
    unfinished: false,
  };
}
