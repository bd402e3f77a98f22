import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { parseTransferRequest } from '../../src/request/index.js';

/** Options of one SQS record. */
export interface RecordOptions {
  messageId?: string;
  receiveCount?: number;
  messageAttributes?: SQSMessageAttributes;
  /** SQS's `SenderId`: {@link WORKER_SENDER_ID} for a copy the worker sent itself. @default a producer */
  senderId?: string;
}

/** The worker role's id the harness configures (`WORKER_ROLE_ID`): the worker believes its copies. */
export const WORKER_ROLE_ID = 'AROAWORKERTEST';
/** The `SenderId` SQS stamps on what the worker's role sends. */
export const WORKER_SENDER_ID = `${WORKER_ROLE_ID}:transfer-worker`;

/** Builds an SQS record as the Lambda event source delivers it. */
export function sqsRecord(body: unknown, options: RecordOptions = {}): SQSRecord {
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: options.senderId ?? 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: options.messageAttributes ?? {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:transfer-requests',
    awsRegion: 'us-east-1',
  };
}

/** Wraps records in an SQS event. */
export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A Lambda context whose remaining time counts down from `remainingMs`. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'transfer-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:transfer-worker',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/transfer-worker',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A valid queue transfer request for the seeded sample instance. */
export const queueTransfer = (overrides: Record<string, unknown> = {}) => ({
  InstanceId: 'instance-1',
  ContactId: 'task-1',
  ContactFlowId: 'flow-queue',
  QueueId: 'queue-1',
  ...overrides,
});

/** An EventBridge event of detail-type `Transfer Contact Requested`, as the stack's rule delivers it. */
export const transferRequestedEvent = (detail: unknown, overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'event-1',
  'detail-type': 'Transfer Contact Requested',
  source: 'crm.example',
  account: '123456789012',
  time: '2026-11-29T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...overrides,
});

/** The token the worker derives for a record whose body carries none (from the request's content). */
export function derivedToken(record: SQSRecord): string {
  const parsed = parseTransferRequest(record.body, { messageId: record.messageId });
  if (!parsed.ok) throw new Error(`not a valid request: ${parsed.rejection.message}`);
  return parsed.value.request.ClientToken;
}
