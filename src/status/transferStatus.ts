import { createHash } from 'node:crypto';

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
  readonly failedAt: string;
  readonly messageId: string;
}

/** The fields of a Powertools idempotency record this product reads. */
export interface IdempotencyRecordFields {
  readonly status?: string;
  /** The stored result: a map (Powertools 2.x), or JSON text (older records). */
  readonly data?: string | Readonly<Record<string, unknown>>;
  /** Seconds since the epoch. */
  readonly expiration?: number;
  /** Milliseconds since the epoch. */
  readonly in_progress_expiration?: number;
}

/** A request's outcome as far as the orchestrator knows it. */
export type TransferStatus =
  | { readonly status: 'transferred'; readonly ContactId: string; readonly ContactArn: string }
  | { readonly status: 'in-flight'; readonly until: string }
  | { readonly status: 'rejected'; readonly reason: RejectionRecord }
  | { readonly status: 'unknown'; readonly hint: string };

/** The ledger's durable record of a token that transferred (`request#<ClientToken>`), which never expires. */
export interface LedgerTransfer {
  readonly ContactId: string;
  readonly ContactArn: string;
}

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
  const live =
    record && (record.expiration === undefined || record.expiration * 1000 > nowMs) ? record : undefined;
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
