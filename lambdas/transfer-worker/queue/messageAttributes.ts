import type { MessageAttributeValue, MessageSystemAttributeValue } from '@aws-sdk/client-sqs';
import type { FinalizeRequestMiddleware, MetadataBearer, RelativeMiddlewareOptions } from '@smithy/types';
import type { SQSRecord } from 'aws-lambda';
import { DEAD_LETTER_REASON_ATTRIBUTES, DeadLetterAttribute } from '../../../src/contract/index.js';
import { ErrorClass, type Failure, SCHEDULE_HORIZON_MS } from '../../../src/domain/index.js';
import { passedOnTraceHeader } from '../../../src/tracing/traceHeader.js';

/** SQS accepts at most 10 message attributes per message. */
const MAX_ATTRIBUTES = 10;

/**
 * The attributes the worker puts on its own copies of a request (held for a slot, sent back, dead-lettered).
 * They are read back only from a copy the worker sent itself ({@link isOwnCopy}): a producer can set any
 * attribute, so on any other message they are ignored.
 */
export const CopyAttribute = {
  /** The token the request runs under (also honoured from producers: it only names their own request). */
  ClientToken: 'ClientToken',
  /** How many times the worker sent the request back to the queue. */
  Requeues: 'Requeues',
  /** When the request first reached the queue (ms), across copies. */
  FirstSentTimestamp: 'FirstSentTimestamp',
  /** The id of the message the producer sent, across copies: the outcome event names it. */
  OriginalMessageId: 'OriginalMessageId',
  /** The request's slot in the deployment's schedule (ms). */
  SlotAt: 'SlotAt',
  /** The schedule's epoch the slot was booked in. */
  SlotEpoch: 'SlotEpoch',
  /** A copy kept only to announce the end of this dead-lettered message: it never runs. */
  DeadLetteredAs: 'DeadLetteredAs',
} as const;

// Characters SQS accepts in a body and a String attribute value (its API reference): a String attribute
// obeys the body's rules, and a send with any other character is refused whole (InvalidMessageContents).
const isSqsCodePoint = (c: number): boolean =>
  c === 0x9 ||
  c === 0xa ||
  c === 0xd ||
  (c >= 0x20 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd) ||
  (c >= 0x10000 && c <= 0x10ffff);

/**
 * Text SQS accepts as a String attribute value: every character it refuses (a control character, a lone
 * surrogate, U+FFFE) becomes U+FFFD, an empty value `-`, and a value longer than `maxChars` is cut without
 * splitting a surrogate pair.
 *
 * @example
 * sqsText('a\u0001b'); // 'a\uFFFDb'
 */
export function sqsText(value: string, maxChars = Number.POSITIVE_INFINITY): string {
  let out = '';
  for (const char of value) {
    const next = isSqsCodePoint(char.codePointAt(0) ?? 0) ? char : '\uFFFD';
    if (out.length + next.length > maxChars) break;
    out += next;
  }
  return out || '-';
}

/** Whether SQS takes `value` as it is (a body, or a String attribute value). */
export const isSqsText = (value: string): boolean => value.length > 0 && sqsText(value) === value;

/** A string attribute, made valid for SQS. */
export const textAttribute = (value: string, maxChars?: number): MessageAttributeValue => ({
  DataType: 'String',
  StringValue: sqsText(value, maxChars),
});

/** A number attribute. */
export const numberAttribute = (value: number | string): MessageAttributeValue => ({
  DataType: 'Number',
  StringValue: String(value),
});

// SQS's rules for an attribute's name (its API reference): letters, digits, `_`, `-`, `.`; no leading or
// trailing period, no two in a row, no `AWS.`/`Amazon.` prefix, at most 256 characters.
const isSqsAttributeName = (name: string): boolean =>
  /^[A-Za-z0-9_\-.]{1,256}$/.test(name) &&
  !name.startsWith('.') &&
  !name.endsWith('.') &&
  !name.includes('..') &&
  !/^(aws|amazon)\./i.test(name);

