import { afterEach, describe, expect, it, vi } from 'vitest';
import { pacingIntervalMs, readWorkerConfig } from '../../../lambdas/transfer-worker/config.js';
import { CallPacer } from '../../../lambdas/transfer-worker/pacing/CallPacer.js';
import { type NumericSetting, SETTINGS, WORKER_SETTINGS } from '../../../src/contract/index.js';

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
      idempotencyTtl: 86_400,
      tokenReplayWindow: 3_600,
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
    expect(() => readWorkerConfig({ ...env, TRANSFER_CAP: '12' })).toThrow(
      /TRANSFER_CAP must be a whole number from 1 to 11 \(Connect refuses a 12th transfer\), got 12/,
    );
  });

  it('fails listing every missing variable', () => {
    expect(() => readWorkerConfig({})).toThrow(
      /LEDGER_TABLE_NAME is required; IDEMPOTENCY_TABLE_NAME is required; DEAD_LETTER_QUEUE_URL is required; TRANSFER_QUEUE_URL is required/,
    );
  });

  it('refuses what the construct refuses: one range per setting, from the settings table', () => {
    // The event source's maxConcurrency starts at 2; the worker's used to start at 1.
    expect(() => readWorkerConfig({ ...env, MAX_CONCURRENCY: '1' })).toThrow(
      /MAX_CONCURRENCY must be a whole number from 2 to 1000/,
    );
    for (const name of WORKER_SETTINGS) {
      const setting: NumericSetting = SETTINGS[name];
      const below = setting.minExclusive ? setting.min : setting.min - 1;
      expect(() => readWorkerConfig({ ...env, [setting.env?.name ?? '']: String(below) }), name).toThrow(
        setting.env?.name,
      );
      expect(readWorkerConfig({ ...env, [setting.env?.name ?? '']: String(setting.default) })[name]).toBe(
        setting.default,
      );
    }
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
