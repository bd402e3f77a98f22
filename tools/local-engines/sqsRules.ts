/**
 * What Amazon SQS refuses in a request, as plain functions over the request's JSON input (the AWS JSON 1.0
 * protocol's body) and the queue's `MaximumMessageSize`. No I/O: the `RealisticSqsProxy` reads the
 * queue's maximum and answers the refusals; these functions only decide.
 *
 * Sources, all the SQS API reference or the Developer Guide unless said otherwise: SendMessage (body
 * characters, `DelaySeconds` 0–900), MessageAttributeValue (a String value obeys the body's rules; name,
 * type and value count toward the size and must not be empty), "Message metadata" (attribute names, at
 * most 10 attributes, Number range), SendMessageBatchRequestEntry (entry Ids), ChangeMessageVisibility
 * (0–43200).
 */

import { parseTraceHeader } from '../../src/tracing/traceHeader.js';

/**
 * An SQS error code this module can answer, as the SDK names the error (`error.name`).
 *
 * @example
 * if (refusal?.code === SqsErrorCode.InvalidMessageContents) dropTheCharacter();
 */
export const SqsErrorCode = {
  InvalidMessageContents: 'InvalidMessageContents',
  InvalidParameterValue: 'InvalidParameterValue',
  MissingParameter: 'MissingParameter',
  EmptyBatchRequest: 'EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'TooManyEntriesInBatchRequest',
  InvalidBatchEntryId: 'InvalidBatchEntryId',
  BatchEntryIdsNotDistinct: 'BatchEntryIdsNotDistinct',
  BatchRequestTooLong: 'BatchRequestTooLong',
} as const;

/**
 * One of {@link SqsErrorCode}'s values.
 *
 * @example
 * const code: SqsErrorCode = 'BatchRequestTooLong';
 */
export type SqsErrorCode = (typeof SqsErrorCode)[keyof typeof SqsErrorCode];

/**
 * What SQS answers when it refuses a request, or one entry of a batch.
 *
 * @example
 * const refusal: SqsRefusal = { code: 'EmptyBatchRequest', queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', message: '…' };
 */
export interface SqsRefusal {
  /** The error code: the SDK's `error.name`, or a batch entry's `Code` in `Failed`. */
  readonly code: SqsErrorCode;
  /**
   * The code SQS puts in the `x-amzn-query-error` header (its older query protocol's code): the batch
   * errors carry an `AWS.SimpleQueueService.` prefix there, as the SDK's service model says.
   */
  readonly queryCode: string;
  readonly message: string;
}

/**
 * A message attribute as the JSON protocol carries it (`BinaryValue` in base64).
 *
 * @example
 * const attribute: MessageAttributeInput = { DataType: 'Number.int', StringValue: '3' };
 */
