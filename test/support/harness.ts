import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { vi } from 'vitest';
import { TransferLedger } from '../../lambdas/transfer-worker/ledger/TransferLedger.js';
import { DynamoPacingStore } from '../../lambdas/transfer-worker/pacing/DynamoPacingStore.js';
import type { TransferWorkerHandler } from '../../lambdas/transfer-worker/TransferWorker.js';
import { DEFAULTS, LedgerKey } from '../../src/contract/index.js';
import type { PacingState } from '../../src/domain/index.js';
import { receiveAll, stringAttributes } from '../../src/queues/receiveAll.js';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
  type SimulatorSeed,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import {
  type LocalEngine,
  type LocalSqs,
  startLocalDynamoDB,
  startLocalSqs,
} from '../../tools/local-engines/engines.js';
import { expireIdempotencyRecords } from '../../tools/scenario/runScenario.js';
import { lambdaContext, WORKER_ROLE_ID } from './factories.js';

/** The sample contact center every integration test starts from. */
export const SAMPLE_SEED: SimulatorSeed = {
  instances: [
    {
      id: 'instance-1',
      flows: [
        { id: 'flow-queue', type: 'QUEUE_TRANSFER' },
        { id: 'flow-agent', type: 'AGENT_TRANSFER' },
        { id: 'flow-inbound', type: 'CONTACT_FLOW' },
        { id: 'flow-whisper', type: 'AGENT_WHISPER' },
      ],
      queues: ['queue-1', 'queue-2'],
      users: ['agent-1'],
      contacts: [
        { id: 'task-1' },
        { id: 'task-2' },
        { id: 'task-3' },
        { id: 'email-1', channel: 'EMAIL' },
        { id: 'voice-1', channel: 'VOICE' },
        { id: 'chat-1', channel: 'CHAT' },
        { id: 'ended-1', state: 'ENDED' },
      ],
    },
    {
      id: 'instance-denied',
      accessDenied: true,
      flows: [{ id: 'flow-queue', type: 'QUEUE_TRANSFER' }],
      queues: ['queue-1'],
      contacts: [{ id: 'task-1' }],
    },
  ],
};

/** What a harness is started with. */
export interface HarnessOptions {
  /** Extra worker environment (TRANSFER_CAP, MAX_RECEIVE_COUNT, …). */
  env?: Record<string, string>;
  simulator?: ConnectSimulatorOptions;
}

/**
 * The real worker handler wired to dynalite, fauxqs and the Connect simulator over HTTP, configured only
 * through its environment as the stack configures it.
 */
export class WorkerHarness {
  private constructor(
    readonly dynamodb: LocalEngine,
    readonly sqs: LocalSqs,
    readonly connect: ConnectSimulator,
    readonly dlqUrl: string,
    readonly queueUrl: string,
    readonly handler: TransferWorkerHandler,
    readonly ledger: TransferLedger,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<WorkerHarness> {
    const [dynamodb, sqs, connect] = await Promise.all([
      startLocalDynamoDB(),
      startLocalSqs(),
      ConnectSimulator.start({ ratePerSecond: 1_000, burst: 1_000, ...options.simulator }),
    ]);
    connect.seed(SAMPLE_SEED);
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    await Promise.all([createTable(client, 'ledger', 'pk'), createTable(client, 'idempotency', 'id')]);
    // The construct's queues' size, which the worker fits its copies in (fauxqs's default is 1 MiB).
    const attributes = { MaximumMessageSize: String(DEFAULTS.maxMessageBytes) };
    const { queueUrl: dlqUrl } = sqs.server.createQueue('transfer-requests-dlq', { attributes });
    const { queueUrl } = sqs.server.createQueue('transfer-requests', { attributes });
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_CONNECT: connect.endpoint,
      LEDGER_TABLE_NAME: 'ledger',
      IDEMPOTENCY_TABLE_NAME: 'idempotency',
      DEAD_LETTER_QUEUE_URL: dlqUrl,
      TRANSFER_QUEUE_URL: queueUrl,
      ALLOWED_INSTANCE_IDS: 'instance-1,instance-denied',
      // Tests run the simulator with a high quota; pacing is measured by the benchmark, not here.
      TRANSFER_RATE_PER_SECOND: '1000',
      CONTACT_READ_RATE_PER_SECOND: '1000',
      ATTRIBUTES_RATE_PER_SECOND: '1000',
      MAX_CONCURRENCY: '2',
      DEADLINE_MARGIN_MS: '1000',
      AWS_MAX_ATTEMPTS: '1',
      TOKEN_REPLAY_WINDOW_SECONDS: '3600',
      // The worker believes the copy attributes of records SQS stamped with its role (see factories).
      WORKER_ROLE_ID,
      ...options.env,
    };
    Object.assign(process.env, env);
    vi.resetModules();
    const { handler } = await import('../../lambdas/transfer-worker/index.js');
    const ledger = new TransferLedger(DynamoDBDocumentClient.from(client), 'ledger', 11);
    return new WorkerHarness(dynamodb, sqs, connect, dlqUrl, queueUrl, handler, ledger);
  }

