import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decideRequestStatus,
  decideTransferStatus,
  idempotencyKeyFor,
  requestIdentity,
} from '../../../src/status/transferStatus.js';

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

describe('decideRequestStatus', () => {
  const a = requestIdentity({ InstanceId: 'i', ContactId: 'c-a', ContactFlowId: 'f', QueueId: 'q' });
  const b = requestIdentity({ InstanceId: 'i', ContactId: 'c-b', ContactFlowId: 'f', QueueId: 'q' });
  const transferredA = { fingerprint: a.fingerprint, ContactId: 'c-new', ContactArn: 'arn:c-new' };
  const completedA = { status: 'COMPLETED', data: { ContactId: 'c-new', ContactArn: 'arn:c-new' } };
  const reused = { ...rejection, errorClass: 'InvalidRequest', errorCode: 'IdempotentParameterMismatch' };

  it('rejects a request whose token another request transferred, never answering with its contact', () => {
    const status = decideRequestStatus(
      b,
      't',
      { idempotency: { ...completedA, validation: a.payloadHash }, ledger: transferredA },
      now,
    );
    expect(status).toMatchObject({
      status: 'rejected',
      reason: { errorClass: 'InvalidRequest', errorCode: 'IdempotentParameterMismatch' },
    });
    expect(JSON.stringify(status)).not.toContain('c-new');
  });

  it('answers the request that wrote the records with their outcome', () => {
    expect(
      decideRequestStatus(a, 't', { idempotency: { ...completedA, validation: a.payloadHash } }, now),
    ).toEqual({ status: 'transferred', ContactId: 'c-new', ContactArn: 'arn:c-new' });
    expect(decideRequestStatus(a, 't', { ledger: transferredA }, now)).toEqual({
      status: 'transferred',
      ContactId: 'c-new',
      ContactArn: 'arn:c-new',
    });
  });

  it('tells the reuse from the ledger alone, and from the idempotency record alone', () => {
    expect(decideRequestStatus(b, 't', { ledger: transferredA }, now).status).toBe('rejected');
    expect(
      decideRequestStatus(b, 't', { idempotency: { ...completedA, validation: a.payloadHash } }, now).status,
    ).toBe('rejected');
  });

  it('keeps a reuse unknown while the other request has not transferred, and rejects it once refused', () => {
    const inFlight = { status: 'INPROGRESS', in_progress_expiration: now + 1_000, validation: a.payloadHash };
    const pending = decideRequestStatus(b, 't', { idempotency: inFlight }, now);
    expect(pending).toMatchObject({
      status: 'unknown',
      hint: expect.stringContaining('held by another request'),
    });
    expect(
      decideRequestStatus(b, 't', { ledger: { fingerprint: a.fingerprint }, rejection: reused }, now),
    ).toEqual({ status: 'rejected', reason: reused });
  });

  it('does not take another request’s refused reuse for the outcome of the request holding the token', () => {
    const inFlight = { status: 'INPROGRESS', in_progress_expiration: now + 1_000, validation: a.payloadHash };
    expect(decideRequestStatus(a, 't', { idempotency: inFlight, rejection: reused }, now).status).toBe(
      'in-flight',
    );
    expect(
      decideRequestStatus(a, 't', { ledger: { fingerprint: a.fingerprint }, rejection: reused }, now).status,
    ).toBe('unknown');
  });

  it('ignores an idempotency record without a payload hash, and an expired one', () => {
    expect(decideRequestStatus(b, 't', { idempotency: completedA }, now).status).toBe('transferred');
    const expired = { ...completedA, validation: a.payloadHash, expiration: now / 1000 - 1 };
    expect(decideRequestStatus(b, 't', { idempotency: expired }, now).status).toBe('unknown');
  });
});

