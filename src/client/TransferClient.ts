import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  type MessageSystemAttributeValue,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  TRANSFER_REQUESTED_DETAIL_TYPE,
  type TransferContactInput,
  TransferContactInputSchema,
  type TransferRequest,
} from '../request/index.js';
import { readTransferStatus } from '../status/readTransferStatus.js';
import { passedOnTraceHeader } from '../tracing/traceHeader.js';
import { type TransferOutcome, type WaitOptions, waitForOutcome } from './waitForOutcome.js';

/** A request the shared schema rejected; nothing was sent. */
export class TransferRequestValidationError extends Error {
  constructor(public readonly issues: readonly string[]) {
    super(`invalid transfer request: ${issues.join('; ')}`);
    this.name = 'TransferRequestValidationError';
  }
}

/**
 * Validates a request with the schema the worker uses and gives it a `ClientToken` if it has none, so the
 * token is known before sending and a retried send cannot transfer twice.
 *
 * @throws {TransferRequestValidationError} naming each invalid field.
 * @example
 * prepareTransferRequest({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }).ClientToken; // a new UUID
 */
export function prepareTransferRequest(input: unknown): TransferRequest {
  const parsed = TransferContactInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new TransferRequestValidationError(
      parsed.error.issues.map((issue) =>
        issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
      ),
    );
  }
  return { ...parsed.data, ClientToken: parsed.data.ClientToken ?? randomUUID() };
}

/** One request's result in a batch. */
export type BatchEntryResult =
  | { readonly index: number; readonly ok: true; readonly clientToken: string; readonly id: string }
  | {
      readonly index: number;
      readonly ok: false;
      readonly clientToken?: string;
      readonly code: string;
      readonly message: string;
    };

/** Where and how the client sends. */
export interface TransferClientOptions {
  /** The transfer queue. @default process.env.TRANSFER_QUEUE_URL */
  readonly queueUrl?: string;
  /** The bus with the `Transfer Contact Requested` rule. @default process.env.TRANSFER_EVENT_BUS_NAME */
  readonly eventBusName?: string;
  /** The `source` of published events. @default 'connect-transfer-orchestrator.client' */
  readonly eventSource?: string;
  /** @default - a client from the SDK's standard chain (region, credentials, AWS_ENDPOINT_URL_SQS) */
  readonly sqs?: SQSClient;
  /** @default - a client from the SDK's standard chain */
  readonly eventBridge?: EventBridgeClient;
  /** Attempts for a batch entry SQS or EventBridge failed on its side. @default 3 */
  readonly maxAttempts?: number;
  /** For {@link TransferClient.waitForOutcome}. @default process.env.TRANSFER_IDEMPOTENCY_TABLE */
  readonly idempotencyTableName?: string;
  /** For {@link TransferClient.waitForOutcome}. @default process.env.TRANSFER_LEDGER_TABLE */
  readonly ledgerTableName?: string;
  /** @default - a client from the SDK's standard chain */
  readonly dynamodb?: DynamoDBClient;
  /**
   * The X-Ray trace each send continues, asked at every send: SQS's `AWSTraceHeader` on messages,
   * `TraceHeader` on events. The orchestrator carries it to the `TransferContact` call and the outcome event.
   * A malformed header is refused before anything is sent.
   * @default - what the SDK sends (in Lambda, the invocation's trace; elsewhere, X-Ray's if it is set up)
   */
  readonly traceHeader?: () => string | undefined;
}

const BATCH_SIZE = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends transfer requests to the orchestrator: one or many to its queue, or as events to its bus. Every
 * request is validated with the worker's schema before anything is sent, and gets a `ClientToken`;
 * the tokens used are returned, so a caller can retry or ask for the outcome.
 *
 * @example
 * const client = new TransferClient({ queueUrl });
 * const { clientToken } = await client.enqueue({ InstanceId, ContactId, ContactFlowId, QueueId });
 */
export class TransferClient {
  readonly #options: TransferClientOptions;
  #sqs: SQSClient | undefined;
  #eventBridge: EventBridgeClient | undefined;
  #dynamodb: DynamoDBClient | undefined;

  constructor(options: TransferClientOptions = {}) {
    this.#options = options;
    this.#sqs = options.sqs;
    this.#eventBridge = options.eventBridge;
    this.#dynamodb = options.dynamodb;
  }

