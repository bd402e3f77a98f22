import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** How {@link receiveAll} receives. */
export interface ReceiveAllOptions {
  /** How long each received message stays hidden from other consumers (seconds). */
  readonly visibilityTimeout: number;
  /** Stop after this many messages. @default - until the queue answers empty */
  readonly limit?: number;
  /** Also ask for the system attributes (`ApproximateReceiveCount`, `SentTimestamp`…). @default false */
  readonly systemAttributes?: boolean;
}

/**
 * Every message of a queue, a batch (up to 10) at a time, received and hidden until the queue answers empty
 * (or `limit` messages came). Message attributes are always asked for. The one receive-until-empty loop of
 * the CLI, the local runner's scenarios and the tests.
 *
 * @example
 * for await (const batch of receiveBatches(sqs, dlqUrl, { visibilityTimeout: 60 })) await copy(batch);
 */
export async function* receiveBatches(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveAllOptions,
): AsyncGenerator<Message[]> {
  let received = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  while (received < limit) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, limit - received),
        VisibilityTimeout: options.visibilityTimeout,
        MessageAttributeNames: ['All'],
        ...(options.systemAttributes && { MessageSystemAttributeNames: ['All'] }),
      }),
    );
    if (Messages.length === 0) return;
    received += Messages.length;
    yield Messages;
  }
}

/**
 * Every message of a queue, one at a time (see {@link receiveBatches}).
 *
 * @example
 * for await (const message of receiveAll(sqs, dlqUrl, { visibilityTimeout: 600 })) console.log(message.Body);
 */
export async function* receiveAll(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveAllOptions,
): AsyncGenerator<Message> {
  for await (const batch of receiveBatches(client, queueUrl, options)) yield* batch;
}

/**
 * A message's string attributes as a plain record.
 *
 * @example
 * stringAttributes(message).ErrorClass; // 'CapReached'
 */
export function stringAttributes(message: Message): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
  );
}
