import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DeadLetterAttribute } from '../contract/index.js';
import { receiveAll, receiveBatches, sentTimestamp, stringAttributes } from '../queues/receiveAll.js';
import { CONNECTION_OPTIONS, sqsClient } from './awsClients.js';
import { type CliIo, printJson, UsageError } from './io.js';
import { parseFlags } from './parseFlags.js';

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
  worker dead-letters meanwhile stay in the DLQ. Its start is read on SQS's clock: it sends a mark (a
  message that is not a request) to the DLQ, takes the mark's SentTimestamp, and deletes it. It prints
  { Method, SentBefore, Moved, NewerLeft, Failed }.
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
  const { values, positionals } = parseFlags([...argv], OPTIONS);
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
  /**
   * The redrive's snapshot: the messages SQS accepted before this time (ISO 8601, SQS's clock: the
   * `SentTimestamp` of the mark the redrive sent to the DLQ as it began).
   */
  readonly SentBefore: string;
  /** Messages of the snapshot sent to the transfer queue and deleted from the DLQ, each once. */
  readonly Moved: number;
  /** Messages sent to the DLQ after the redrive began that it received and left there, visible again. */
  readonly NewerLeft: number;
  /** Messages of the snapshot the transfer queue refused: left in the DLQ, visible again, for a next run. */
  readonly Failed: number;
}

/** Receives in a row that bring nothing new (of the snapshot, or before the mark came back), after which it is done. */
const SNAPSHOT_PATIENCE = 3;

/** The key of a redrive mark's body: a message with it is never a request, and never copied. */
export const REDRIVE_MARK_KEY = 'transferContactRedriveMark';

/** Another run's mark older than this (by SQS's clock) is left over from a run that ended without deleting it. */
const STALE_MARK_MS = 60 * 60 * 1000;

/** Whether a message is a redrive's mark (this run's or another's), by its body. */
const isMark = (message: Message): boolean => {
  const body = message.Body ?? '';
  if (!body.startsWith(`{"${REDRIVE_MARK_KEY}":`)) return false;
  try {
    return typeof (JSON.parse(body) as Record<string, unknown>)[REDRIVE_MARK_KEY] === 'string';
  } catch {
    return false;
  }
};

/** The body of a redrive's mark: what it is, for whoever meets it in the DLQ. */
const markBody = (): string =>
  JSON.stringify({
    [REDRIVE_MARK_KEY]: new Date().toISOString(),
    note: 'the start of a transfer-contact dlq redrive --method copy (not a request): the redrive deletes it, and a later one deletes it after an hour if it stays',
  });

/**
 * Copies back the messages that were in the DLQ when the redrive began (SQS's `SentTimestamp` before its
 * start), each exactly once, and nothing else. The rule and why: the worker dead-letters again, during the
 * run, what the redrive sends back and still fails, so a redrive that copies "until the DLQ is empty" copies
 * its own output again (and never ends while the worker keeps up). So:
 * - the start is read on SQS's clock, the one `SentTimestamp` counts on: the redrive sends a mark to the DLQ
 *   as it begins, and the mark's `SentTimestamp`, once the mark comes back, is the boundary. This machine's
 *   clock is not compared with SQS's: one ahead of SQS would take messages dead-lettered during the run
 *   for the snapshot's, one behind it would leave some of the snapshot. Messages received before the mark
 *   came back are kept back (hidden) until it does, then sorted; the mark is deleted;
 * - a message sent after the start is left where it is; it stays hidden while the run lasts, so that the
 *   receives make their way through the snapshot instead of meeting it again, and is made visible again
 *   at once when the run ends (also when it fails);
 * - a message id is sent at most once: one received again after its copy (its delete failed, or its
 *   visibility ran out before the delete) is only deleted;
 * - a mark is never copied (another run's is left, and deleted once an hour old);
 * - the run ends when the DLQ answers empty (long polling: all of SQS's servers are asked), or after
 *   {@link SNAPSHOT_PATIENCE} receives in a row without a message of the snapshot. If the mark never came
 *   back (another consumer of the DLQ took it), it fails and moves nothing it kept back.
 *
 * @example
 * const { Moved, NewerLeft } = await copyBack(sqs, dlqUrl, queueUrl);
 */
export async function copyBack(
  client: SQSClient,
  dlqUrl: string,
  queueUrl: string,
): Promise<CopyRedriveReport> {
  const { MessageId: markId } = await client.send(
    new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: markBody() }),
  );
  if (!markId) throw new Error('SQS answered the redrive mark without a MessageId');
  const run = new CopyRun(client, dlqUrl, queueUrl, markId);
  try {
    let idle = 0;
    for await (const batch of receiveBatches(client, dlqUrl, {
      visibilityTimeout: 60,
      systemAttributes: true,
      waitTimeSeconds: 1,
    })) {
      const progress = await run.take(batch);
      idle = progress === 0 ? idle + 1 : 0;
      if (idle >= SNAPSHOT_PATIENCE) break;
    }
    return run.report();
  } finally {
    await run.release();
  }
}

