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
