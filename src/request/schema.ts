import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CONTACT_ATTRIBUTES_LIMITS, utf8Length } from '../contract/connect.js';
import { TRANSFER_REQUESTED_DETAIL_TYPE } from '../contract/events.js';

export { CONTACT_ATTRIBUTES_LIMITS, TRANSFER_REQUESTED_DETAIL_TYPE };

/** API length limits of `TransferContact`, from the Amazon Connect API reference. */
export const TRANSFER_CONTACT_LIMITS = {
  InstanceId: { min: 1, max: 100 },
  ContactId: { min: 1, max: 256 },
  ContactFlowId: { min: 1, max: 500 },
  QueueId: { min: 1, max: 500 },
  UserId: { min: 1, max: 256 },
  ClientToken: { min: 1, max: 500 },
} as const;

/**
 * `Attributes`: the string map `UpdateContactAttributes` takes, applied to the contact before it transfers.
 * Its keys are sorted, so that the same map in another key order is the same request (its fingerprint, its
 * content token and the idempotency layer's payload hash all read it); an empty map is no map.
 */
const AttributesSchema = z.preprocess(
  (value, ctx) => {
    if (value === '' || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return value;
    // JSON.parse makes `__proto__` an own key, which a record drops silently: refused, never lost.
    if (Object.hasOwn(value, '__proto__'))
      ctx.issues.push({ code: 'custom', input: value, message: 'Attributes key "__proto__" is not allowed' });
    return Object.keys(value).length === 0 ? undefined : value;
  },
  z
    .record(
      z.string().regex(CONTACT_ATTRIBUTES_LIMITS.keyPattern, {
        error: 'Attributes keys may hold only letters, digits, - and _',
      }),
      z.string({ error: 'Attributes values must be strings' }),
      {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'Attributes keys may hold only letters, digits, - and _'
            : 'Attributes must be an object of strings',
      },
    )
    .check((ctx) => {
      const bytes = Object.entries(ctx.value).reduce(
        (sum, [key, value]) => sum + utf8Length(key) + utf8Length(value),
        0,
      );
      if (bytes > CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes)
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `Attributes must be at most ${CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes} UTF-8 bytes (keys and values), got ${bytes}`,
        });
    })
    .transform((attributes) =>
      Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    )
    .optional(),
);

const INSTANCE_ARN = /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/([^/]+)$/;

/**
 * Reduces an Amazon Connect instance ARN to the instance id; any other value is returned as it is.
 *
 * EventBridge events from Connect carry `instanceArn`, while `TransferContact` and the ledger key on the id.
 *
 * @example
 * toInstanceId('arn:aws:connect:us-east-1:123456789012:instance/abc-123'); // 'abc-123'
 */
export function toInstanceId(value: string): string {
  return INSTANCE_ARN.exec(value)?.[1] ?? value;
}

const bounded = (field: keyof typeof TRANSFER_CONTACT_LIMITS) => {
  const { min, max } = TRANSFER_CONTACT_LIMITS[field];
  return z
    .string({
      error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`),
    })
    .min(min, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` });
};

// The CLI skeleton prints every optional key as "": an unfilled optional key means "not given",
// so the skeleton filled in for a queue transfer (UserId left "") is a valid message.
const optional = (field: keyof typeof TRANSFER_CONTACT_LIMITS) =>
  z.preprocess((value) => (value === '' || value === null ? undefined : value), bounded(field).optional());

/**
 * The `TransferContact` input, as `aws connect transfer-contact --generate-cli-skeleton` prints it.
 * Unknown keys are rejected so that a typo such as `QueueID` never passes silently.
 */
