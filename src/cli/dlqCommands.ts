import { parseArgs } from 'node:util';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DeadLetterAttribute } from '../contract/index.js';
import { receiveAll, receiveBatches, sentTimestamp, stringAttributes } from '../queues/receiveAll.js';
import { CONNECTION_OPTIONS, sqsClient } from './awsClients.js';
import { type CliIo, printJson, UsageError } from './io.js';

/** `--help` of the dlq commands. */
export const DLQ_HELP = `transfer-contact dlq: the requests that failed, with their reasons

Usage
  transfer-contact dlq list    [--dlq-url URL] [--max N]        peek (deletes nothing)
  transfer-contact dlq redrive [--dlq-url URL] [--queue-url URL] [--method auto|move-task|copy]
                               [--max-messages-per-second N]   send them back to the transfer queue

  --dlq-url    default: $TRANSFER_DLQ_URL (stack output DeadLetterQueueUrl)
  --queue-url  default: $TRANSFER_QUEUE_URL (stack output QueueUrl)
  --method     move-task: SQS StartMessageMoveTask; copy: receive, send back, delete (keeps each message's
               body and attributes, so a derived ClientToken survives); auto (default): move-task, or copy
               where the move task is not available (a local SQS)
  A copy moves the messages that were in the DLQ when it began (sent before it), each once; those the
  worker dead-letters meanwhile stay in the DLQ. It prints { Method, SentBefore, Moved, NewerLeft, Failed }.
  Connection flags: --endpoint-url, --region, --profile.

Examples
  transfer-contact dlq list --max 50
  transfer-contact dlq redrive
`;

const OPTIONS = {
  'dlq-url': { type: 'string' },
  'queue-url': { type: 'string' },
  max: { type: 'string' },
  method: { type: 'string' },
  'max-messages-per-second': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...CONNECTION_OPTIONS,
} as const;

/**
 * Runs `transfer-contact dlq list|redrive`.
 *
 * @example
 * await runDlq(['list', '--max', '20'], io);
 */
export async function runDlq(argv: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) return io.stdout(DLQ_HELP);
  if (rest.length > 0) throw new UsageError(`unknown argument: ${rest.join(' ')}`);
  const dlqUrl = values['dlq-url'] ?? io.env.TRANSFER_DLQ_URL;
  if (!dlqUrl) throw new UsageError('--dlq-url is required (or set TRANSFER_DLQ_URL)');
  const client = sqsClient(values);

  if (action === 'list') {
    const max = Number(values.max ?? 100);
    if (!Number.isInteger(max) || max < 1)
      throw new UsageError(`--max must be a whole number above 0, got ${values.max}`);
    return printJson(io, (await peek(client, dlqUrl, max)).map(describe));
  }
  if (action === 'redrive') {
    const queueUrl = values['queue-url'] ?? io.env.TRANSFER_QUEUE_URL;
    if (!queueUrl) throw new UsageError('--queue-url is required (or set TRANSFER_QUEUE_URL)');
    const method = values.method ?? 'auto';
    if (!['auto', 'move-task', 'copy'].includes(method))
      throw new UsageError(`--method takes auto, move-task or copy, got ${method}`);
    const rate =
      values['max-messages-per-second'] === undefined ? undefined : Number(values['max-messages-per-second']);
    if (method !== 'copy') {
      try {
        const [source, destination] = await Promise.all([
          queueArn(client, dlqUrl),
          queueArn(client, queueUrl),
        ]);
        const { TaskHandle } = await client.send(
          new StartMessageMoveTaskCommand({
            SourceArn: source,
            DestinationArn: destination,
            MaxNumberOfMessagesPerSecond: rate,
          }),
        );
        return printJson(io, { Method: 'move-task', TaskHandle });
      } catch (error) {
        if (method === 'move-task' || !isUnsupported(error)) throw error;
      }
    }
    return printJson(io, { Method: 'copy', ...(await copyBack(client, dlqUrl, queueUrl)) });
  }
  throw new UsageError(`unknown dlq command ${JSON.stringify(action)}: use list or redrive`);
}

const queueArn = async (client: SQSClient, url: string): Promise<string> => {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes.QueueArn ?? '';
};

/** Whether an SQS answer means the operation does not exist there (a local SQS), not that it failed. */
const isUnsupported = (error: unknown): boolean =>
  /Unsupported|InvalidAction|UnknownOperation|NotImplemented|not supported|Unknown action/i.test(
    `${(error as Error).name} ${(error as Error).message}`,
  );

/** Receives up to `max` messages, then makes them visible again at once: nothing is deleted. */
async function peek(client: SQSClient, url: string, max: number): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for await (const message of receiveAll(client, url, {
    visibilityTimeout: 30,
    limit: max,
    systemAttributes: true,
  }))
    seen.set(message.MessageId ?? '', message);
  const messages = [...seen.values()];
  for (let i = 0; i < messages.length; i += 10) {
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: messages
          .slice(i, i + 10)
          .map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  return messages;
}

const describe = (message: Message) => {
  const attributes = stringAttributes(message);
  const A = DeadLetterAttribute;
  return {
    MessageId: message.MessageId,
    SourceMessageId: attributes[A.SourceMessageId],
    ErrorClass: attributes[A.ErrorClass] ?? '(none: redriven by SQS)',
    ErrorCode: attributes[A.ErrorCode],
    ErrorMessage: attributes[A.ErrorMessage],
    ClientToken: attributes[A.ClientToken],
    ReceiveCount: attributes[A.ReceiveCount],
    FailedAt: attributes[A.FailedAt],
    Body: message.Body,
  };
};

