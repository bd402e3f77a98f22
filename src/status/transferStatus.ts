import { createHash } from 'node:crypto';
import {
  askedOf,
  requestFingerprint,
  type TransferContactInput,
  TransferContactInputSchema,
} from '../request/index.js';

/** The idempotency key prefix the worker uses (see `lambdas/transfer-worker/idempotentTransfer.ts`). */
export const IDEMPOTENCY_KEY_PREFIX = 'TransferContact';

/**
 * The idempotency record's key for a token, as Powertools derives it: the prefix, then the base64 MD5 of
 * the JSON of the `ClientToken`.
 *
 * @example
 * idempotencyKeyFor('token-1'); // 'TransferContact#…'
 */
export function idempotencyKeyFor(clientToken: string): string {
  const digest = createHash('md5').update(JSON.stringify(clientToken)).digest('base64');
  return `${IDEMPOTENCY_KEY_PREFIX}#${digest}`;
}

/** What the worker records when it dead-letters a request (one ledger write per rejection). */
export interface RejectionRecord {
  readonly errorClass: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** When the worker dead-lettered it (ISO 8601, the worker's clock); empty for a refusal a status derived. */
  readonly failedAt: string;
  readonly messageId: string;
  /**
   * What the refused request asked ({@link requestFingerprint}, as the ledger's `request#` record stores it),
   * or {@link INVALID_REQUEST_FINGERPRINT} for a body that was not a valid request. Absent in the records of
   * a worker older than the field.
   */
  readonly fingerprint?: string;
}

/** The rejection record's `fingerprint` of a body that was not a valid request (it asks nothing comparable). */
export const INVALID_REQUEST_FINGERPRINT = 'invalid';

/** The fields of a Powertools idempotency record this product reads. */
export interface IdempotencyRecordFields {
  readonly status?: string;
  /** The stored result: a map (Powertools 2.x), or JSON text (older records). */
  readonly data?: string | Readonly<Record<string, unknown>>;
  /** Seconds since the epoch. */
  readonly expiration?: number;
  /** Milliseconds since the epoch. */
  readonly in_progress_expiration?: number;
  /** The hash of the request's parameters (Powertools' payload validation), see {@link requestIdentity}. */
  readonly validation?: string;
}

/** A request's outcome as far as the orchestrator knows it. */
export type TransferStatus =
  | { readonly status: 'transferred'; readonly ContactId: string; readonly ContactArn: string }
  | { readonly status: 'in-flight'; readonly until: string }
  | {
      readonly status: 'rejected';
      readonly reason: RejectionRecord;
      /**
       * The request can never transfer, whenever its reason was recorded: its token transferred another
       * request. A wait takes it even when the reason dates from before the wait (an older send's refusal).
       */
      readonly final?: true;
    }
  | { readonly status: 'unknown'; readonly hint: string };

/** The ledger's durable record of a token that transferred (`request#<ClientToken>`), which never expires. */
export interface LedgerTransfer {
  readonly ContactId: string;
  readonly ContactArn: string;
}

/** The ledger's durable record of a token (`request#<ClientToken>`), as far as a status reads it. */
export interface LedgerRequestRecord {
  /** What the token's request asks ({@link requestFingerprint}), stored at its first attempt. */
  readonly fingerprint?: string;
  /** Set once the token transferred. */
  readonly ContactId?: string;
  readonly ContactArn?: string;
}

/** What a request asks, as the worker's two records of a token keep it. */
export interface RequestIdentity {
  /** The ledger's `fingerprint` ({@link requestFingerprint}). */
  readonly fingerprint: string;
  /** Powertools' payload hash (the idempotency record's `validation`). */
  readonly payloadHash: string;
}

/**
 * A request's identity in the worker's records: the ledger's fingerprint and the idempotency record's
 * payload hash. The request is read through the worker's schema first (an instance ARN becomes its id, an
 * empty optional field is absent), as the worker reads it before it writes either record. The payload hash
 * is computed as Powertools does for the worker's `payloadValidationJmesPath`
 * ({@link ASKED_JMESPATH}: the transfer parameters, a missing one `null`, then any attributes), its keys
 * sorted as Powertools sorts them: the base64 MD5 of its JSON.
 *
 * @example
 * requestIdentity({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }); // { fingerprint: '…', payloadHash: '…' }
 */
export function requestIdentity(request: TransferContactInput): RequestIdentity {
  const parsed = TransferContactInputSchema.safeParse(request);
  const asked: TransferContactInput = parsed.success ? parsed.data : request;
  return {
    fingerprint: requestFingerprint(asked),
    payloadHash: createHash('md5')
      .update(JSON.stringify(sortedAsPowertools(askedOf(asked))))
      .digest('base64'),
  };
}

/**
 * A value with every object's keys in the order Powertools' idempotency layer puts them before it hashes a
 * payload (its `deepSort`, 2.35: case-insensitive, by the same comparator on the same input order), so the
 * status reads the hash the worker stored: attribute keys such as `Zed` and `abc` sort apart otherwise.
 */
function sortedAsPowertools(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedAsPowertools);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.keys(object)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    .reduce<Record<string, unknown>>((sorted, key) => {
      sorted[key] = sortedAsPowertools(object[key]);
      return sorted;
    }, {});
}

