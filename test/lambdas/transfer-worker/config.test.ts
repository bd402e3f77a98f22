import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallPacer } from '../../../lambdas/transfer-worker/CallPacer.js';
import { pacingIntervalMs, readWorkerConfig } from '../../../lambdas/transfer-worker/config.js';

const env = {
  LEDGER_TABLE_NAME: 'l',
  IDEMPOTENCY_TABLE_NAME: 'i',
  DEAD_LETTER_QUEUE_URL: 'https://dlq',
  TRANSFER_QUEUE_URL: 'https://q',
};

describe('readWorkerConfig', () => {
  it('applies the documented defaults', () => {
    expect(readWorkerConfig(env)).toMatchObject({
      transferCap: 11,
      transferRatePerSecond: 2,
      maxConcurrency: 2,
      maxReceiveCount: 5,
      idempotencyTtlSeconds: 86_400,
      deadlineMarginMs: 5_000,
      requeueLimit: 10,
    });
    expect(readWorkerConfig(env).allowedInstanceIds.size).toBe(0);
  });

  it('reads the allowed instances as a trimmed comma list', () => {
    const config = readWorkerConfig({ ...env, ALLOWED_INSTANCE_IDS: ' a, b ,,c' });
    expect([...config.allowedInstanceIds]).toEqual(['a', 'b', 'c']);
  });

  it('fails on a cap above Connect’s 11', () => {
    expect(() => readWorkerConfig({ ...env, TRANSFER_CAP: '12' })).toThrow(/TRANSFER_CAP must be at most 11/);
  });

  it('fails listing every missing variable', () => {
    expect(() => readWorkerConfig({})).toThrow(
      /LEDGER_TABLE_NAME is required; IDEMPOTENCY_TABLE_NAME is required; DEAD_LETTER_QUEUE_URL is required; TRANSFER_QUEUE_URL is required/,
    );
  });

  it('fails on a rate that is not a positive number', () => {
    expect(() => readWorkerConfig({ ...env, TRANSFER_RATE_PER_SECOND: '0' })).toThrow(/above 0/);
    expect(() => readWorkerConfig({ ...env, TRANSFER_RATE_PER_SECOND: 'fast' })).toThrow(/must be a number/);
  });
});

describe('pacingIntervalMs', () => {
  it('shares the rate among the concurrent workers', () => {
    expect(pacingIntervalMs({ transferRatePerSecond: 2, maxConcurrency: 2 })).toBe(1000);
    expect(pacingIntervalMs({ transferRatePerSecond: 10, maxConcurrency: 1 })).toBe(100);
  });
});

describe('CallPacer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces concurrent callers one interval apart', async () => {
    vi.useFakeTimers();
    const pacer = new CallPacer(500, () => Date.now());
    const started: number[] = [];
    const t0 = Date.now();
    const turns = [1, 2, 3].map(() => pacer.waitTurn().then(() => started.push(Date.now() - t0)));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(turns);
    expect(started).toEqual([0, 500, 1000]);
  });

  it('does not make a caller wait after a quiet period', async () => {
    vi.useFakeTimers();
    const pacer = new CallPacer(500, () => Date.now());
    await pacer.waitTurn();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(pacer.pendingDelayMs()).toBe(0);
  });
});