  /**
   * Waits for a request's outcome: the new ContactId and ContactArn once it transferred, as
   * `aws connect transfer-contact` answers. Reads its status (two DynamoDB reads a time, more seldom as
   * the wait goes on; `grantReadStatus` allows them).
   *
   * Give it the request (with its `ClientToken`, as {@link prepareTransferRequest} or {@link enqueue} made
   * it) rather than the token alone whenever you have it: the token's records are then compared with the
   * request, and a token that another request (other contact, queue, user or flow) used is reported as the
   * reuse it is (`TransferRejectedError`, `IdempotentParameterMismatch`), as the worker refuses it, never
   * answered with that other request's transfer. Given a token alone, it answers what the token's records
   * say, whichever request wrote them.
   *
   * The wait is for one send: a rejection recorded before it (`options.sentAt`, by default when the wait
   * begins) is an earlier send's under the token, and the wait goes on for this send's outcome. Started
   * after the send, give `sentAt` (the time just before the send) so that a rejection in between is taken.
   *
   * @throws {TransferRejectedError} when the request was dead-lettered (with the reason), or its token is
   *   another request's.
   * @throws {TransferWaitTimeoutError} when no outcome came in time (the request may still transfer).
   * @example
   * const { ContactId } = await client.waitForOutcome(request, { timeoutMs: 30_000 });
   * const sentAt = Date.now();
   * const { messageId } = await client.enqueue(request);
   * await client.waitForOutcome(request, { sentAt, messageId }); // this send's outcome, not an earlier one's
   * const outcome = await client.waitForOutcome('case-42'); // the token's outcome, whichever request it was
   */
  async waitForOutcome(
    clientTokenOrRequest: string | TransferRequest,
    options: WaitOptions = {},
  ): Promise<TransferOutcome> {
    const tables = {
      idempotencyTableName:
        this.#options.idempotencyTableName ?? process.env.TRANSFER_IDEMPOTENCY_TABLE ?? '',
      ledgerTableName: this.#options.ledgerTableName ?? process.env.TRANSFER_LEDGER_TABLE ?? '',
    };
    if (!tables.idempotencyTableName || !tables.ledgerTableName)
      throw new Error(
        'waitForOutcome needs idempotencyTableName and ledgerTableName (or TRANSFER_IDEMPOTENCY_TABLE and TRANSFER_LEDGER_TABLE)',
      );
    this.#dynamodb ??= new DynamoDBClient({});
    const dynamodb = this.#dynamodb;
    const clientToken =
      typeof clientTokenOrRequest === 'string' ? clientTokenOrRequest : clientTokenOrRequest.ClientToken;
    return waitForOutcome(
      () => readTransferStatus(dynamodb, tables, clientTokenOrRequest),
      clientToken,
      options,
    );
  }

  /**
   * Enqueues one request and waits for its outcome: the synchronous feel of `aws connect transfer-contact`
   * with the orchestrator's guarantees (cap, idempotency, retries). The wait is for this request: a
   * `ClientToken` that another request used is reported as the reuse, never with that request's outcome.
   * And for this send: an earlier send's rejection under the token (recorded before this send) is not its
   * answer; the wait goes on for this send's outcome.
   *
   * @throws {TransferRequestValidationError} when the request is invalid (nothing is sent).
   * @throws {TransferRejectedError} / {@link TransferWaitTimeoutError}, as {@link waitForOutcome}.
   * @example
   * const { ContactId, ContactArn } = await client.enqueueAndWait({ InstanceId, ContactId, ContactFlowId, QueueId });
   */
  async enqueueAndWait(
    input: TransferContactInput,
    options: WaitOptions = {},
  ): Promise<TransferOutcome & { clientToken: string }> {
    const request = prepareTransferRequest(input);
    // Taken before the send: a rejection recorded since is this send's; one before, an earlier send's.
    const sentAt = Date.now();
    const { clientToken, messageId } = await this.enqueue(request);
    const send = { sentAt: options.sentAt ?? sentAt, messageId: options.messageId ?? messageId };
    return { ...(await this.waitForOutcome(request, { ...options, ...send })), clientToken };
  }