/** One copy redrive's state: what it moved, what it keeps back, and from when its snapshot dates. */
class CopyRun {
  readonly #moved = new Set<string>();
  readonly #newer = new Set<string>();
  readonly #failed = new Set<string>();
  /** Messages left in the DLQ (newer, or refused), by id: the latest receipt handle, to make them visible. */
  readonly #keptBack = new Map<string, string>();
  /** Messages received before the mark came back, by id (the latest receipt): sorted once it does. */
  readonly #unsorted = new Map<string, Message>();
  /** The mark's `SentTimestamp` (SQS's clock), once it came back. */
  #boundary: number | undefined;

  constructor(
    private readonly client: SQSClient,
    private readonly dlqUrl: string,
    private readonly queueUrl: string,
    private readonly markId: string,
  ) {}

  /**
   * Takes a received batch: before the mark came back, keeps it back; after, sorts it (with what it kept
   * back) and copies its snapshot messages. Answers its progress: how many new messages it kept back, or how
   * many of the snapshot it copied.
   */
  async take(batch: readonly Message[]): Promise<number> {
    const mark = batch.find((message) => message.MessageId === this.markId);
    const others = batch.filter((message) => message !== mark);
    if (mark) {
      const at = sentTimestamp(mark);
      if (Number.isNaN(at)) throw new Error('SQS handed back the redrive mark without its SentTimestamp');
      await this.#delete([mark]);
      this.#boundary ??= at;
    }
    if (this.#boundary === undefined) {
      const before = this.#unsorted.size;
      for (const message of others) this.#unsorted.set(message.MessageId ?? '', message);
      return this.#unsorted.size - before;
    }
    // A message received again since it was kept back comes with a new receipt handle: the latest one counts.
    const received = new Map(this.#unsorted);
    this.#unsorted.clear();
    for (const message of others) received.set(message.MessageId ?? '', message);
    return this.#sort([...received.values()], this.#boundary);
  }

  /** Sorts messages against the boundary, deletes what was copied before, copies the snapshot's. */
  async #sort(messages: readonly Message[], boundary: number): Promise<number> {
    const snapshot: Message[] = [];
    const done: Message[] = [];
    for (const message of messages) {
      const id = message.MessageId ?? '';
      if (isMark(message)) {
        // Another run's mark: never copied; deleted once it is left over, else left to its run.
        if (sentTimestamp(message) < boundary - STALE_MARK_MS) done.push(message);
        else this.#keptBack.set(id, message.ReceiptHandle ?? '');
      } else if (this.#moved.has(id)) done.push(message);
      // A message without a SentTimestamp (NaN) is not known to be of the snapshot: it is left.
      else if (!this.#failed.has(id) && sentTimestamp(message) < boundary) snapshot.push(message);
      else {
        this.#keptBack.set(id, message.ReceiptHandle ?? '');
        if (!this.#failed.has(id)) this.#newer.add(id);
      }
    }
    await this.#delete(done);
    // SQS takes 10 entries a batch; what was kept back until the mark came back may be more.
    for (let i = 0; i < snapshot.length; i += 10) await this.#copy(snapshot.slice(i, i + 10));
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
        this.#keptBack.set(id, message.ReceiptHandle ?? '');
      }
    });
    // Recorded as moved before the delete: if the delete fails, the message comes back and is only deleted.
    await this.#delete(messages.filter((_, n) => sent.has(n)));
  }

  async #delete(messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.dlqUrl,
          Entries: messages
            .slice(i, i + 10)
            .map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  /** Makes every message left in the DLQ (and every one kept back until the mark came back) visible again. */
  async release(): Promise<void> {
    const handles = [
      ...this.#keptBack.values(),
      ...[...this.#unsorted.values()].map((message) => message.ReceiptHandle ?? ''),
    ];
    this.#keptBack.clear();
    this.#unsorted.clear();
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

  /**
   * What the run did.
   *
   * @throws {Error} when the mark never came back: the snapshot's boundary is unknown, and nothing was moved.
   */
  report(): CopyRedriveReport {
    if (this.#boundary === undefined)
      throw new Error(
        `the DLQ did not hand back the redrive's mark (message ${this.markId}; another consumer of the DLQ may have it): nothing was moved, run it again`,
      );
    return {
      SentBefore: new Date(this.#boundary).toISOString(),
      Moved: this.#moved.size,
      NewerLeft: this.#newer.size,
      Failed: this.#failed.size,
    };
  }
}