describe('decideRequestStatus, given a token’s rejection that names what it refused', () => {
  const a = requestIdentity({ InstanceId: 'i', ContactId: 'c-a', ContactFlowId: 'f', QueueId: 'q' });
  const b = requestIdentity({ InstanceId: 'i', ContactId: 'c-b', ContactFlowId: 'f', QueueId: 'q' });
  const c = requestIdentity({ InstanceId: 'i', ContactId: 'c-c', ContactFlowId: 'f', QueueId: 'q' });
  const capped = (fingerprint?: string) => ({ ...rejection, ...(fingerprint && { fingerprint }) });

  it('does not report A rejected for the dead letter of B, sent under the same token (CapReached)', () => {
    expect(decideRequestStatus(a, 't', { rejection: capped(b.fingerprint) }, now).status).toBe('unknown');
    expect(
      decideRequestStatus(
        a,
        't',
        { ledger: { fingerprint: a.fingerprint }, rejection: capped(b.fingerprint) },
        now,
      ).status,
    ).toBe('unknown');
    // B's own status is its rejection.
    expect(decideRequestStatus(b, 't', { rejection: capped(b.fingerprint) }, now)).toEqual({
      status: 'rejected',
      reason: capped(b.fingerprint),
    });
  });

  it('does not report A rejected for an invalid body that named A’s token', () => {
    const invalid = { ...capped('invalid'), errorClass: 'InvalidRequest', errorCode: 'ValidationError' };
    expect(decideRequestStatus(a, 't', { rejection: invalid }, now).status).toBe('unknown');
  });

  it('reports A’s own rejection, and one without a fingerprint (an older worker’s) as before', () => {
    expect(decideRequestStatus(a, 't', { rejection: capped(a.fingerprint) }, now)).toEqual({
      status: 'rejected',
      reason: capped(a.fingerprint),
    });
    expect(decideRequestStatus(a, 't', { rejection: capped() }, now)).toEqual({
      status: 'rejected',
      reason: capped(),
    });
  });

  it('reports a reuse refused as this request’s own when its fingerprint says so, and not another’s', () => {
    const refusedB = {
      ...rejection,
      errorClass: 'InvalidRequest',
      errorCode: 'IdempotentParameterMismatch',
      fingerprint: b.fingerprint,
    };
    const heldByA = { ledger: { fingerprint: a.fingerprint }, rejection: refusedB };
    expect(decideRequestStatus(b, 't', heldByA, now)).toEqual({ status: 'rejected', reason: refusedB });
    // C, another request again, was not refused yet: B's refusal is not C's.
    expect(decideRequestStatus(c, 't', heldByA, now).status).toBe('unknown');
    expect(decideRequestStatus(a, 't', heldByA, now).status).toBe('unknown');
  });

  it('marks a reuse whose token another request transferred as final, with its dead letter’s time', () => {
    const refusedB = {
      ...rejection,
      errorClass: 'InvalidRequest',
      errorCode: 'IdempotentParameterMismatch',
      fingerprint: b.fingerprint,
    };
    const transferredA = { fingerprint: a.fingerprint, ContactId: 'c-new', ContactArn: 'arn:c-new' };
    expect(decideRequestStatus(b, 't', { ledger: transferredA, rejection: refusedB }, now)).toEqual({
      status: 'rejected',
      reason: refusedB,
      final: true,
    });
    expect(decideRequestStatus(b, 't', { ledger: transferredA }, now)).toMatchObject({
      status: 'rejected',
      final: true,
      reason: { errorCode: 'IdempotentParameterMismatch', failedAt: '' },
    });
  });
});

describe('requestIdentity', () => {
  it('reads the request as the worker does: an instance ARN is its id, an empty optional field is absent', () => {
    const plain = { InstanceId: 'i-1', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' };
    expect(
      requestIdentity({
        ...plain,
        InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/i-1',
        UserId: '',
      }),
    ).toEqual(requestIdentity(plain));
    expect(requestIdentity({ ...plain, QueueId: 'q-2' })).not.toEqual(requestIdentity(plain));
  });
});
