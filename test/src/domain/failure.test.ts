import { describe, expect, it } from 'vitest';
import {
  AmbiguousTransferError,
  CallVerdict,
  CapReachedError,
  ConnectCallError,
  classifyFailure,
  DeadlineTooCloseError,
  decideDisposition,
  InstanceNotAllowedError,
  InvalidRequestError,
  judgeFailedCall,
  Outcome,
  outcomeOfFailure,
  retryDelaySeconds,
} from '../../../src/domain/index.js';

const named = (name: string) => Object.assign(new Error(name), { name });

describe('classifyFailure', () => {
  it.each([
    [new InvalidRequestError('bad'), 'InvalidRequest', 'InvalidRequest'],
    [new InstanceNotAllowedError('i-x'), 'InvalidRequest', 'InstanceNotAllowed'],
    [named('IdempotencyValidationError'), 'InvalidRequest', 'IdempotentParameterMismatch'],
    [new CapReachedError('chain#i#c', 11), 'CapReached', 'TransferCapReached'],
    [
      new ConnectCallError('InvalidRequestException', 400, 'x'),
      'PermanentConnectError',
      'InvalidRequestException',
    ],
    [
      new ConnectCallError('ResourceNotFoundException', 404, 'x'),
      'PermanentConnectError',
      'ResourceNotFoundException',
    ],
    [
      new ConnectCallError('AccessDeniedException', 403, 'x'),
      'PermanentConnectError',
      'AccessDeniedException',
    ],
    [
      new ConnectCallError('ServiceQuotaExceededException', 402, 'x'),
      'PermanentConnectError',
      'ServiceQuotaExceededException',
    ],
    [new ConnectCallError('IdempotencyException', 409, 'x'), 'PermanentConnectError', 'IdempotencyException'],
    [
      new ConnectCallError('SomeNewClientException', 400, 'x'),
      'PermanentConnectError',
      'SomeNewClientException',
    ],
    [new ConnectCallError('ThrottlingException', 429, 'x'), 'Transient', 'ThrottlingException'],
    [new ConnectCallError('InternalServiceException', 500, 'x'), 'Transient', 'InternalServiceException'],
    [new ConnectCallError('ServiceUnavailable', 503, 'x'), 'Transient', 'ServiceUnavailable'],
    [new ConnectCallError('TimeoutError', undefined, 'x'), 'Transient', 'TimeoutError'],
    [named('IdempotencyAlreadyInProgressError'), 'Transient', 'TransferInFlight'],
    [named('IdempotencyPersistenceLayerError'), 'Transient', 'IdempotencyPersistenceLayerError'],
    [named('ProvisionedThroughputExceededException'), 'Transient', 'ProvisionedThroughputExceededException'],
    // A DynamoDB ResourceNotFoundException is infrastructure, not Connect refusing the transfer.
    [named('ResourceNotFoundException'), 'Transient', 'ResourceNotFoundException'],
    [new DeadlineTooCloseError(10), 'Transient', 'DeadlineTooClose'],
    ['a thrown string', 'Transient', 'UnknownError'],
  ])('classifies %o as %s with code %s', (error, errorClass, code) => {
    expect(classifyFailure(error)).toMatchObject({ errorClass, code });
  });
});

describe('judgeFailedCall', () => {
  const call = (...attempts: [string, number | undefined][]) =>
    new ConnectCallError(attempts.at(-1)?.[0] ?? '', attempts.at(-1)?.[1], 'x', {
      attempts: attempts.map(([code, httpStatusCode]) => ({ code, httpStatusCode })),
    });

  it.each([
    ['ThrottlingException', 429, 'nothing-happened'],
    ['InvalidRequestException', 400, 'nothing-happened'],
    ['ServiceQuotaExceededException', 402, 'nothing-happened'],
    ['IdempotencyException', 409, 'nothing-happened'],
    ['InternalServiceException', 500, 'may-have-transferred'],
    ['TimeoutError', undefined, 'may-have-transferred'],
    ['ECONNRESET', undefined, 'may-have-transferred'],
  ] as const)('judges a first call answered %s (%s) as %s', (code, status, expected) => {
    expect(judgeFailedCall(new ConnectCallError(code, status, 'x'), false)).toBe(expected);
  });

  it('never takes a refusal after an ambiguous attempt in the same call as proof that nothing happened', () => {
    // Connect may check the contact before the token: "not active" can be our own transfer's doing.
    expect(
      judgeFailedCall(call(['InternalServiceException', 500], ['InvalidRequestException', 400]), false),
    ).toBe(CallVerdict.RefusedAfterAmbiguity);
    expect(
      judgeFailedCall(call(['TimeoutError', undefined], ['ResourceNotFoundException', 404]), false),
    ).toBe(CallVerdict.RefusedAfterAmbiguity);
    expect(
      judgeFailedCall(call(['InternalServiceException', 500], ['ThrottlingException', 429]), false),
    ).toBe(CallVerdict.MayHaveTransferred);
    expect(judgeFailedCall(call(['ThrottlingException', 429], ['ThrottlingException', 429]), false)).toBe(
      CallVerdict.NothingHappened,
    );
  });

  it('never takes a refusal after an earlier ambiguous attempt as proof that nothing happened', () => {
    expect(judgeFailedCall(new ConnectCallError('InvalidRequestException', 400, 'not active'), true)).toBe(
      CallVerdict.RefusedAfterAmbiguity,
    );
    expect(judgeFailedCall(new ConnectCallError('IdempotencyException', 409, 'x'), true)).toBe(
      CallVerdict.RefusedAfterAmbiguity,
    );
    expect(judgeFailedCall(new ConnectCallError('ThrottlingException', 429, 'x'), true)).toBe(
      CallVerdict.NothingLearned,
    );
    expect(judgeFailedCall(new ConnectCallError('InternalServiceException', 500, 'x'), true)).toBe(
      CallVerdict.MayHaveTransferred,
    );
  });
});

