import type { RejectionRecord, TransferStatus } from '../status/transferStatus.js';

/** The transfer happened: what `aws connect transfer-contact` answers. */
export interface TransferOutcome {
  readonly ContactId: string;
  readonly ContactArn: string;
}

/** The request was dead-lettered: it will not transfer unless fixed and redriven. */
export class TransferRejectedError extends Error {
  constructor(
    readonly clientToken: string,
    readonly reason: RejectionRecord,
  ) {
    super(`transfer ${clientToken} failed: ${reason.errorClass} ${reason.errorCode}: ${reason.errorMessage}`);
    this.name = 'TransferRejectedError';
  }
}

/** No outcome within the time allowed; the request may still be queued or in flight. */
export class TransferWaitTimeoutError extends Error {
  constructor(
    readonly clientToken: string,
    readonly lastStatus: TransferStatus,
    timeoutMs: number,
  ) {
    super(
      `no outcome for ${clientToken} within ${Math.round(timeoutMs / 1000)} s (last status: ${describeStatus(lastStatus)}); ` +
        'it may still be queued or retrying: ask again with transfer-contact status',
    );
    this.name = 'TransferWaitTimeoutError';
  }
}

/** A status in a sentence's words: an unknown one with its hint (it may name a token held by another request). */
const describeStatus = (status: TransferStatus): string =>
  status.status === 'unknown' ? `unknown: ${status.hint}` : status.status;

/** How long to wait, and how often to look. */
export interface WaitOptions {
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** The first pause between two reads; each next one is 1.5 times longer, at most 2 s. @default 250 */
  readonly pollIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a token's outcome by reading its status (`read`, two DynamoDB reads a time) until it transferred
 * (resolves with the ContactId and ContactArn) or was rejected (throws {@link TransferRejectedError}), or
 * the time is up (throws {@link TransferWaitTimeoutError}). Status reads rather than outcome events: they
 * need no subscription (a queue and a rule per waiter), see requests sent before the wait began, and need
 * only the read access `grantReadStatus` gives.
 *
 * The answer is whatever `read` says: to wait for a request, read the request's status (pass the request to
 * `readTransferStatus`), so that a token another request used is reported as the reuse (rejected,
 * `IdempotentParameterMismatch`) and never answered with that request's transfer.
 *
 * @example
 * const { ContactId } = await waitForOutcome(() => readTransferStatus(dynamodb, tables, request), request.ClientToken);
 */
export async function waitForOutcome(
  read: (clientToken: string) => Promise<TransferStatus>,
  clientToken: string,
  options: WaitOptions = {},
): Promise<TransferOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let pause = options.pollIntervalMs ?? 250;
  for (;;) {
    const status = await read(clientToken);
    if (status.status === 'transferred')
      return { ContactId: status.ContactId, ContactArn: status.ContactArn };
    if (status.status === 'rejected') throw new TransferRejectedError(clientToken, status.reason);
    if (Date.now() + pause > deadline) throw new TransferWaitTimeoutError(clientToken, status, timeoutMs);
    await sleep(pause);
    pause = Math.min(2_000, pause * 1.5);
  }
}