export const TransferContactInputSchema = z
  .strictObject(
    {
      InstanceId: z
        .string({
          error: (issue) =>
            issue.input === undefined ? 'InstanceId is required' : 'InstanceId must be a string',
        })
        .transform(toInstanceId)
        .pipe(bounded('InstanceId')),
      ContactId: bounded('ContactId'),
      ContactFlowId: bounded('ContactFlowId'),
      QueueId: optional('QueueId'),
      UserId: optional('UserId'),
      ClientToken: optional('ClientToken'),
      // The one field that is not `TransferContact`'s: contact attributes set before the transfer.
      Attributes: AttributesSchema,
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s): ${issue.keys.join(', ')}`
          : 'a transfer request must be a JSON object',
    },
  )
  .check((ctx) => {
    const { QueueId, UserId } = ctx.value;
    if (QueueId !== undefined && UserId !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: [],
        message: 'give QueueId or UserId, not both',
      });
    } else if (QueueId === undefined && UserId === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: [],
        message: 'one of QueueId or UserId is required',
      });
    }
  });

/**
 * The request's JSON Schema, for producers that validate before they send: the `TransferContact` input and
 * `Attributes`, with what JSON Schema can say of the worker's checks (one of `QueueId` and `UserId`,
 * `__proto__` refused). Two differences, both stated in its description: it refuses the empty strings the
 * worker reads as absent (the CLI skeleton's unfilled keys), and it cannot count the attributes' UTF-8 bytes.
 */
export function transferRequestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(TransferContactInputSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;
  const { InstanceId, Attributes } = generated.properties;
  return {
    $id: 'urn:connect-transfer-orchestrator:transfer-contact-request',
    description: `A transfer request: Amazon Connect's TransferContact input, plus Attributes (set on the contact before it transfers). Sent as an SQS message body, or as the detail of an EventBridge event of detail-type '${TRANSFER_REQUESTED_DETAIL_TYPE}'. The worker also reads an empty string or null as an absent optional field, and refuses Attributes over ${CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes} UTF-8 bytes (keys and values), which this schema cannot count.`,
    ...generated,
    properties: {
      ...generated.properties,
      InstanceId: { ...InstanceId, minLength: 1, description: 'The instance id, or its ARN' },
      Attributes: {
        ...Attributes,
        propertyNames: {
          ...(Attributes?.propertyNames as Record<string, unknown>),
          not: { const: '__proto__' },
        },
        description: `Contact attributes set by UpdateContactAttributes before the transfer; at most ${CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes} UTF-8 bytes in all`,
      },
    },
    oneOf: [{ required: ['QueueId'] }, { required: ['UserId'] }],
  };
}

/** A validated `TransferContact` input; `ClientToken` may still be missing. */
export type TransferContactInput = z.output<typeof TransferContactInputSchema>;

/**
 * The EventBridge envelope a rule delivers to the queue. Only the fields this product reads are checked;
 * EventBridge may add others, so the envelope itself is not strict (its `detail` is).
 */
export const TransferRequestedEventSchema = z.looseObject({
  id: z.string({ error: 'event id must be a string' }).min(1),
  'detail-type': z.literal(TRANSFER_REQUESTED_DETAIL_TYPE, {
    error: (issue) =>
      `detail-type must be '${TRANSFER_REQUESTED_DETAIL_TYPE}', got ${JSON.stringify(issue.input)}`,
  }),
  source: z.string().optional(),
  detail: TransferContactInputSchema,
});

/** Where a request's `ClientToken` came from. */
export const TokenOrigin = {
  Request: 'request',
  MessageAttribute: 'message-attribute',
  EventId: 'event-id',
  /** Derived from what the request asks (SHA-256 of its parameters), as SQS FIFO deduplicates by content. */
  Content: 'content',
} as const;
/** One of {@link TokenOrigin}. */
export type TokenOrigin = (typeof TokenOrigin)[keyof typeof TokenOrigin];

/** A request ready to transfer: every field validated and a `ClientToken` always present. */
export interface TransferRequest extends TransferContactInput {
  readonly ClientToken: string;
}