export interface MessageAttributeInput {
  readonly DataType?: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/**
 * The parts of a `SendMessage` input (or of one `SendMessageBatch` entry) that SQS checks.
 *
 * @example
 * const input: SendMessageInput = { MessageBody: '{}', DelaySeconds: 5 };
 */
export interface SendMessageInput {
  readonly MessageBody?: string;
  readonly DelaySeconds?: number;
  readonly MessageAttributes?: Readonly<Record<string, MessageAttributeInput>>;
  readonly MessageSystemAttributes?: Readonly<Record<string, MessageAttributeInput>>;
}

/**
 * One `SendMessageBatch` entry.
 *
 * @example
 * const entry: SendMessageBatchEntryInput = { Id: 'first', MessageBody: '{}' };
 */
export interface SendMessageBatchEntryInput extends SendMessageInput {
  readonly Id?: string;
}

/**
 * The parts of a `SendMessageBatch` input that SQS checks as a whole.
 *
 * @example
 * const input: SendMessageBatchInput = { Entries: [{ Id: 'first', MessageBody: '{}' }] };
 */
export interface SendMessageBatchInput {
  readonly Entries?: readonly SendMessageBatchEntryInput[];
}

/**
 * The parts of a `ChangeMessageVisibility` input that SQS checks.
 *
 * @example
 * const input: ChangeMessageVisibilityInput = { VisibilityTimeout: 60 };
 */
export interface ChangeMessageVisibilityInput {
  readonly VisibilityTimeout?: number;
}

const QUERY_PREFIXED: ReadonlySet<SqsErrorCode> = new Set<SqsErrorCode>([
  SqsErrorCode.EmptyBatchRequest,
  SqsErrorCode.TooManyEntriesInBatchRequest,
  SqsErrorCode.InvalidBatchEntryId,
  SqsErrorCode.BatchEntryIdsNotDistinct,
  SqsErrorCode.BatchRequestTooLong,
]);

const refusal = (code: SqsErrorCode, message: string): SqsRefusal => ({
  code,
  queryCode: QUERY_PREFIXED.has(code) ? `AWS.SimpleQueueService.${code}` : code,
  message,
});

// The body's characters are XML 1.0's: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
// A lone surrogate (half of a UTF-16 pair) is none of them, so code points are read, not code units.
const isAllowedCodePoint = (point: number): boolean =>
  point === 0x9 ||
  point === 0xa ||
  point === 0xd ||
  (point >= 0x20 && point <= 0xd7ff) ||
  (point >= 0xe000 && point <= 0xfffd) ||
  (point >= 0x10000 && point <= 0x10ffff);

/**
 * The first code point of `text` that SQS refuses in a message body or a String attribute value, or
 * `undefined` when every one is allowed.
 *
 * @example
 * forbiddenCodePoint('ok\u0001'); // 0x1
 * forbiddenCodePoint('\u{1F600}'); // undefined: a 4-byte character is allowed
 */
export function forbiddenCodePoint(text: string): number | undefined {
  for (const character of text) {
    const point = character.codePointAt(0) ?? 0;
    if (!isAllowedCodePoint(point)) return point;
  }
  return undefined;
}

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

const valueLength = (attribute: MessageAttributeInput): number => {
  if (typeof attribute.StringValue === 'string') return utf8Length(attribute.StringValue);
  if (typeof attribute.BinaryValue === 'string') return Buffer.from(attribute.BinaryValue, 'base64').length;
  return 0;
};

/**
 * A message's size as SQS counts it against the queue's `MaximumMessageSize`: the body's UTF-8 bytes plus,
 * for every attribute, the UTF-8 bytes of its name, its data type and its value (a Binary value's bytes,
 * not its base64 text).
 *
 * @example
 * messageSize({ MessageBody: 'hi', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }); // 2 + 1 + 6 + 1
 */
export function messageSize(input: SendMessageInput): number {
  let size = utf8Length(typeof input.MessageBody === 'string' ? input.MessageBody : '');
  for (const [name, attribute] of Object.entries(input.MessageAttributes ?? {})) {
    size += utf8Length(name) + utf8Length(String(attribute.DataType ?? '')) + valueLength(attribute);
  }
  return size;
}

const isIntegerIn = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const hex = (point: number): string => `#x${point.toString(16).toUpperCase()}`;

const ALLOWED_CHARACTERS =
  'Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.';

const MAX_ATTRIBUTES = 10;
const MAX_NAME_LENGTH = 256;
const MAX_DATA_TYPE_LENGTH = 256;

// A name is letters, digits, `_`, `-` and `.`; `AWS.` and `Amazon.` (any case) are reserved for AWS;
// no leading, trailing or doubled period. Up to 256 characters.
const nameProblem = (name: string): string | undefined => {
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    return 'it may contain only A-Z, a-z, 0-9, underscore, hyphen and period';
  if (/^(aws|amazon)\./i.test(name)) return 'the prefixes AWS. and Amazon. (in any case) are reserved';
  if (name.startsWith('.') || name.endsWith('.')) return 'it must not start or end with a period';
  if (name.includes('..')) return 'it must not contain two periods in a row';
  return undefined;
};

const NUMBER_TEXT = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_NUMBER_DIGITS = 38;
const MIN_NUMBER_EXPONENT = -128;
const MAX_NUMBER_EXPONENT = 126;

/**
 * Whether `text` is a Number attribute value SQS accepts: a decimal number (an exponent allowed) of up to
 * 38 significant digits, zero or between 10^-128 and 10^+126 in magnitude (leading and trailing zeros do
 * not count as digits).
 *
 * @example
 * isSqsNumber('-1.5e10'); // true
 * isSqsNumber('1e127'); // false
 */
export function isSqsNumber(text: string): boolean {
  const match = NUMBER_TEXT.exec(text);
  if (!match) return false;
  const [, whole = '', fraction = '', exponent = '0'] = match;
  if (whole.length + fraction.length === 0) return false;
  const digits = whole + fraction;
  const first = digits.search(/[1-9]/);
  if (first === -1) return true;
  const significant = digits.slice(first).replace(/0+$/, '');
  if (significant.length > MAX_NUMBER_DIGITS) return false;
  const magnitude = Number(exponent) + whole.length - 1 - first;
  if (magnitude === MAX_NUMBER_EXPONENT) return significant === '1';
  return magnitude >= MIN_NUMBER_EXPONENT && magnitude < MAX_NUMBER_EXPONENT;
}

const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

const checkAttributeValue = (name: string, attribute: MessageAttributeInput): SqsRefusal | undefined => {
  const baseType = String(attribute.DataType).split('.')[0];
  const value = baseType === 'Binary' ? attribute.BinaryValue : attribute.StringValue;
  if (typeof value !== 'string' || value.length === 0) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `The message attribute '${name}' must contain non-empty message attribute value.`,
    );
  }
  if (baseType === 'Binary') return undefined;
  const forbidden = forbiddenCodePoint(value);
  if (forbidden !== undefined) {
    return refusal(
      SqsErrorCode.InvalidMessageContents,
      `Invalid character ${hex(forbidden)} in the value of message attribute '${name}'. ${ALLOWED_CHARACTERS}`,
    );
  }
  if (baseType === 'Number' && !isSqsNumber(value)) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `The value of message attribute '${name}' is not a number SQS accepts (up to 38 digits, zero or between 10^-128 and 10^+126 in magnitude).`,
    );
  }
  return undefined;
};