describe('decideDisposition', () => {
  const throttled = classifyFailure(new ConnectCallError('ThrottlingException', 429, 'x'));
  const serverError = classifyFailure(new ConnectCallError('InternalServiceException', 500, 'x'));
  const inFlight = classifyFailure(
    Object.assign(new Error('x'), { name: 'IdempotencyAlreadyInProgressError' }),
  );
  const permanent = classifyFailure(new CapReachedError('chain', 3));
  const at = (receiveCount: number, requeues = 0) => ({
    receiveCount,
    maxReceiveCount: 5,
    requeues,
    requeueLimit: 10,
  });

  it('retries a transient failure before the last delivery', () => {
    expect(decideDisposition(throttled, at(4))).toBe('retry');
    expect(decideDisposition(serverError, at(4))).toBe('retry');
  });

  it('sends a throttled or in-flight request back to the queue on the last delivery, not to the DLQ', () => {
    expect(decideDisposition(throttled, at(5))).toBe('requeue');
    expect(decideDisposition(inFlight, at(5))).toBe('requeue');
  });

  it('dead-letters a throttled request that was sent back `requeueLimit` times', () => {
    expect(decideDisposition(throttled, at(5, 10))).toBe('dead-letter');
  });

  it('dead-letters any other transient failure on the last delivery', () => {
    expect(decideDisposition(serverError, at(5))).toBe('dead-letter');
  });

  it('dead-letters a permanent failure on the first delivery', () => {
    expect(decideDisposition(permanent, at(1))).toBe('dead-letter');
  });
});

describe('outcomeOfFailure', () => {
  it('names each class', () => {
    const of = (error: unknown, disposition: 'retry' | 'dead-letter') =>
      outcomeOfFailure(classifyFailure(error), disposition);
    expect(of(new InvalidRequestError('x'), 'dead-letter')).toBe(Outcome.InvalidRequest);
    expect(of(new CapReachedError('c', 1), 'dead-letter')).toBe(Outcome.CapReached);
    expect(of(new ConnectCallError('AccessDeniedException', 403, 'x'), 'dead-letter')).toBe(
      Outcome.ConnectRejected,
    );
    expect(of(new ConnectCallError('ThrottlingException', 429, 'x'), 'retry')).toBe(Outcome.RetryScheduled);
    expect(of(new ConnectCallError('ThrottlingException', 429, 'x'), 'dead-letter')).toBe(
      Outcome.RetriesExhausted,
    );
  });
});

describe('an ambiguous transfer', () => {
  it('is dead-lettered at once as AmbiguousTransfer, whatever the delivery', () => {
    const failure = classifyFailure(new AmbiguousTransferError('may have transferred', Date.now()));
    expect(failure).toMatchObject({ errorClass: 'AmbiguousTransfer', code: 'AmbiguousTransfer' });
    const disposition = decideDisposition(failure, {
      receiveCount: 1,
      maxReceiveCount: 5,
      requeues: 0,
      requeueLimit: 10,
    });
    expect(disposition).toBe('dead-letter');
    expect(outcomeOfFailure(failure, disposition)).toBe(Outcome.AmbiguousTransfer);
  });
});

describe('retryDelaySeconds', () => {
  const transient = (code: string) => ({ errorClass: 'Transient' as const, code, message: '' });
  it('brings a record whose twin is in flight back in seconds, and a deferred one soon after', () => {
    expect(retryDelaySeconds(transient('TransferInFlight'), 1)).toBe(2);
    expect(retryDelaySeconds(transient('TransferInFlight'), 3)).toBe(6);
    expect(retryDelaySeconds(transient('ThrottlingException'), 2)).toBe(6);
    expect(retryDelaySeconds(transient('OutcomeEventNotPublished'), 1)).toBe(3);
  });
  it('leaves any other transient failure to the queue’s visibility timeout, and waits at most 5 minutes', () => {
    expect(retryDelaySeconds(transient('InternalServiceException'), 1)).toBeUndefined();
    expect(retryDelaySeconds(transient('ResourceNotFoundException'), 2)).toBeUndefined();
    expect(retryDelaySeconds(transient('TransferInFlight'), 1_000)).toBe(300);
  });
});