/** A parsed request with what the worker needs to know about its envelope. */
export interface ParsedTransferRequest {
  readonly request: TransferRequest;
  readonly envelope: 'direct' | 'eventbridge';
  readonly tokenOrigin: TokenOrigin;
}

/** Why a message body is not a valid transfer request: one line a person can act on, plus each issue. */
export interface RequestRejection {
  readonly message: string;
  readonly issues: readonly string[];
}

/** Either a parsed request or the reason it was rejected. */
export type ParseResult =
  | { readonly ok: true; readonly value: ParsedTransferRequest }
  | { readonly ok: false; readonly rejection: RequestRejection };

/** What identifies the message a body came in. */
export interface MessageIdentity {
  /** The SQS message id (logged; never a token: a redrive gives the message a new one). */
  readonly messageId: string;
  /**
   * A token carried beside the body (the `ClientToken` message attribute), set by this product when it
   * dead-letters a message whose token was derived, so a redrive keeps the token it was first given.
   */
  readonly clientTokenAttribute?: string;
}

const describeIssues = (error: z.ZodError, prefix: string): string[] =>
  error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const field = issue.path.at(-1);
    // "ContactFlowId is required" names its field already: "detail.ContactFlowId is required", not twice.
    if (typeof field === 'string' && issue.message.startsWith(`${field} `)) {
      return `${path.slice(0, path.length - field.length)}${issue.message}`;
    }
    return path ? `${path}: ${issue.message}` : issue.message;
  });

const reject = (issues: string[]): ParseResult => ({
  ok: false,
  rejection: { message: issues.join('; '), issues },
});

const isEventEnvelope = (value: object): boolean => 'detail-type' in value || 'detail' in value;

/**
 * Parses and validates one SQS message body as a transfer request: the `TransferContact` input itself, or
 * an EventBridge event of detail-type `Transfer Contact Requested` carrying it in `detail`. A missing
 * `ClientToken` is derived from something that survives a redrive (which gives the message a new id): the
 * event id, else the `ClientToken` message attribute, else the request's content (see
 * {@link contentToken}). Never throws.
 *
 * @example
 * const result = parseTransferRequest('{"InstanceId":"i","ContactId":"c","ContactFlowId":"f","QueueId":"q"}', {
 *   messageId: 'm-1',
 * });
 * if (result.ok) result.value.request.ClientToken; // 'content-…' (the same for every copy of this request)
 */
export function parseTransferRequest(body: string, identity: MessageIdentity): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return reject([`body is not JSON: ${(error as Error).message}`]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const kind = json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json;
    return reject([`body must be a JSON object, got ${kind}`]);
  }

  if (isEventEnvelope(json)) {
    const event = TransferRequestedEventSchema.safeParse(json);
    if (!event.success) return reject(describeIssues(event.error, ''));
    const { detail, id } = event.data;
    return accept(
      detail,
      'eventbridge',
      detail.ClientToken ? null : { token: id, origin: TokenOrigin.EventId },
    );
  }

  const input = TransferContactInputSchema.safeParse(json);
  if (!input.success) return reject(describeIssues(input.error, ''));
  return accept(input.data, 'direct', null);

  function accept(
    input: TransferContactInput,
    envelope: ParsedTransferRequest['envelope'],
    derived: { token: string; origin: TokenOrigin } | null,
  ): ParseResult {
    const fallback = identity.clientTokenAttribute
      ? { token: identity.clientTokenAttribute, origin: TokenOrigin.MessageAttribute }
      : { token: contentToken(input), origin: TokenOrigin.Content };
    const token = input.ClientToken
      ? { token: input.ClientToken, origin: TokenOrigin.Request }
      : (derived ?? fallback);
    return {
      ok: true,
      value: {
        request: { ...input, ClientToken: token.token.slice(0, TRANSFER_CONTACT_LIMITS.ClientToken.max) },
        envelope,
        tokenOrigin: token.origin,
      },
    };
  }
}