/** The bytes SQS counts for a message: its body and each attribute's name, type and value. */
export function messageBytes(
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    bytes += value.BinaryValue
      ? value.BinaryValue.byteLength
      : Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return bytes;
}

/** What a copy of a record carries and within which size. */
export interface CopyPlan {
  /**
   * The worker's own attributes, most important first (what changes what the worker does with the copy:
   * `DeadLetteredAs`, `Requeues`, the token, the slot): kept before any of the producer's, and left out
   * from the last when the body leaves too little room.
   */
  readonly own: Readonly<Record<string, MessageAttributeValue>>;
  /** The queue's maximum message size (bytes), body and attributes together. */
  readonly maxBytes: number;
  /**
   * An own attribute that may be cut short to fit (the error message of a dead letter): cut before any
   * other own attribute is left out.
   */
  readonly shrinkable?: string;
}

/**
 * The attributes of a copy of `record` the worker sends (to the DLQ, or back to the queue): its own first,
 * then the producer's (Lambda hands them over camel-cased; SQS takes them Pascal-cased), always valid for SQS
 * whatever the producer sent: at most 10, names SQS accepts, values of characters it accepts, and body and
 * attributes within `maxBytes`, leaving out the producer's first, then shortening the shrinkable one, then
 * the least important of the worker's own. Never carried: the reason of an earlier trip to the DLQ
 * ({@link DEAD_LETTER_REASON_ATTRIBUTES}: a copy SQS later moves to the DLQ by itself must not claim a reason
 * it did not fail with), and any {@link CopyAttribute} the copy does not set itself (a producer may have
 * forged it, and the copy is sent by the worker, whose copies are believed).
 *
 * @example
 * const attributes = copyAttributes(record, { own: { ClientToken: textAttribute('token-1') }, maxBytes: 262_144 });
 */
export function copyAttributes(record: SQSRecord, plan: CopyPlan): Record<string, MessageAttributeValue> {
  // A copy attribute the copy does not set itself is never carried: on a producer's message it is forged.
  const dropped = new Set<string>([...Object.values(CopyAttribute), ...DEAD_LETTER_REASON_ATTRIBUTES]);
  const own = Object.entries(plan.own);
  const carried = Object.entries(record.messageAttributes ?? {})
    .filter(([name]) => !(name in plan.own) && !dropped.has(name) && isSqsAttributeName(name))
    .flatMap(([name, value]): [string, MessageAttributeValue][] => {
      if (value.binaryValue !== undefined)
        return [[name, { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }]];
      if (value.stringValue === undefined || !isSqsText(value.stringValue)) return [];
      return [[name, { DataType: value.dataType, StringValue: value.stringValue }]];
    });
  const body = record.body || '-';
  const chosen = [...own, ...carried].slice(0, MAX_ATTRIBUTES);
  const fits = () => messageBytes(body, Object.fromEntries(chosen)) <= plan.maxBytes;
  while (!fits() && chosen.length > own.length) chosen.pop();
  if (!fits() && plan.shrinkable) shrink(chosen, plan.shrinkable, body, plan.maxBytes);
  while (!fits() && chosen.length > 0) chosen.pop();
  return Object.fromEntries(chosen);
}

/** Cuts the named attribute's value so body and attributes fit in `maxBytes` (to `-` at the least). */
function shrink(
  chosen: [string, MessageAttributeValue][],
  name: string,
  body: string,
  maxBytes: number,
): void {
  const index = chosen.findIndex(([candidate]) => candidate === name);
  const entry = chosen[index];
  if (!entry?.[1].StringValue) return;
  const others = messageBytes(body, Object.fromEntries(chosen.filter((_, i) => i !== index)));
  const room = maxBytes - others - Buffer.byteLength(name) - Buffer.byteLength(entry[1].DataType ?? '');
  let value = entry[1].StringValue;
  // Each character is at most 4 bytes in UTF-8: cut by characters until the bytes fit.
  while (value.length > 1 && Buffer.byteLength(value) > room)
    value = sqsText(value, Math.floor(value.length / 2));
  chosen[index] = [name, { ...entry[1], StringValue: value }];
}

