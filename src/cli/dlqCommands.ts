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
import { receiveAll, receiveBatches, stringAttributes } from '../queues/receiveAll.js';
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
    return printJson(io, { Method: 'copy', Moved: await copyBack(client, dlqUrl, queueUrl) });
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

/** Sends every DLQ message back with its body and attributes, deleting each only once it is sent. */
async function copyBack(client: SQSClient, dlqUrl: string, queueUrl: string): Promise<number> {
  let moved = 0;
  for await (const Messages of receiveBatches(client, dlqUrl, { visibilityTimeout: 60 })) {
    const { Successful = [] } = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, n) => ({
          Id: String(n),
          MessageBody: m.Body ?? '',
          MessageAttributes: m.MessageAttributes,
        })),
      }),
    );
    const sent = Successful.map((entry) => Messages[Number(entry.Id)]).filter(
      (m): m is Message => m !== undefined,
    );
    if (sent.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: sent.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    moved += sent.length;
  }
  return moved;
}
