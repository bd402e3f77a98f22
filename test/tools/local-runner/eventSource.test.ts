import { fileURLToPath } from 'node:url';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { keptMessages } from '../../../tools/local-runner/EventSourcePoller.js';
import { ExecutionEnvironment } from '../../../tools/local-runner/ExecutionEnvironment.js';

describe('keptMessages: which records stay in the queue after an invocation (Lambda’s rules)', () => {
  const ids = ['a', 'b', 'c'];
  it('keeps the reported failures', () => {
    expect(
      keptMessages(
        ids,
        { kind: 'response', response: { batchItemFailures: [{ itemIdentifier: 'b' }] } },
        true,
      ),
    ).toEqual(new Set(['b']));
  });
  it('keeps the whole batch on an error, a timeout, or a failure naming a message not in the batch', () => {
    expect(keptMessages(ids, { kind: 'error', error: 'x' }, true)).toEqual(new Set(ids));
    expect(keptMessages(ids, { kind: 'timeout' }, true)).toEqual(new Set(ids));
    expect(
      keptMessages(
        ids,
        { kind: 'response', response: { batchItemFailures: [{ itemIdentifier: 'zzz' }] } },
        true,
      ),
    ).toEqual(new Set(ids));
    expect(
      keptMessages(
        ids,
        { kind: 'response', response: { batchItemFailures: [{ itemIdentifier: '' }] } },
        true,
      ),
    ).toEqual(new Set(ids));
  });
  it('ignores the response without ReportBatchItemFailures', () => {
    expect(
      keptMessages(
        ids,
        { kind: 'response', response: { batchItemFailures: [{ itemIdentifier: 'b' }] } },
        false,
      ),
    ).toEqual(new Set());
  });
});

describe('ExecutionEnvironment', () => {
  const environment = (timeoutMs: number) =>
    new ExecutionEnvironment({
      modulePath: fileURLToPath(new URL('../../support/fixtures/sleepyHandler.mjs', import.meta.url)),
      handlerName: 'handler',
      functionName: 'fixture',
      timeoutMs,
      environment: { FIXTURE_VALUE: 'from-template' },
    });
  const event = (sleepMs: number) => ({ Records: [], sleepMs }) as unknown as SQSEvent;

  it('runs the handler with the given environment and a remaining time that follows the timeout', async () => {
    const env = environment(2_000);
    try {
      const result = await env.invoke(event(0));
      expect(result.kind).toBe('response');
      const response = (result as { response: unknown }).response as { env: string; remainingMs: number };
      expect(response.env).toBe('from-template');
      expect(response.remainingMs).toBeGreaterThan(1_000);
      expect(response.remainingMs).toBeLessThanOrEqual(2_000);
    } finally {
      await env.kill();
    }
  });

  it('keeps its module warm between invocations, kills it past the timeout, and cold-starts the next', async () => {
    const env = environment(300);
    try {
      const first = (await env.invoke(event(0))) as unknown as { response: { instance: string } };
      const second = (await env.invoke(event(0))) as unknown as { response: { instance: string } };
      expect(second.response.instance).toBe(first.response.instance);
      expect((await env.invoke(event(1_000))).kind).toBe('timeout');
      const afterTimeout = (await env.invoke(event(0))) as unknown as { response: { instance: string } };
      expect(afterTimeout.response.instance).not.toBe(first.response.instance);
    } finally {
      await env.kill();
    }
  });
});

describe('ExecutionEnvironment killed during its cold start', () => {
  it('answers the pending invocation with an error instead of hanging, and starts afresh next time', async () => {
    const env = new ExecutionEnvironment({
      modulePath: fileURLToPath(new URL('../../support/fixtures/sleepyHandler.mjs', import.meta.url)),
      handlerName: 'handler',
      functionName: 'fixture',
      timeoutMs: 2_000,
      environment: {},
    });
    try {
      const pending = env.invoke({ Records: [], sleepMs: 0 } as unknown as SQSEvent);
      await env.kill();
      expect((await pending).kind).toBe('error');
      expect((await env.invoke({ Records: [], sleepMs: 0 } as unknown as SQSEvent)).kind).toBe('response');
    } finally {
      await env.kill();
    }
  });
});