/**
 * Whether a record is one of the worker's own copies: SQS stamps every message with its sender's identity
 * (`SenderId`: for a role's session `<role id>:<session name>`), which no producer can set, and the worker's
 * copies are sent by its own role. The worker trusts its copy attributes on these records only.
 *
 * @example
 * isOwnCopy(record, 'AROAEXAMPLE'); // true when SenderId is 'AROAEXAMPLE:transfer-worker'
 */
export function isOwnCopy(record: SQSRecord, workerRoleId: string | undefined): boolean {
  const sender = record.attributes?.SenderId;
  if (!workerRoleId || !sender) return false;
  return sender === workerRoleId || sender.startsWith(`${workerRoleId}:`);
}

/** A slot a request carries. */
export interface CarriedSlot {
  readonly at: number;
  readonly epoch: number;
}

/** What a record's copy attributes say, checked: the defaults for a producer's message. */
export interface CopyFacts {
  /** Whether the record is the worker's own copy (its copy attributes are believed). */
  readonly ownCopy: boolean;
  readonly requeues: number;
  /** When the request first reached the queue (ms). */
  readonly firstSentAt: number;
  /** The id of the message the producer sent. */
  readonly originalMessageId: string;
  readonly slot?: CarriedSlot;
  /** Set on a copy kept only to announce that message's dead letter. */
  readonly deadLetteredAs?: string;
  /** The reason an announce-only copy announces (it carries it, so it needs no other record). */
  readonly announces?: Failure;
}

const CLASSES = new Set<string>(Object.values(ErrorClass));

/** The reason an announce-only copy carries, if whole. */
function announcedFailure(read: (name: string) => string | undefined): Failure | undefined {
  const errorClass = read(DeadLetterAttribute.ErrorClass);
  const code = read(DeadLetterAttribute.ErrorCode);
  if (!errorClass || !CLASSES.has(errorClass) || !code) return undefined;
  return {
    errorClass: errorClass as Failure['errorClass'],
    code,
    message: read(DeadLetterAttribute.ErrorMessage) ?? '',
  };
}

/** How long SQS keeps a message at most (14 days): no request of ours is older. */
const MAX_AGE_MS = 14 * 86_400_000;
/** SQS message ids are UUIDs; a copy's carried id must look like one. */
const MESSAGE_ID = /^[A-Za-z0-9-]{1,100}$/;

/**
 * Reads a record's copy attributes, believing them only on the worker's own copies and only within their
 * ranges (a whole number of requeues, a first send within SQS's retention, a slot within the schedule's
 * horizon); anything else falls back to what the record itself says.
 *
 * @example
 * copyFactsOf(record, 'AROAEXAMPLE', Date.now()).requeues; // 0 for a producer's message
 */
export function copyFactsOf(record: SQSRecord, workerRoleId: string | undefined, now: number): CopyFacts {
  const sentAt = Number(record.attributes?.SentTimestamp);
  const ownSentAt = Number.isFinite(sentAt) && sentAt > 0 ? sentAt : now;
  const base: CopyFacts = {
    ownCopy: false,
    requeues: 0,
    firstSentAt: ownSentAt,
    originalMessageId: record.messageId,
  };
  if (!isOwnCopy(record, workerRoleId)) return base;
  const read = (name: string) => record.messageAttributes?.[name]?.stringValue;
  const requeues = Number(read(CopyAttribute.Requeues) ?? 0);
  const firstSent = Number(read(CopyAttribute.FirstSentTimestamp));
  const original = read(CopyAttribute.OriginalMessageId) ?? '';
  // Slots are booked at fractions of a millisecond once a throttle lowered the rate: rounded up, never refused
  // (a slot refused is booked again at the schedule's end, and the copy held again and again).
  const at = Math.ceil(Number(read(CopyAttribute.SlotAt)));
  const epoch = Number(read(CopyAttribute.SlotEpoch));
  const deadLetteredAs = read(CopyAttribute.DeadLetteredAs);
  const announces = deadLetteredAs ? announcedFailure(read) : undefined;
  const slotValid =
    Number.isInteger(at) &&
    Math.abs(at - now) <= SCHEDULE_HORIZON_MS * 2 &&
    Number.isInteger(epoch) &&
    epoch >= 0;
  return {
    ownCopy: true,
    requeues: Number.isInteger(requeues) && requeues >= 0 ? Math.min(requeues, 1_000_000) : 0,
    firstSentAt:
      Number.isFinite(firstSent) && firstSent <= ownSentAt && firstSent >= ownSentAt - MAX_AGE_MS
        ? firstSent
        : ownSentAt,
    originalMessageId: MESSAGE_ID.test(original) ? original : record.messageId,
    ...(slotValid && { slot: { at, epoch } }),
    ...(deadLetteredAs &&
      MESSAGE_ID.test(deadLetteredAs) && { deadLetteredAs, ...(announces && { announces }) }),
  };
}

