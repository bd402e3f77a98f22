import {
  SendMessageCommand,
  type SendMessageCommandInput,
  type SendMessageCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { SQSRecord } from 'aws-lambda';
import { carryAttributes, numberAttribute, textAttribute } from './messageAttributes.js';

/** The message attribute counting how many times the worker sent a request back to the queue. */
export const REQUEUES_ATTRIBUTE = 'Requeues';

/** The message attribute carrying when the request first reached the queue (ms), across requeues. */
export const FIRST_SENT_ATTRIBUTE = 'FirstSentTimestamp';

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * How long a request sent back waits before it is visible again: longer each time, at most 15 minutes.
 *
 * @example
 * requeueDelaySeconds(0); // 30
 */
export const requeueDelaySeconds = (requeues: number): number =>
  Math.min(MAX_DELAY_SECONDS, 30 * 2 ** requeues);

/**
 * The message attribute carrying the id of the message the producer sent, across requeues and holds: the
 * request's outcome event names it, whichever copy of the message ended.
 */
export const ORIGINAL_MESSAGE_ATTRIBUTE = 'OriginalMessageId';

/** The id of the message the producer sent: the record's `OriginalMessageId`, or its own id. */
export const originalMessageIdOf = (record: SQSRecord): string =>
  record.messageAttributes?.[ORIGINAL_MESSAGE_ATTRIBUTE]?.stringValue || record.messageId;

/** When a record's request first reached the queue: its `FirstSentTimestamp` (set by a requeue) or its own. */
export function firstSentAtOf(record: SQSRecord): number {
  const carried = Number(record.messageAttributes?.[FIRST_SENT_ATTRIBUTE]?.stringValue);
  const own = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(carried) && carried > 0
    ? carried
    : Number.isFinite(own) && own > 0
      ? own
      : Date.now();
}

/** How many times a record was already sent back (its `Requeues` attribute). */
export const requeuesOf = (record: SQSRecord): number =>
  Number(record.messageAttributes?.[REQUEUES_ATTRIBUTE]?.stringValue ?? 0) || 0;

/** The headers that carry an invocation's trace into SQS (`AWSTraceHeader`) and on to the next invocation. */
const TRACE_HEADERS = ['x-amzn-trace-id', 'traceparent', 'tracestate', 'baggage'];

/** After the SDK's recursion-detection middleware (build step) has added the trace, before signing. */
export const TRACE_CONTEXT_REMOVAL = {
  step: 'finalizeRequest',
  priority: 'high',
  name: 'requeueWithoutTraceContext',
} as const;

/**
 * Drops the invocation's trace context from a requeue. Lambda stops a function that sends the same event
 * back to its own queue more than 16 times (recursive loop detection follows that trace); a requeue is a new
 * round of deliveries on purpose, bounded by `REQUEUE_LIMIT`, so it starts a trace of its own.
 */
export function withoutTraceContext<Input extends object, Output extends object>(): FinalizeRequestMiddleware<
  Input,
  Output
> {
  return (next) => async (args) => {
    const headers = (args.request as { headers?: Record<string, string> }).headers;
    if (headers) {
      for (const name of Object.keys(headers)) {
        if (TRACE_HEADERS.includes(name.toLowerCase())) delete headers[name];
      }
    }
    return next(args);
  };
}

/**
 * Sends a record back to the transfer queue (its body unchanged, a delay, the `ClientToken` it ran under
 * and a `Requeues` count), so a request throttled on its last allowed delivery starts a new round of
 * deliveries instead of going to the DLQ. The new message has a new id: the token attribute keeps a
 * derived token the same. The requeue carries no trace context, so Lambda's recursive-loop detection (which
 * stops an event after 16 hops through the same queue) never mistakes the requeue path for a loop, whatever
 * `REQUEUE_LIMIT` is.
 */
export class RequeueSender {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Sends the record back.
   *
   * @example
   * await requeue.send(record, 'token-1');
   */
  async send(record: SQSRecord, clientToken: string): Promise<void> {
    const requeues = requeuesOf(record);
    const command = new SendMessageCommand({
      QueueUrl: this.queueUrl,
      MessageBody: record.body,
      DelaySeconds: requeueDelaySeconds(requeues),
      MessageAttributes: carryAttributes(record, {
        ClientToken: textAttribute(clientToken),
        [REQUEUES_ATTRIBUTE]: numberAttribute(requeues + 1),
        [FIRST_SENT_ATTRIBUTE]: numberAttribute(firstSentAtOf(record)),
        [ORIGINAL_MESSAGE_ATTRIBUTE]: textAttribute(originalMessageIdOf(record)),
      }),
    });
    command.middlewareStack.add(
      withoutTraceContext<SendMessageCommandInput, SendMessageCommandOutput>(),
      TRACE_CONTEXT_REMOVAL,
    );
    await this.client.send(command);
  }
}