const checkAttribute = (name: string, attribute: MessageAttributeInput): SqsRefusal | undefined => {
  if (name.length === 0) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      'The request must contain non-empty message attribute name.',
    );
  }
  const problem = nameProblem(name);
  if (problem) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `The message attribute name '${name}' is invalid: ${problem}.`,
    );
  }
  const dataType = attribute.DataType;
  if (typeof dataType !== 'string' || dataType.length === 0) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `The message attribute '${name}' must contain non-empty message attribute type.`,
    );
  }
  if (!DATA_TYPE.test(dataType) || dataType.length > MAX_DATA_TYPE_LENGTH || forbiddenCodePoint(dataType)) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
    );
  }
  return checkAttributeValue(name, attribute);
};

const checkAttributes = (input: SendMessageInput): SqsRefusal | undefined => {
  const attributes = Object.entries(input.MessageAttributes ?? {});
  // At most 10 attributes a message (the Developer Guide's "Message metadata").
  if (attributes.length > MAX_ATTRIBUTES) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `Number of message attributes [${attributes.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  for (const [name, attribute] of attributes) {
    const problem = checkAttribute(name, attribute ?? {});
    if (problem) return problem;
  }
  return undefined;
};

/**
 * SQS's rule for system attributes: `AWSTraceHeader` is the only one, a String holding a well-formed X-Ray
 * trace header. They do not count toward the message's size.
 */
function checkSystemAttributes(
  attributes: Readonly<Record<string, MessageAttributeInput>> | undefined,
): SqsRefusal | undefined {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name !== 'AWSTraceHeader')
      return refusal(
        SqsErrorCode.InvalidParameterValue,
        `Message system attribute name '${name}' is invalid. Only AWSTraceHeader is supported.`,
      );
    if (value.DataType !== 'String' || !parseTraceHeader(value.StringValue))
      return refusal(
        SqsErrorCode.InvalidParameterValue,
        'Message system attribute AWSTraceHeader must be a String holding a well-formed AWS X-Ray trace header.',
      );
  }
  return undefined;
}

/**
 * What SQS refuses in a `SendMessage` (or in one `SendMessageBatch` entry, then reported in `Failed`), given
 * the queue's `MaximumMessageSize` in bytes; `undefined` when SQS accepts it.
 *
 * @example
 * checkSendMessage({ MessageBody: 'a\u0001' }, 262_144)?.code; // 'InvalidMessageContents'
 * checkSendMessage({ MessageBody: 'hello' }, 262_144); // undefined
 */
export function checkSendMessage(
  input: SendMessageInput,
  maximumMessageSize: number,
): SqsRefusal | undefined {
  const body = input.MessageBody;
  // An empty body is no body: SQS asks for the parameter.
  if (typeof body !== 'string' || body.length === 0) {
    return refusal(SqsErrorCode.MissingParameter, 'The request must contain the parameter MessageBody.');
  }
  if (input.DelaySeconds !== undefined && !isIntegerIn(input.DelaySeconds, 0, 900)) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `Value ${input.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
    );
  }
  const attributeProblem = checkAttributes(input);
  if (attributeProblem) return attributeProblem;
  const systemProblem = checkSystemAttributes(input.MessageSystemAttributes);
  if (systemProblem) return systemProblem;
  const forbidden = forbiddenCodePoint(body);
  if (forbidden !== undefined) {
    return refusal(
      SqsErrorCode.InvalidMessageContents,
      `Invalid character ${hex(forbidden)} in the message body. ${ALLOWED_CHARACTERS}`,
    );
  }
  // The maximum counts the attributes' names, types and values with the body.
  if (messageSize(input) > maximumMessageSize) {
    return refusal(
      SqsErrorCode.InvalidParameterValue,
      `One or more parameters are invalid. Reason: Message must be shorter than ${maximumMessageSize} bytes.`,
    );
  }
  return undefined;
}