  /**
   * Enqueues one request.
   *
   * @throws {TransferRequestValidationError} when the request is invalid (nothing is sent).
   * @example
   * await client.enqueue({ InstanceId, ContactId, ContactFlowId, UserId, ClientToken: 'case-42' });
   */
  async enqueue(input: TransferContactInput): Promise<{ clientToken: string; messageId: string }> {
    const request = prepareTransferRequest(input);
    const { MessageId = '' } = await this.#sqsClient().send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl(),
        MessageBody: JSON.stringify(request),
        ...this.#messageTrace(),
      }),
    );
    return { clientToken: request.ClientToken, messageId: MessageId };
  }

  /**
   * Enqueues many requests in batches of 10. Invalid requests are reported (and not sent); entries SQS
   * fails on its side are retried; each request's result is returned at its index.
   *
   * @example
   * const results = await client.enqueueMany(requests);
   * const failed = results.filter((r) => !r.ok);
   */
  async enqueueMany(inputs: readonly unknown[]): Promise<BatchEntryResult[]> {
    const trace = this.#messageTrace();
    return this.#sendBatched(inputs, async (batch) => {
      const { Successful = [], Failed = [] } = await this.#sqsClient().send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl(),
          Entries: batch.map(({ index, request }) => ({
            Id: String(index),
            MessageBody: JSON.stringify(request),
            ...trace,
          })),
        }),
      );
      return [
        ...Successful.map((entry) => ({ index: Number(entry.Id), id: entry.MessageId ?? '' })),
        ...Failed.map((entry) => ({
          index: Number(entry.Id),
          code: entry.Code ?? 'Unknown',
          message: entry.Message ?? '',
          retryable: !entry.SenderFault,
        })),
      ];
    });
  }

  /**
   * Publishes requests as `Transfer Contact Requested` events, in batches of 10 (PutEvents' limit).
   *
   * @example
   * const results = await client.publish(requests);
   */
  async publish(inputs: readonly unknown[]): Promise<BatchEntryResult[]> {
    const eventBusName = this.#options.eventBusName ?? process.env.TRANSFER_EVENT_BUS_NAME;
    if (!eventBusName) throw new Error('no event bus: pass eventBusName or set TRANSFER_EVENT_BUS_NAME');
    const traceHeader = this.#traceHeader();
    return this.#sendBatched(inputs, async (batch) => {
      const entries: PutEventsRequestEntry[] = batch.map(({ request }) => ({
        EventBusName: eventBusName,
        Source: this.#options.eventSource ?? 'connect-transfer-orchestrator.client',
        DetailType: TRANSFER_REQUESTED_DETAIL_TYPE,
        Detail: JSON.stringify(request),
        ...(traceHeader && { TraceHeader: traceHeader }),
      }));
      const { Entries = [] } = await this.#eventBridgeClient().send(
        new PutEventsCommand({ Entries: entries }),
      );
      // PutEvents answers entry by entry, in order.
      return batch.map(({ index }, n) => {
        const entry = Entries[n];
        return entry?.EventId
          ? { index, id: entry.EventId }
          : {
              index,
              code: entry?.ErrorCode ?? 'Unknown',
              message: entry?.ErrorMessage ?? '',
              retryable: entry?.ErrorCode !== 'MalformedDetail' && entry?.ErrorCode !== 'ValidationException',
            };
      });
    });
  }

  /**
   * The trace header the caller asked for, checked (SQS refuses a malformed one) and sent with X-Ray's fields
   * only: never Lambda's `Lineage` hop counter, and well within EventBridge's 500 characters.
   */
  #traceHeader(): string | undefined {
    const header = this.#options.traceHeader?.();
    if (header === undefined) return undefined;
    const passedOn = passedOnTraceHeader(header);
    if (passedOn === undefined)
      throw new Error(
        `not an X-Ray trace header (Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1): ${header}`,
      );
    return passedOn;
  }

  #messageTrace(): { MessageSystemAttributes?: Record<string, MessageSystemAttributeValue> } {
    const header = this.#traceHeader();
    return header
      ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: header } } }
      : {};
  }

  async #sendBatched(
    inputs: readonly unknown[],
    send: (
      batch: { index: number; request: TransferRequest }[],
    ) => Promise<
      ({ index: number; id: string } | { index: number; code: string; message: string; retryable: boolean })[]
    >,
  ): Promise<BatchEntryResult[]> {
    const results: BatchEntryResult[] = new Array(inputs.length);
    let pending: { index: number; request: TransferRequest }[] = [];
    inputs.forEach((input, index) => {
      try {
        pending.push({ index, request: prepareTransferRequest(input) });
      } catch (error) {
        const issues =
          error instanceof TransferRequestValidationError ? error.issues.join('; ') : String(error);
        results[index] = { index, ok: false, code: 'InvalidRequest', message: issues };
      }
    });
    const maxAttempts = this.#options.maxAttempts ?? 3;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const retry: typeof pending = [];
      for (let i = 0; i < pending.length; i += BATCH_SIZE) {
        const batch = pending.slice(i, i + BATCH_SIZE);
        for (const outcome of await send(batch)) {
          const entry = batch.find((b) => b.index === outcome.index);
          if (!entry) continue;
          const clientToken = entry.request.ClientToken;
          if ('id' in outcome) {
            results[outcome.index] = { index: outcome.index, ok: true, clientToken, id: outcome.id };
          } else if (outcome.retryable && attempt < maxAttempts) {
            retry.push(entry);
          } else {
            results[outcome.index] = {
              index: outcome.index,
              ok: false,
              clientToken,
              code: outcome.code,
              message: outcome.message,
            };
          }
        }
      }
      pending = retry;
      if (pending.length > 0) await sleep(100 * 2 ** attempt);
    }
    return results;
  }

  #queueUrl(): string {
    const url = this.#options.queueUrl ?? process.env.TRANSFER_QUEUE_URL;
    if (!url) throw new Error('no queue: pass queueUrl or set TRANSFER_QUEUE_URL');
    return url;
  }

  #sqsClient(): SQSClient {
    // The configured endpoint wins over the queue URL's host: the same host in AWS, and the only one that
    // resolves for a local SQS whose queue URLs name `sqs.<region>.localhost`.
    this.#sqs ??= new SQSClient({ useQueueUrlAsEndpoint: false });
    return this.#sqs;
  }

  #eventBridgeClient(): EventBridgeClient {
    this.#eventBridge ??= new EventBridgeClient({});
    return this.#eventBridge;
  }
}
