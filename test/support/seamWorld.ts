import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { TransferLedger } from '../../lambdas/transfer-worker/ledger/TransferLedger.js';
import type { TransferWorkerHandler } from '../../lambdas/transfer-worker/TransferWorker.js';
import {
  DeadLetterAttribute,
  LedgerKey,
  OUTCOME_EVENT_SOURCE,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
} from '../../src/contract/index.js';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import {
  type LocalEngine,
  type LocalSqs,
  startLocalDynamoDB,
  startLocalSqs,
} from '../../tools/local-engines/engines.js';
import { FaultProxy, type FaultRule } from '../../tools/local-engines/FaultProxy.js';
import { type BusEvent, LocalEventBridge } from '../../tools/local-eventbridge/LocalEventBridge.js';
import { toLambdaRecord } from '../../tools/local-runner/lambdaRecords.js';
import { lambdaContext } from './factories.js';
import { createTable, SAMPLE_SEED } from './harness.js';

const REGION = 'us-east-1';
const BUS = 'orchestrator-bus';
/** The worker role's id: the local SQS stamps it as `SenderId` on what the worker sends (its access key). */
export const SEAM_WORKER_ROLE_ID = 'AROASEAMWORKER';
/** A producer's credentials: what it sends is never the worker's own copy. */
const PRODUCER = { accessKeyId: 'AIDASEAMPRODUCER', secretAccessKey: 'producer' };

/** The proxies a world's worker reaches AWS through, one per service. */
export interface SeamProxies {
  readonly dynamodb: FaultProxy;
  readonly sqs: FaultProxy;
  readonly eventbridge: FaultProxy;
  readonly connect: FaultProxy;
}

/** How a world's worker is configured. */
export interface SeamWorldOptions {
  /** The queue's and the worker's `maxReceiveCount`: 1 makes every delivery the last. */
  readonly maxReceiveCount: number;
  readonly env?: Record<string, string>;
  readonly simulator?: ConnectSimulatorOptions;
}

/** What one message's run through the world left behind. */
export interface RunRecord {
  /** Invocations it took until the transfer queue was empty. */
  readonly deliveries: number;
  /** Whether the driver gave up with messages still in the queue. */
  readonly unfinished: boolean;
}

/** A DLQ message, as read from the engine. */
export interface DeadLetter {
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly senderId: string | undefined;
}

/**
 * A world where every remote call of the real worker handler can be faulted: dynalite, fauxqs behind a proxy
 * that refuses what real SQS refuses and stamps `SenderId`, the local EventBridge and the Connect simulator,
 * each behind a {@link FaultProxy}. A driver stands in for Lambda's event source: it receives, invokes,
 * deletes what succeeded, and makes the rest visible again at once (time passing), until the queue is empty;
 * the queue's redrive policy moves a message SQS delivered `maxReceiveCount` times.
 */
export class SeamWorld {
  readonly events: BusEvent[] = [];
  #handler: TransferWorkerHandler | undefined;

  private constructor(
    readonly options: SeamWorldOptions,
    readonly dynamodb: LocalEngine,
    readonly sqs: LocalSqs,
    readonly bridge: LocalEventBridge,
    readonly connect: ConnectSimulator,
    readonly proxies: SeamProxies,
    readonly queueUrl: string,
    readonly dlqUrl: string,
    readonly ledger: TransferLedger,
  ) {}

