import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompactLogFormatter } from '../../../lambdas/transfer-worker/CompactLogFormatter.js';

const context = {
  functionName: 'transfer-worker',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:transfer-worker',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/transfer-worker',
  logStreamName: '2026/11/30/[$LATEST]abc',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 1000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** What a logger with the given formatter writes for one line with the worker's context. */
function lineOf(logFormatter?: CompactLogFormatter): Record<string, unknown> {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const logger = new Logger({
    serviceName: 'transfer-worker',
    logLevel: 'INFO',
    ...(logFormatter && { logFormatter }),
  });
  logger.addContext(context);
  logger.info('transfer outcome', { outcome: 'Transferred', contactId: 'contact-1' });
  vi.restoreAllMocks();
  const line = written.find((w) => w.includes('transfer outcome'));
  if (!line) throw new Error(`no line written: ${JSON.stringify(written)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('CompactLogFormatter', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps what a line is found and correlated by, and the line’s own keys', () => {
    const line = lineOf(new CompactLogFormatter());
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'transfer outcome',
      service: 'transfer-worker',
      function_request_id: context.awsRequestId,
      outcome: 'Transferred',
      contactId: 'contact-1',
    });
    expect(typeof line.timestamp).toBe('string');
    expect(line).toHaveProperty('cold_start');
  });

  it('drops the keys every line of the function repeats, a third of a line shorter than Powertools’ own', () => {
    const compact = lineOf(new CompactLogFormatter());
    const standard = lineOf();
    for (const key of ['function_arn', 'function_name', 'function_memory_size', 'sampling_rate']) {
      expect(standard).toHaveProperty(key);
      expect(compact).not.toHaveProperty(key);
    }
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(standard).length - 150);
  });
});
