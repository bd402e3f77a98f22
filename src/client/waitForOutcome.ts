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

/**
 * A status in a sentence's words: an unknown one with its hint (it may name a token another request uses),
 * a rejection with its time (a wait leaves one older than itself).
 */
const describeStatus = (status: TransferStatus): string => {
  if (status.status === 'unknown') return `unknown: ${status.hint}`;
  if (status.status === 'rejected')
    return `rejected at ${status.reason.failedAt} (${status.reason.errorCode}), before the send waited for: an earlier send's`;
  return status.status;
};

/** How long to wait, how often to look, and from when a rejection is the one waited for. */
export interface WaitOptions {
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** The first pause between two reads; each next one is 1.5 times longer, at most 2 s. @default 250 */
  readonly pollIntervalMs?: number;
  /**
   * When the send waited for was made (milliseconds since the epoch): a rejection recorded before it is an
   * earlier send's, and the wait goes on. Give the time taken just before the send when the wait starts
   * after it (a rejection between the two would otherwise be left, and the wait time out).
   * @default - when the wait begins
   */
  readonly sentAt?: number;
  /**
   * The SQS message id of the send waited for (`enqueue`'s `messageId`): its rejection is the one waited
   * for whatever its time says (the worker's clock and this one's may differ).
   * @default - none: the time alone tells
   */
  readonly messageId?: string;
}

/**
 * Whether a rejection answers the send waited for. The rule and why: the token's rejection record stays
 * after a send is dead-lettered, and a request sent again under its token (as a dead-lettered request is,
 * once fixed) reads it until its new send is processed; taken for the new send's outcome, it could make a
 * caller give up on a request that then transfers, or send it again under a new token and transfer it
 * twice. So a rejection counts when it was recorded at or after the send (`failedAt`, the worker's clock,
 * against `sentAt`, this one's), when it names the send's message, when it stays true whenever it was
 * recorded (`final`: its token transferred another request), or when it carries no time (a refusal the
 * status derived, which stays true for good).
 */
const answersThisSend = (
  status: Extract<TransferStatus, { status: 'rejected' }>,
  sentAt: number,
  messageId: string | undefined,
): boolean => {
  const { failedAt, messageId: rejectedMessage } = status.reason;
  if (status.final || failedAt === '') return true;
  if (messageId !== undefined && rejectedMessage === messageId) return true;
  const at = Date.parse(failedAt);
  return Number.isNaN(at) || at >= sentAt;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a token's outcome by reading its status (`read`, two DynamoDB reads a time) until it transferred
 * (resolves with the ContactId and ContactArn) or was rejected (throws {@link TransferRejectedError}), or
 * the time is up (throws {@link TransferWaitTimeoutError}). Status reads rather than outcome events: they
 * need no subscription (a queue and a rule per waiter), see requests sent before the wait began, and need
 * only the read access `grantReadStatus` gives.
 *
 * The wait is for one send: a rejection recorded before it (`options.sentAt`, by default when the wait
 * begins) is an earlier send's under the same token, and the wait goes on for the outcome of this one (a
 * transfer, or its own rejection). A rejection that stays true whenever it was recorded (the token
 * transferred another request) is answered at once.
 *
 * The answer is whatever `read` says: to wait for a request, read the request's status (pass the request to
 * `readTransferStatus`), so that a token another request used is reported as the reuse (rejected,
 * `IdempotentParameterMismatch`) and never answered with that request's transfer.
 *
 * @example
 * const sentAt = Date.now();
 * const { messageId } = await client.enqueue(request);
 * const { ContactId } = await waitForOutcome(() => readTransferStatus(dynamodb, tables, request), request.ClientToken, { sentAt, messageId });
 */
export async function waitForOutcome(
  read: (clientToken: string) => Promise<TransferStatus>,
  clientToken: string,
  options: WaitOptions = {},
): Promise<TransferOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const startedAt = Date.now();
  const sentAt = options.sentAt ?? startedAt;
  const deadline = startedAt + timeoutMs;
  let pause = options.pollIntervalMs ?? 250;
  for (;;) {
    const status = await read(clientToken);
    if (status.status === 'transferred')
      return { ContactId: status.ContactId, ContactArn: status.ContactArn };
    if (status.status === 'rejected' && answersThisSend(status, sentAt, options.messageId))
      throw new TransferRejectedError(clientToken, status.reason);
    if (Date.now() + pause > deadline) throw new TransferWaitTimeoutError(clientToken, status, timeoutMs);
    await sleep(pause);
    pause = Math.min(2_000, pause * 1.5);
  }
}