/**
 * What a request asks Connect's `TransferContact` to do: every field but the token (and the attributes, which
 * {@link askedOf} adds). Two requests under one `ClientToken` that differ in any of these, or in their
 * attributes, are a token reuse (the worker's idempotency validation and ledger both check it).
 */
export const TRANSFER_PARAMETER_FIELDS = [
  'InstanceId',
  'ContactId',
  'ContactFlowId',
  'QueueId',
  'UserId',
] as const;

/**
 * A short, stable fingerprint of what a request asks (every field but the token, {@link askedOf}): two
 * requests under one `ClientToken` with different fingerprints are a token reuse.
 *
 * @example
 * requestFingerprint({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }); // 'a1b2…'
 */
export function requestFingerprint(request: TransferContactInput): string {
  return createHash('sha256')
    .update(JSON.stringify(askedOf(request)))
    .digest('hex')
    .slice(0, 32);
}

/**
 * What a request asks, as one JSON value: the transfer parameters (a missing one `null`), then its
 * `Attributes` only when it has some, so a request without attributes keeps the fingerprint, content token
 * and payload hash it had before attributes existed. Attributes come key-sorted from the schema.
 *
 * @example
 * askedOf({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }); // ['i', 'c', 'f', 'q', null]
 */
export function askedOf(request: TransferContactInput): unknown[] {
  const fields: unknown[] = TRANSFER_PARAMETER_FIELDS.map((field) => request[field] ?? null);
  return hasAttributes(request) ? [...fields, request.Attributes] : fields;
}

/** Whether a request sets attributes: an empty map sets none (and JMESPath reads `{}` as false too). */
export const hasAttributes = (
  request: Pick<TransferContactInput, 'Attributes'>,
): request is { Attributes: Record<string, string> } =>
  request.Attributes !== undefined && Object.keys(request.Attributes).length > 0;

/**
 * The idempotency layer's `payloadValidationJmesPath`: the JMESPath twin of {@link askedOf}, so Powertools
 * hashes the same value (a repeat of a token with other attributes is a token reuse, and a request without
 * attributes hashes as it always did).
 */
export const ASKED_JMESPATH = `Attributes && [${TRANSFER_PARAMETER_FIELDS.join(', ')}, Attributes] || [${TRANSFER_PARAMETER_FIELDS.join(', ')}]`;

/** The prefix of a token derived from a request's content, so status and logs show where it came from. */
export const CONTENT_TOKEN_PREFIX = 'content-';

/**
 * The `ClientToken` of a request that came without one and not as an EventBridge event: derived from what
 * it asks (instance, contact, flow, queue or user, and attributes), as SQS FIFO's content-based deduplication does. Every
 * copy of the request (a redelivery, an SQS-native move to the DLQ, a redrive with a new message id, a
 * producer's retried send) gets the same token, so it transfers once. Two requests that ask the same thing
 * of the same contact are one request: to transfer a contact to the same place twice, give each its own
 * `ClientToken`.
 *
 * @example
 * contentToken({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }); // 'content-3f2a…'
 */
export function contentToken(request: TransferContactInput): string {
  return `${CONTENT_TOKEN_PREFIX}${createHash('sha256')
    .update(JSON.stringify(askedOf(request)))
    .digest('hex')}`;
}

/**
 * The `ClientToken` a message body carries, even when the body is not a valid request (so a dead-lettered
 * invalid request can still be found by its token): the body's own, or its EventBridge `detail`'s.
 *
 * @example
 * clientTokenOfBody('{"ClientToken":"case-42","QueueID":"typo"}'); // 'case-42'
 */
export function clientTokenOfBody(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const record = json as { ClientToken?: unknown; detail?: { ClientToken?: unknown } };
  const token = record.ClientToken ?? record.detail?.ClientToken;
  return typeof token === 'string' &&
    token.length >= 1 &&
    token.length <= TRANSFER_CONTACT_LIMITS.ClientToken.max
    ? token
    : undefined;
}