/**
 * What every copy carries on of the request after its own deciding attributes: the token it runs under and
 * where it started (the producer's message, its first send), so the outcome names the right message.
 *
 * @example
 * copyAttributes(record, { own: { [CopyAttribute.Requeues]: numberAttribute(1), ...carriedFacts(facts, token) }, maxBytes });
 */
export function carriedFacts(
  facts: CopyFacts,
  clientToken: string | undefined,
): Record<string, MessageAttributeValue> {
  return {
    ...(clientToken && { [CopyAttribute.ClientToken]: textAttribute(clientToken) }),
    [CopyAttribute.OriginalMessageId]: textAttribute(facts.originalMessageId),
    [CopyAttribute.FirstSentTimestamp]: numberAttribute(facts.firstSentAt),
  };
}

/**
 * The system attribute that keeps a copy in its producer's trace: the record's `AWSTraceHeader`, read
 * strictly and passed on without `Lineage`, the counter Lambda's recursive-loop detection increments per
 * hop. A copy is a new round on purpose (a hold until its slot, a requeue bounded by `REQUEUE_LIMIT`), so it
 * keeps the trace a person follows while the loop counter starts again (DESIGN.md, "Tracing"). Not counted in
 * the message's size by SQS. None for a record without a well-formed header.
 *
 * @example
 * new SendMessageCommand({ QueueUrl, MessageBody, ...copyTrace(record) });
 */
export function copyTrace(record: SQSRecord): {
  MessageSystemAttributes?: Record<string, MessageSystemAttributeValue>;
} {
  const header = passedOnTraceHeader(record.attributes?.AWSTraceHeader);
  return header
    ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: header } } }
    : {};
}

/** The headers that carry an invocation's trace into SQS (`AWSTraceHeader`) and on to the next invocation. */
const TRACE_HEADERS = new Set(['x-amzn-trace-id', 'traceparent', 'tracestate', 'baggage']);

/**
 * Drops the invocation's trace context (the HTTP headers the SDK adds from Lambda's environment, with Lambda's
 * `Lineage` counter) from a copy's send. Lambda stops an event sent back to its own queue more than 16 times
 * (recursive loop detection counts hops in `Lineage`); a copy is a new round of deliveries on purpose,
 * bounded by `REQUEUE_LIMIT` or its slot, so its counter starts again, and a dead letter redriven later
 * starts clean too. The copy keeps its record's trace (`copyTrace`). Removed before the request is signed:
 * SigV4 signs `traceparent`, `tracestate` and `baggage`, and a signed header gone missing is refused.
 *
 * @example
 * const command = new SendMessageCommand({ … });
 * dropInvocationTrace(command);
 */
export function dropInvocationTrace(command: {
  middlewareStack: { addRelativeTo(middleware: never, options: RelativeMiddlewareOptions): void };
}): void {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const headers = (args.request as { headers?: Record<string, string> }).headers;
    if (headers) {
      for (const name of Object.keys(headers))
        if (TRACE_HEADERS.has(name.toLowerCase())) delete headers[name];
    }
    return next(args);
  };
  command.middlewareStack.addRelativeTo(middleware as never, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: 'copyWithoutInvocationTrace',
  });
}