/** The error code the worker dead-letters a reused token's request with. */
export const TOKEN_REUSED_CODE = 'IdempotentParameterMismatch';

/** A token's records, as one status read finds them. */
export interface TokenRecords {
  readonly idempotency?: IdempotencyRecordFields;
  readonly rejection?: RejectionRecord;
  readonly ledger?: LedgerRequestRecord;
}

/** The idempotency record, unless it has expired (DynamoDB's TTL deletes it some time after). */
const liveRecord = (record: IdempotencyRecordFields | undefined, nowMs: number) =>
  record && (record.expiration === undefined || record.expiration * 1000 > nowMs) ? record : undefined;

/**
 * Decides the status of one request under its token, given the request: the token's status
 * ({@link decideTransferStatus}) while the token's records are the request's own, and a token reuse when they
 * were written for a request with other parameters. The rule (invariant 3) and why: the worker refuses a
 * token reused with other parameters (`IdempotentParameterMismatch`) and never answers it with the other
 * request's outcome, so neither may a wait or a status; the token's own status would report the other
 * request's transfer as this one's.
 * - The other request transferred: this one is rejected for good (a transferred token's record is never
 *   forgotten), whether or not the worker has seen it yet.
 * - It has not (in flight, or its outcome unknown): the worker refuses this one while that one owns the
 *   token, and dead-letters it (the token's rejection then says `IdempotentParameterMismatch`); but a failed
 *   request frees its token, after which this one may still transfer. Until one of the two happens the
 *   status is `unknown`: a rejection reported too early could make a caller send the request again under a
 *   new token, and transfer it twice.
 *
 * The token's rejection record counts only when it is this request's (its `fingerprint`, see
 * {@link RejectionRecord}): another request's dead letter under the same token is not this one's outcome.
 * A rejection is answered whenever it was recorded (an older send's, too, with its `failedAt`); a wait tells
 * an older send's from its own (see `waitForOutcome`).
 *
 * @example
 * decideRequestStatus(requestIdentity(requestB), 'token-1', { ledger: { fingerprint: 'of-a', ContactId: 'c' } }, Date.now());
 * // { status: 'rejected', reason: { errorClass: 'InvalidRequest', errorCode: 'IdempotentParameterMismatch', … } }
 */