/** What a copy redrive did, as the command prints it. */
export interface CopyRedriveReport {
  /** The redrive's snapshot: the messages SQS accepted before this time (ISO 8601). */
  readonly SentBefore: string;
  /** Messages of the snapshot sent to the transfer queue and deleted from the DLQ, each once. */
  readonly Moved: number;
  /** Messages sent to the DLQ after the redrive began that it received and left there, visible again. */
  readonly NewerLeft: number;
  /** Messages of the snapshot the transfer queue refused: left in the DLQ, visible again, for a next run. */
  readonly Failed: number;
}

/** Receives in a row that bring nothing of the snapshot, after which it is taken as done. */
const SNAPSHOT_PATIENCE = 3;

/**
 * Copies back the messages that were in the DLQ when the redrive began (SQS's `SentTimestamp` before its
 * start), each exactly once, and nothing else. The rule and why: the worker dead-letters again, during the
 * run, what the redrive sends back and still fails, so a redrive that copies "until the DLQ is empty" copies
 * its own output again (and never ends while the worker keeps up). So:
 * - a message sent after the start is left where it is; it stays hidden while the run lasts, so that the
 *   receives make their way through the snapshot instead of meeting it again, and is made visible again
 *   at once when the run ends (also when it fails);
 * - a message id is sent at most once: one received again after its copy (its delete failed, or its
 *   visibility ran out before the delete) is only deleted;
 * - the run ends when the DLQ answers empty (long polling: all of SQS's servers are asked), or after
 *   {@link SNAPSHOT_PATIENCE} receives in a row without a message of the snapshot.
 *
 * @example
 * const { Moved, NewerLeft } = await copyBack(sqs, dlqUrl, queueUrl);
 */
export async function copyBack(
  client: SQSClient,
  dlqUrl: string,
  queueUrl: string,
): Promise<CopyRedriveReport> {
  const run = new CopyRun(client, dlqUrl, queueUrl, Date.now());
  try {
    let idle = 0;
    for await (const batch of receiveBatches(client, dlqUrl, {
      visibilityTimeout: 60,
      systemAttributes: true,
      waitTimeSeconds: 1,
    })) {
      const snapshot = await run.take(batch);
      idle = snapshot === 0 ? idle + 1 : 0;
      if (idle >= SNAPSHOT_PATIENCE) break;
    }
  } finally {
    await run.release();
  }
  return run.report();
}

/** One copy redrive's state: what it moved, what it holds back, and from when its snapshot dates. */
class CopyRun {
  readonly #moved = new Set<string>();
  readonly #newer = new Set<string>();
  readonly #failed = new Set<string>();
  /** Messages left in the DLQ (newer, or refused), by id: the latest receipt handle, to make them visible. */
  readonly #held = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    private readonly dlqUrl: string,
    private readonly queueUrl: string,
    private readonly startedAt: number,
  ) {}

  /** Sorts a received batch and copies its snapshot messages; answers how many of the snapshot it held. */
  async take(batch: readonly Message[]): Promise<number> {
    const snapshot: Message[] = [];
    const copiedBefore: Message[] = [];
    for (const message of batch) {
      const id = message.MessageId ?? '';
      if (this.#moved.has(id)) copiedBefore.push(message);
      // A message without a SentTimestamp (NaN) is not known to be of the snapshot: it is left.
      else if (!this.#failed.has(id) && sentTimestamp(message) < this.startedAt) snapshot.push(message);
      else {
        this.#held.set(id, message.ReceiptHandle ?? '');
        if (!this.#failed.has(id)) this.#newer.add(id);
      }
    }
    await this.#delete(copiedBefore);
    if (snapshot.length > 0) await this.#copy(snapshot);
    return snapshot.length;
  }

  async #copy(messages: readonly Message[]): Promise<void> {
    const { Successful = [] } = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((m, n) => ({
          Id: String(n),
          MessageBody: m.Body ?? '',
          MessageAttributes: m.MessageAttributes,
        })),
      }),
    );
    const sent = new Set(Successful.map((entry) => Number(entry.Id)));
    messages.forEach((message, n) => {
      const id = message.MessageId ?? '';
      if (sent.has(n)) this.#moved.add(id);
      else {
        this.#failed.add(id);
        this.#held.set(id, message.ReceiptHandle ?? '');
      }
    });
    // Recorded as moved before the delete: if the delete fails, the message comes back and is only deleted.
    await this.#delete(messages.filter((_, n) => sent.has(n)));
  }

  async #delete(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.dlqUrl,
        Entries: messages.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }

  /** Makes every message left in the DLQ visible again at once. */
  async release(): Promise<void> {
    const handles = [...this.#held.values()];
    this.#held.clear();
    for (let i = 0; i < handles.length; i += 10) {
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.dlqUrl,
          Entries: handles
            .slice(i, i + 10)
            .map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }

  report(): CopyRedriveReport {
    return {
      SentBefore: new Date(this.startedAt).toISOString(),
      Moved: this.#moved.size,
      NewerLeft: this.#newer.size,
      Failed: this.#failed.size,
    };
  }
}
