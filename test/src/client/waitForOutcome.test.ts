import { describe, expect, it } from 'vitest';
import {
  TransferRejectedError,
  TransferWaitTimeoutError,
  waitForOutcome,
} from '../../../src/client/waitForOutcome.js';
import type { TransferStatus } from '../../../src/status/transferStatus.js';

/** A status reader that answers each given status in turn, then the last one forever, counting reads. */
const reader = (...answers: TransferStatus[]) => {
  let reads = 0;
  const read = async () => answers[Math.min(reads++, answers.length - 1)] as TransferStatus;
  return { read, reads: () => reads };
};
const inFlight: TransferStatus = { status: 'in-flight', until: '2026-11-29T00:00:00Z' };
const unknown: TransferStatus = { status: 'unknown', hint: 'not seen yet' };

describe('waitForOutcome', () => {
  it('reads until the request transferred, then answers as TransferContact does', async () => {
    const { read, reads } = reader(unknown, inFlight, {
      status: 'transferred',
      ContactId: 'c-2',
      ContactArn: 'arn:c-2',
    });
    await expect(waitForOutcome(read, 't', { pollIntervalMs: 1 })).resolves.toEqual({
      ContactId: 'c-2',
      ContactArn: 'arn:c-2',
    });
    expect(reads()).toBe(3);
  });

  it('throws the reason of a rejected request', async () => {
    const reason = {
      errorClass: 'CapReached',
      errorCode: 'TransferCapReached',
      errorMessage: 'full',
      failedAt: 'now',
      messageId: 'm',
    };
    const { read } = reader(inFlight, { status: 'rejected', reason });
    const error = await waitForOutcome(read, 't', { pollIntervalMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferRejectedError);
    expect((error as TransferRejectedError).reason).toEqual(reason);
  });

  it('gives up at the timeout with the last status, looking less often as it waits', async () => {
    const { read, reads } = reader(inFlight);
    const started = Date.now();
    const error = await waitForOutcome(read, 't', { timeoutMs: 1_000, pollIntervalMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransferWaitTimeoutError);
    expect((error as TransferWaitTimeoutError).lastStatus).toEqual(inFlight);
    expect(Date.now() - started).toBeLessThan(1_500);
    // 100, 150, 225, 337 ms… : a handful of reads, not one every 100 ms
    expect(reads()).toBeLessThanOrEqual(6);
  });

  it('names the hint of an unknown last status when it gives up (a token another request holds)', async () => {
    const held: TransferStatus = { status: 'unknown', hint: 'ClientToken t is held by another request' };
    const error = await waitForOutcome(reader(held).read, 't', { timeoutMs: 50, pollIntervalMs: 10 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain(
      'last status: unknown: ClientToken t is held by another request',
    );
  });
});

describe('waitForOutcome, when the token was dead-lettered by an earlier send', () => {
  const reason = (failedAt: string, messageId = 'm-old') => ({
    errorClass: 'CapReached',
    errorCode: 'TransferCapReached',
    errorMessage: 'full',
    failedAt,
    messageId,
  });
  const transferred: TransferStatus = { status: 'transferred', ContactId: 'c-2', ContactArn: 'arn:c-2' };
  const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

  it('keeps waiting past a rejection recorded before the wait began, for the new send’s transfer', async () => {
    const old: TransferStatus = { status: 'rejected', reason: reason(anHourAgo()) };
    const { read, reads } = reader(old, old, inFlight, transferred);
    await expect(waitForOutcome(read, 't', { pollIntervalMs: 1 })).resolves.toEqual({
      ContactId: 'c-2',
      ContactArn: 'arn:c-2',
    });
    expect(reads()).toBe(4);
  });

  it('keeps waiting past a rejection recorded before the send it is given, and answers the send’s own', async () => {
    const sentAt = Date.now() - 10_000;
    const before: TransferStatus = { status: 'rejected', reason: reason(new Date(sentAt - 1).toISOString()) };
    const own = reason(new Date(sentAt + 5_000).toISOString(), 'm-new');
    const { read } = reader(before, { status: 'rejected', reason: own });
    const error = await waitForOutcome(read, 't', { pollIntervalMs: 1, sentAt }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferRejectedError);
    expect((error as TransferRejectedError).reason).toEqual(own);
  });

  it('answers the rejection of the send’s message whatever its time says (the clocks may differ)', async () => {
    const { read } = reader({ status: 'rejected', reason: reason(anHourAgo(), 'm-new') });
    const error = await waitForOutcome(read, 't', { pollIntervalMs: 1, messageId: 'm-new' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransferRejectedError);
  });

  it('answers at once a rejection that holds whenever it was recorded, or one without a time', async () => {
    const reused = { ...reason(anHourAgo()), errorCode: 'IdempotentParameterMismatch' };
    const final = reader({ status: 'rejected', reason: reused, final: true });
    await expect(waitForOutcome(final.read, 't', { pollIntervalMs: 1 })).rejects.toThrow(
      TransferRejectedError,
    );
    const undated = reader({ status: 'rejected', reason: { ...reused, failedAt: '', messageId: '' } });
    await expect(waitForOutcome(undated.read, 't', { pollIntervalMs: 1 })).rejects.toThrow(
      TransferRejectedError,
    );
  });

  it('times out naming the earlier send’s rejection it left', async () => {
    const old: TransferStatus = { status: 'rejected', reason: reason('2020-01-01T00:00:00.000Z') };
    const error = await waitForOutcome(reader(old).read, 't', { timeoutMs: 50, pollIntervalMs: 10 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransferWaitTimeoutError);
    expect((error as Error).message).toContain('rejected at 2020-01-01T00:00:00.000Z');
  });
});