export function decideRequestStatus(
  asked: RequestIdentity,
  clientToken: string,
  records: TokenRecords,
  nowMs: number,
): TransferStatus {
  const { ledger } = records;
  const rejection = ownRejection(records.rejection, asked);
  const live = liveRecord(records.idempotency, nowMs);
  const ledgerOther = ledger?.fingerprint !== undefined && ledger.fingerprint !== asked.fingerprint;
  // Powertools writes no hash when payload validation is off: an empty one says nothing.
  const recordOther = !!live?.validation && live.validation !== asked.payloadHash;
  if (!ledgerOther && !recordOther) {
    const transferred = typeof ledger?.ContactId === 'string';
    // Without a fingerprint (an older worker's record), a reuse refused while this request owns the token is
    // taken for another request's: not this one's outcome. A fingerprinted one is this request's own.
    const owned = ledger?.fingerprint !== undefined || !!live?.validation;
    const unattributed = rejection?.fingerprint === undefined;
    const own = unattributed && owned && rejection?.errorCode === TOKEN_REUSED_CODE ? undefined : rejection;
    return decideTransferStatus(
      records.idempotency,
      own,
      nowMs,
      transferred
        ? { ContactId: String(ledger?.ContactId), ContactArn: String(ledger?.ContactArn ?? '') }
        : undefined,
    );
  }
  const otherTransferred =
    (ledgerOther && typeof ledger?.ContactId === 'string') || (recordOther && live?.status === 'COMPLETED');
  const refused = rejection?.errorCode === TOKEN_REUSED_CODE ? rejection : undefined;
  // A transferred token is never forgotten: this request is refused for good, whenever it was sent.
  if (otherTransferred)
    return { status: 'rejected', reason: refused ?? tokenReused(clientToken), final: true };
  if (refused) return { status: 'rejected', reason: refused };
  return {
    status: 'unknown',
    hint:
      `ClientToken ${clientToken} is held by another request (other parameters) that has not transferred: ` +
      'the worker refuses this one (IdempotentParameterMismatch) while that one holds the token',
  };
}

/**
 * The token's rejection, if it is this request's. The rule and why: a token's rejection record is the latest
 * dead letter of any message that carried the token, and another request under the same token (other
 * contact, queue, user or flow) or a body that is not a valid request (naming the token) writes it too; its
 * reason says nothing of this request, and taken for this request's outcome it could make a caller send it
 * again under a new token while it still transfers. So a record that names what it refused (its
 * `fingerprint`) counts only when that is this request; one without (written by a worker older than the
 * field) counts as before, as the token's.
 */
const ownRejection = (
  rejection: RejectionRecord | undefined,
  asked: RequestIdentity,
): RejectionRecord | undefined =>
  rejection && (rejection.fingerprint === undefined || rejection.fingerprint === asked.fingerprint)
    ? rejection
    : undefined;

/** The reason of a request whose token another request transferred, before (or without) its dead letter. */
const tokenReused = (clientToken: string): RejectionRecord => ({
  errorClass: 'InvalidRequest',
  errorCode: TOKEN_REUSED_CODE,
  errorMessage:
    `ClientToken ${clientToken} was already used for another request (other contact, queue, user or flow), ` +
    "which transferred; a reused token is refused, never answered with the other request's outcome: " +
    'send this request with a new ClientToken',
  failedAt: '',
  messageId: '',
});

/**
 * Decides a token's status from its idempotency record, its rejection record and the ledger's durable record
 * of its transfer. A completed transfer wins over an older rejection (the request was redriven and
 * succeeded); an expired idempotency record counts as absent, and the ledger still knows a transfer after it.
 *
 * @example
 * decideTransferStatus({ status: 'COMPLETED', data: '{"ContactId":"c","ContactArn":"a"}' }, undefined, Date.now());
 * // { status: 'transferred', ContactId: 'c', ContactArn: 'a' }
 */
export function decideTransferStatus(
  record: IdempotencyRecordFields | undefined,
  rejection: RejectionRecord | undefined,
  nowMs: number,
  ledgerTransfer?: LedgerTransfer,
): TransferStatus {
  const live = liveRecord(record, nowMs);
  if (live?.status === 'COMPLETED') {
    const data = live.data ?? {};
    const result = (typeof data === 'string' ? JSON.parse(data) : data) as {
      ContactId?: string;
      ContactArn?: string;
    };
    return { status: 'transferred', ContactId: result.ContactId ?? '', ContactArn: result.ContactArn ?? '' };
  }
  if (ledgerTransfer) return { status: 'transferred', ...ledgerTransfer };
  if (live?.status === 'INPROGRESS' && (live.in_progress_expiration ?? Number.POSITIVE_INFINITY) > nowMs) {
    return { status: 'in-flight', until: new Date(live.in_progress_expiration ?? nowMs).toISOString() };
  }
  if (rejection) return { status: 'rejected', reason: rejection };
  return {
    status: 'unknown',
    hint: 'not processed yet (still queued, or waiting for a retry), never sent, or older than the retention of its records',
  };
}