  #tasks = 0;

  /** Seeds a fresh active contact (TASK unless told) and returns its id: each test its own chain. */
  newContact(channel: 'TASK' | 'EMAIL' | 'VOICE' | 'CHAT' = 'TASK'): string {
    this.#tasks += 1;
    const id = `${channel.toLowerCase()}-fresh-${this.#tasks}-${Math.random().toString(36).slice(2, 8)}`;
    this.connect.seed({ instances: [{ id: 'instance-1', contacts: [{ id, channel }] }] });
    return id;
  }

  /** Invokes the handler as Lambda would. */
  invoke(event: SQSEvent, remainingMs = 60_000): Promise<SQSBatchResponse> {
    return this.handler(event, lambdaContext(remainingMs));
  }

  /** Reads (and consumes) every message in the DLQ, with its attributes. */
  async drainDlq(): Promise<{ body: string; attributes: Record<string, string> }[]> {
    const client = new SQSClient({ endpoint: this.sqs.endpoint });
    const messages: { body: string; attributes: Record<string, string> }[] = [];
    for await (const message of receiveAll(client, this.dlqUrl, { visibilityTimeout: 300 }))
      messages.push({ body: message.Body ?? '', attributes: stringAttributes(message) });
    return messages;
  }

  /** The deployment's shared pacing state, as the workers wrote it. */
  async pacingState(): Promise<PacingState | undefined> {
    const client = new DynamoDBClient({ endpoint: this.dynamodb.endpoint });
    return new DynamoPacingStore(DynamoDBDocumentClient.from(client), 'ledger').read();
  }

  /** Empties the transfer queue (messages the worker sent back included). */
  async purgeQueue(): Promise<void> {
    await new SQSClient({ endpoint: this.sqs.endpoint }).send(
      new PurgeQueueCommand({ QueueUrl: this.queueUrl }),
    );
  }

  /** Deletes one ledger item (as if the worker had never written it). */
  async deleteLedgerItem(pk: string): Promise<void> {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: this.dynamodb.endpoint }));
    await client.send(new DeleteCommand({ TableName: 'ledger', Key: { pk } }));
  }

  /** The tokens with a reservation in a chain. */
  async chainTokens(rootContactId: string, instanceId = 'instance-1'): Promise<ReadonlySet<string>> {
    return this.ledger.tokensOf(LedgerKey.chain(instanceId, rootContactId));
  }

  /** The `TransferContact` calls Connect received (not its `DescribeContact` and contact-tree reads). */
  transferCalls() {
    return this.connect.calls.filter((call) => call.operation === 'TransferContact');
  }

  /**
   * Expires every Powertools idempotency record, as DynamoDB's TTL does once `idempotencyTtl` has passed: the
   * ledger is then the only memory of a token on the orchestrator's side.
   */
  expireIdempotencyRecords(): Promise<number> {
    return expireIdempotencyRecords(new DynamoDBClient({ endpoint: this.dynamodb.endpoint }), 'idempotency');
  }

  /** The contact a transfer of `contactId` started (`PreviousContactId` = it), if any. */
  successorOf(contactId: string): string | undefined {
    return this.connect.snapshot().contacts.find((contact) => contact.previousContactId === contactId)?.id;
  }

  /** Transfers Connect performed (replays of a token excluded). */
  transfersMade(): number {
    return this.connect.calls.filter((call) => call.transferred).length;
  }

  async stop(): Promise<void> {
    await Promise.all([this.dynamodb.stop(), this.sqs.stop(), this.connect.stop()]);
  }
}

/** Creates an on-demand table keyed on one string attribute, as the tests' engines need. */
export async function createTable(client: DynamoDBClient, name: string, key: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
