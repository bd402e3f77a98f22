import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DeadLetterAttribute, LedgerKeyPrefix } from '../../src/contract/index.js';
import { receiveAll, stringAttributes } from '../../src/queues/receiveAll.js';
import { parseTransferRequest } from '../../src/request/index.js';
import type { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import type { DeadLetter } from './invariants.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Messages in a queue, visible, in flight or delayed. */
export async function depthOf(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Waits until the transfer queue is empty and Connect holds no call, or the deadline. Returns what is left. */
export async function drain(
  sqs: SQSClient,
  local: LocalOrchestrator,
  deadline: number,
  onTick: (remaining: number) => void,
): Promise<number> {
  let remaining = Number.POSITIVE_INFINITY;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(500);
    // A delivery EventBridge is still making would land in the queue after it looked empty.
    await local.eventBridge.idle();
    remaining = await depthOf(sqs, local.queueUrl);
    if (remaining === 0 && local.connect.heldCalls === 0) {
      // A call the fault layer hung lands after the worker gave up on it (a send in a queue, a transfer in
      // Connect, an event on the bus): the queue is not drained until every one has.
      await local.seamsSettled();
      await local.eventBridge.idle();
      remaining = await depthOf(sqs, local.queueUrl);
    }
    quiet = remaining === 0 && local.connect.heldCalls === 0 ? quiet + 1 : 0;
    onTick(remaining);
  }
  return remaining;
}

/** Takes every message out of the DLQ, with the token each ran under. */
export async function takeDeadLetters(sqs: SQSClient, url: string): Promise<DeadLetter[]> {
  const deadLetters: DeadLetter[] = [];
  for await (const m of receiveAll(sqs, url, { visibilityTimeout: 600 })) {
    const attributes = stringAttributes(m);
    // A message SQS itself moved carries no attributes of ours: its token is the one the worker derives.
    const parsed = parseTransferRequest(m.Body ?? '', {
      messageId: attributes[DeadLetterAttribute.SourceMessageId] ?? m.MessageId ?? '',
      clientTokenAttribute: attributes[DeadLetterAttribute.ClientToken],
    });
    deadLetters.push({
      messageId: m.MessageId ?? '',
      body: m.Body ?? '',
      attributes,
      clientToken: parsed.ok ? parsed.value.request.ClientToken : undefined,
      receiptHandle: m.ReceiptHandle,
      messageAttributes: m.MessageAttributes,
    });
  }
  return deadLetters;
}

/** The ledger's chains (chain key → tokens holding a reservation), and the tokens it records as ambiguous. */
export async function readLedger(
  dynamodb: DynamoDBClient,
  tableName: string,
): Promise<{ ledger: Map<string, ReadonlySet<string>>; ambiguousTokens: Set<string> }> {
  const ledger = new Map<string, ReadonlySet<string>>();
  const ambiguousTokens = new Set<string>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item.pk?.S ?? '');
      if (pk.startsWith(LedgerKeyPrefix.chain)) ledger.set(pk, new Set(item.tokens?.SS ?? []));
      if (pk.startsWith(LedgerKeyPrefix.request) && item.ambiguousSince)
        ambiguousTokens.add(pk.slice(LedgerKeyPrefix.request.length));
      if (
        process.env.SCENARIO_DEBUG &&
        (pk.startsWith(LedgerKeyPrefix.request) || pk.startsWith(LedgerKeyPrefix.chain))
      )
        process.stderr.write(`ledger ${JSON.stringify(item)}\n`);
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return { ledger, ambiguousTokens };
}

/**
 * Deletes every idempotency record, as DynamoDB's TTL does once `idempotencyTtl` has passed: the ledger is
 * then the only memory of a token on the orchestrator's side. Returns how many it deleted.
 *
 * @example
 * await expireIdempotencyRecords(new DynamoDBClient({ endpoint }), 'idempotency');
 */
export async function expireIdempotencyRecords(dynamodb: DynamoDBClient, tableName: string): Promise<number> {
  let deleted = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { id: item.id as never } }));
      deleted += 1;
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return deleted;
}

/**
 * Moves DLQ messages back to the transfer queue as `StartMessageMoveTask` does: body and message attributes
 * kept, a new message id each. Returns new message id → body.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  deadLetters: readonly DeadLetter[],
  from: string,
  to: string,
  originals?: Map<string, string>,
): Promise<Map<string, string>> {
  const sent = new Map<string, string>();
  for (const dead of deadLetters) {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: to,
        MessageBody: dead.body,
        MessageAttributes: dead.messageAttributes,
      }),
    );
    if (MessageId) sent.set(MessageId, dead.body);
    // A copy SQS moved itself keeps the attributes the worker gave it: its events name the producer's message.
    const original = dead.attributes.OriginalMessageId;
    if (MessageId && original) originals?.set(MessageId, original);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: dead.receiptHandle }));
  }
  return sent;
}
