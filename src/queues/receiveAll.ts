import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** How {@link receiveAll} receives. */
export interface ReceiveAllOptions {
  /** How long each received message stays hidden from other consumers (seconds). */
  readonly visibilityTimeout: number;
  /** Stop after this many messages. @default - until the queue answers empty */
  readonly limit?: number;
  /** Also ask for the system attributes (`ApproximateReceiveCount`, `SentTimestamp`…). @default false */
  readonly systemAttributes?: boolean;
  /**
   * Long polling: how long a receive waits for a message (seconds, at most 20). Above 0, SQS asks all of its
   * servers, so an empty answer means an empty queue; a short poll samples some and may answer empty while
   * messages remain. @default - the queue's `ReceiveMessageWaitTimeSeconds`
   */
  readonly waitTimeSeconds?: number;
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
        ...(options.waitTimeSeconds !== undefined && { WaitTimeSeconds: options.waitTimeSeconds }),
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

/**
 * When SQS accepted a message (its `SentTimestamp` system attribute, milliseconds since the epoch), or `NaN`
 * when it was not asked for (`systemAttributes`). A message SQS itself moved to a dead-letter queue keeps the
 * time it was first sent; a message sent to the queue (a copy, the worker's dead letter) has its own.
 *
 * @example
 * sentTimestamp(message) < startedAt; // the message was in the queue before
 */
export function sentTimestamp(message: Message): number {
  return Number(message.Attributes?.SentTimestamp ?? Number.NaN);
}
