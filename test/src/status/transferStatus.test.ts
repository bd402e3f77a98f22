import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decideTransferStatus, idempotencyKeyFor } from '../../../src/status/transferStatus.js';

const now = Date.parse('2026-11-29T12:00:00Z');
const rejection = {
  errorClass: 'CapReached',
  errorCode: 'TransferCapReached',
  errorMessage: 'x',
  failedAt: '2026-11-29T11:00:00Z',
  messageId: 'm',
};

describe('idempotencyKeyFor', () => {
  it('derives the key as Powertools does: prefix, then base64 md5 of the JSON token', () => {
    expect(idempotencyKeyFor('abc')).toBe(
      `TransferContact#${createHash('md5').update('"abc"').digest('base64')}`,
    );
  });
});

describe('decideTransferStatus', () => {
  it('reports a completed record as transferred, from a map or from JSON text', () => {
    const result = { ContactId: 'c2', ContactArn: 'arn:c2' };
    expect(decideTransferStatus({ status: 'COMPLETED', data: result }, undefined, now)).toEqual({
      status: 'transferred',
      ...result,
    });
    expect(
      decideTransferStatus({ status: 'COMPLETED', data: JSON.stringify(result) }, undefined, now),
    ).toEqual({ status: 'transferred', ...result });
  });

  it('prefers a completed transfer over an older rejection (a redrive that succeeded)', () => {
    expect(
      decideTransferStatus({ status: 'COMPLETED', data: { ContactId: 'c' } }, rejection, now).status,
    ).toBe('transferred');
  });

  it('reports an in-progress record before its expiry as in flight, and after it as its rejection or unknown', () => {
    const inProgress = { status: 'INPROGRESS', in_progress_expiration: now + 1_000 };
    expect(decideTransferStatus(inProgress, undefined, now)).toEqual({
      status: 'in-flight',
      until: new Date(now + 1_000).toISOString(),
    });
    expect(decideTransferStatus({ ...inProgress, in_progress_expiration: now - 1 }, rejection, now)).toEqual({
      status: 'rejected',
      reason: rejection,
    });
  });

  it('ignores an expired record', () => {
    const expired = { status: 'COMPLETED', data: { ContactId: 'c' }, expiration: now / 1000 - 1 };
    expect(decideTransferStatus(expired, undefined, now).status).toBe('unknown');
  });
});