  static async start(options: SeamWorldOptions): Promise<SeamWorld> {
    const [dynamodb, sqs, connect] = await Promise.all([
      startLocalDynamoDB(),
      startLocalSqs(),
      ConnectSimulator.start({
        ratePerSecond: 1_000,
        burst: 1_000,
        contactIdMode: 'new',
        ...options.simulator,
      }),
    ]);
    connect.seed(SAMPLE_SEED);
    const bridge = await LocalEventBridge.start({ sqsEndpoint: 'http://127.0.0.1:1' });
    bridge.configure({ buses: [BUS], rules: [] });
    // Hung calls wait past the worker's request timeout (300 ms below), then apply.
    const proxy = { hangMs: 700 };
    const proxies: SeamProxies = {
      dynamodb: await FaultProxy.start('dynamodb', dynamodb.endpoint, proxy),
      // Delays of copies shortened to a second: a test need not wait out a requeue's 30 s.
      sqs: await FaultProxy.start('sqs', sqs.endpoint, { ...proxy, maxDelaySeconds: 1 }),
      eventbridge: await FaultProxy.start('eventbridge', bridge.endpoint, proxy),
      connect: await FaultProxy.start('connect', connect.endpoint, proxy),
    };
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await Promise.all([createTable(client, 'ledger', 'pk'), createTable(client, 'idempotency', 'id')]);
    const admin = new SQSClient({ endpoint: sqs.endpoint, useQueueUrlAsEndpoint: false });
    const dlqUrl =
      (await admin.send(new CreateQueueCommand({ QueueName: 'seam-requests-dlq' }))).QueueUrl ?? '';
    const queueUrl =
      (
        await admin.send(
          new CreateQueueCommand({
            QueueName: 'seam-requests',
            Attributes: {
              VisibilityTimeout: '30',
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: `arn:aws:sqs:${REGION}:000000000000:seam-requests-dlq`,
                maxReceiveCount: options.maxReceiveCount,
              }),
            },
          }),
        )
      ).QueueUrl ?? '';
    const ledger = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 11);
    const world = new SeamWorld(options, dynamodb, sqs, bridge, connect, proxies, queueUrl, dlqUrl, ledger);
    bridge.onEvent((bus, event) => {
      if (bus === BUS && event.source === OUTCOME_EVENT_SOURCE) world.events.push(event);
    });
    return world;
  }

  /**
   * The worker's environment in this world: its endpoints are the fault proxies' unless `endpoints` names
   * others (a worker run in its own process behind a layer of the caller's).
   */
  workerEnv(endpoints: Partial<Record<keyof SeamProxies, string>> = {}): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb ?? this.proxies.dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs ?? this.proxies.sqs.endpoint,
      AWS_ENDPOINT_URL_CONNECT: endpoints.connect ?? this.proxies.connect.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge ?? this.proxies.eventbridge.endpoint,
      AWS_ACCESS_KEY_ID: SEAM_WORKER_ROLE_ID,
      AWS_SECRET_ACCESS_KEY: 'worker',
      LEDGER_TABLE_NAME: 'ledger',
      IDEMPOTENCY_TABLE_NAME: 'idempotency',
      DEAD_LETTER_QUEUE_URL: this.dlqUrl,
      TRANSFER_QUEUE_URL: this.queueUrl,
      ALLOWED_INSTANCE_IDS: 'instance-1',
      TRANSFER_RATE_PER_SECOND: '1000',
      CONTACT_READ_RATE_PER_SECOND: '1000',
      ATTRIBUTES_RATE_PER_SECOND: '1000',
      MAX_CONCURRENCY: '2',
      MAX_RECEIVE_COUNT: String(this.options.maxReceiveCount),
      DEADLINE_MARGIN_MS: '1000',
      AWS_MAX_ATTEMPTS: '3',
      REQUEST_TIMEOUT_MS: '300',
      OUTCOME_EVENT_BUS_NAME: BUS,
      WORKER_ROLE_ID: SEAM_WORKER_ROLE_ID,
      PACING_MODE: 'fixed',
      TOKEN_REPLAY_WINDOW_SECONDS: '3600',
      ...this.options.env,
    };
  }

  /** Imports the worker with this world's environment (its own module instance). */
  async loadWorker(): Promise<void> {
    const env = this.workerEnv();
    Object.assign(process.env, env);
    vi.resetModules();
    const { handler } = await import('../../lambdas/transfer-worker/index.js');
    this.#handler = handler;
  }

  /** Seeds a fresh contact (TASK unless told) and returns its id. */
  newContact(channel: 'TASK' | 'VOICE' = 'TASK'): string {
    const id = `seam-${channel.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`;
    this.connect.seed({ instances: [{ id: 'instance-1', contacts: [{ id, channel }] }] });
    return id;
  }

  /** Sends a request as a producer would (its own credentials: never the worker's copy). */
  async send(body: string, attributes: Record<string, MessageAttributeValue> = {}): Promise<string> {
    const { MessageId } = await this.#producer().send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, MessageAttributes: attributes }),
    );
    return MessageId ?? '';
  }

  /**
   * Delivers the queue's messages to the worker as Lambda's event source would until the queue is empty.
   * `during(delivery)` is called before each invocation (to aim faults at one delivery) and every scripted
   * fault is dropped after it.
   */
  async drain(during: (delivery: number) => void = () => undefined, maxDeliveries = 40): Promise<RunRecord> {
    const handler = this.#handler;
    if (!handler) throw new Error('loadWorker() first');
    const poller = this.#producer();
    let deliveries = 0;
    // Up to 20 s without a visible message (a copy's delay, an in-flight record's expiry), then it gives up.
    for (let idle = 0; idle < 400; ) {
      const { Messages = [] } = await poller.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) {
        if (await this.#queueEmpty()) return { deliveries, unfinished: false };
        idle += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (deliveries >= maxDeliveries) return { deliveries, unfinished: true };
      idle = 0;
      deliveries += 1;
      during(deliveries);
      const failed = await this.#invoke(handler, Messages);
      for (const proxy of Object.values(this.proxies)) {
        (proxy as FaultProxy).clearRules();
      }
      await this.settled();
      for (const message of Messages) {
        const command = failed.has(message.MessageId ?? '')
          ? new ChangeMessageVisibilityCommand({
              QueueUrl: this.queueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            })
          : new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle });
        await poller.send(command as never).catch(() => undefined);
      }
    }
    return { deliveries, unfinished: true };
  }

  /** Aims a fault at one site of one service. */
  inject(service: keyof SeamProxies, rule: FaultRule): void {
    this.proxies[service].inject(rule);
  }

  /** Resolves once every hung call has been applied. */
  async settled(): Promise<void> {
    await Promise.all(Object.values(this.proxies).map((proxy: FaultProxy) => proxy.settled()));
  }

  /** Calls seen per `service:site` since the last reset. */
  sites(): Map<string, number> {
    const sites = new Map<string, number>();
    for (const [service, proxy] of Object.entries(this.proxies) as [string, FaultProxy][]) {
      for (const [site, count] of proxy.counts) sites.set(`${service}:${site}`, count);
    }
    return sites;
  }

  /** Forgets every proxy's counts and scripted faults. */
  resetProxies(): void {
    for (const proxy of Object.values(this.proxies)) (proxy as FaultProxy).reset();
  }

  /** Reads and removes every DLQ message. */
  async drainDlq(): Promise<DeadLetter[]> {
    const client = new SQSClient({ endpoint: this.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const letters: DeadLetter[] = [];
    for (;;) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.dlqUrl,
          MaxNumberOfMessages: 10,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 300,
        }),
      );
      if (Messages.length === 0) return letters;
      for (const message of Messages) {
        letters.push(deadLetterOf(message));
        await client.send(
          new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
  }

  /** Outcome events naming this token, taken off the world's list. */
  takeEvents(token: string): { completed: BusEvent[]; failed: BusEvent[] } {
    const mine = this.events.filter(
      (event) => (event.detail as { ClientToken?: string })?.ClientToken === token,
    );
    for (const event of mine) this.events.splice(this.events.indexOf(event), 1);
    return {
      completed: mine.filter((event) => event['detail-type'] === TRANSFER_COMPLETED_DETAIL_TYPE),
      failed: mine.filter((event) => event['detail-type'] === TRANSFER_FAILED_DETAIL_TYPE),
    };
  }

  /** Transfers Connect performed under this token. */
  transfersOf(token: string): number {
    return this.connect.calls.filter(
      (call) => call.operation === 'TransferContact' && call.transferred && call.input.ClientToken === token,
    ).length;
  }

  /** The tokens with a reservation in a chain. */
  chainTokens(rootContactId: string): Promise<ReadonlySet<string>> {
    return this.ledger.tokensOf(LedgerKey.chain('instance-1', rootContactId));
  }

  /** The local SQS's proxy: what it refused, as real SQS would. */
  get realisticSqs() {
    return this.sqs.realism;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.proxies).map((proxy: FaultProxy) => proxy.stop()));
    await Promise.all([this.dynamodb.stop(), this.sqs.stop(), this.connect.stop(), this.bridge.stop()]);
  }

  #producer(): SQSClient {
    return new SQSClient({
      endpoint: this.sqs.endpoint,
      useQueueUrlAsEndpoint: false,
      region: REGION,
      credentials: PRODUCER,
    });
  }

  async #queueEmpty(): Promise<boolean> {
    const { Attributes = {} } = await this.#producer().send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['All'] }),
    );
    return [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ].every((name) => Number(Attributes[name as keyof typeof Attributes] ?? 0) === 0);
  }

  /** One invocation: the message ids to keep (failed), by Lambda's rules for partial batch responses. */
  async #invoke(handler: TransferWorkerHandler, messages: Message[]): Promise<Set<string>> {
    const records = messages.map((message) =>
      toLambdaRecord(message, `arn:aws:sqs:${REGION}:000000000000:seam-requests`, REGION),
    );
    const ids = new Set(records.map((record) => record.messageId));
    try {
      // A short invocation: a record left in flight by a failed idempotency write expires with it (Powertools).
      const response = await handler({ Records: records }, lambdaContext(6_000));
      const failures = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
      if (failures.some((id) => !ids.has(id))) return ids;
      return new Set(failures);
    } catch {
      return ids;
    }
  }
}

function deadLetterOf(message: Message): DeadLetter {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return { body: message.Body ?? '', attributes, senderId: message.Attributes?.SenderId };
}

/** Whether a dead letter carries the worker's reason (SQS's own moves carry none). */
export const hasReason = (letter: DeadLetter): boolean => DeadLetterAttribute.ErrorClass in letter.attributes;