const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

const checkEntryIds = (entries: readonly SendMessageBatchEntryInput[]): SqsRefusal | undefined => {
  const seen = new Set<string>();
  for (const { Id: id } of entries) {
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      return refusal(
        SqsErrorCode.InvalidBatchEntryId,
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) return refusal(SqsErrorCode.BatchEntryIdsNotDistinct, `Id ${id} repeated.`);
    seen.add(id);
  }
  return undefined;
};

/**
 * What SQS refuses in a `SendMessageBatch` as a whole (nothing of it is sent), given the queue's
 * `MaximumMessageSize`; `undefined` when the batch goes on to be judged entry by entry with
 * {@link checkSendMessage}, the refused entries reported in `Failed` and the others sent.
 *
 * @example
 * checkSendMessageBatch({ Entries: [] }, 262_144)?.code; // 'EmptyBatchRequest'
 */
export function checkSendMessageBatch(
  input: SendMessageBatchInput,
  maximumMessageSize: number,
): SqsRefusal | undefined {
  const entries = Array.isArray(input.Entries) ? input.Entries : [];
  if (entries.length === 0) {
    return refusal(
      SqsErrorCode.EmptyBatchRequest,
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (entries.length > MAX_BATCH_ENTRIES) {
    return refusal(
      SqsErrorCode.TooManyEntriesInBatchRequest,
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const idProblem = checkEntryIds(entries);
  if (idProblem) return idProblem;
  // The whole batch (every entry's body and attributes) must fit in one message's maximum.
  const total = entries.reduce((sum, entry) => sum + messageSize(entry), 0);
  if (total > maximumMessageSize) {
    return refusal(
      SqsErrorCode.BatchRequestTooLong,
      `Batch requests cannot be longer than ${maximumMessageSize} bytes. You have sent ${total} bytes.`,
    );
  }
  return undefined;
}

/**
 * What SQS refuses in a `ChangeMessageVisibility`: a `VisibilityTimeout` that is not an integer from 0 to
 * 43200 (12 hours); `undefined` when it is one.
 *
 * @example
 * checkChangeMessageVisibility({ VisibilityTimeout: 43_201 })?.code; // 'InvalidParameterValue'
 */
export function checkChangeMessageVisibility(input: ChangeMessageVisibilityInput): SqsRefusal | undefined {
  if (input.VisibilityTimeout === undefined) {
    return refusal(
      SqsErrorCode.MissingParameter,
      'The request must contain the parameter VisibilityTimeout.',
    );
  }
  if (isIntegerIn(input.VisibilityTimeout, 0, 43_200)) return undefined;
  return refusal(
    SqsErrorCode.InvalidParameterValue,
    `Value ${input.VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
  );
}
