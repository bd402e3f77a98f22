import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../tools/local-runner/LocalOrchestrator.js';
import { sampleContactCenter } from '../../tools/local-runner/sampleContactCenter.js';
import {
  enqueueTraced,
  outcomeTracesOf,
  rootOf,
  traceOf,
  transferredUnder,
  until,
} from './tracedRequests.js';

const REQUESTS = 3;
/** Roots apart from the other tracing test's. */
const FIRST_ROOT = 0xabc;

for (const mode of ['true', 'false'] as const) {
  describe(`bundled worker in a Lambda-like environment, POWERTOOLS_TRACE_ENABLED=${mode}`, () => {
    let local: LocalOrchestrator;
    const logs: string[] = [];
    const udp: string[] = [];
    let outcomeTraces: Map<string, string | undefined>;
    const daemon = createSocket('udp4');
    beforeAll(async () => {
      await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
      daemon.on('message', (m) => udp.push(m.toString()));
      local = await LocalOrchestrator.start({
        context: { maxConcurrency: '2', batchSize: '10' },
        simulator: { contactIdMode: 'keep' },
        seed: sampleContactCenter(REQUESTS + 1),
        environment: {
          POWERTOOLS_TRACE_ENABLED: mode,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          LAMBDA_TASK_ROOT: '/tmp',
          AWS_LAMBDA_FUNCTION_NAME: 'TransferWorker',
          _X_AMZN_TRACE_ID: 'Root=1-6750a1b2-000000000000000000000fff;Parent=00000000000000ff;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
          AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        },
        onLogLine: (line) => logs.push(line),
      });
      outcomeTraces = outcomeTracesOf(local);
    }, 180_000);
    afterAll(async () => {
      await local?.stop();
      daemon.close();
    });

    it('transfers, with each producer trace at Connect and on the outcome event', async () => {
      const tokens = await enqueueTraced(local, REQUESTS, (i) => `trace-${mode}-${i}`, FIRST_ROOT);
      try {
        await until(
          () => tokens.every((t) => transferredUnder(local, t) && outcomeTraces.has(t)),
          'every transfer and its outcome event',
        );
      } finally {
        if (!tokens.every((t) => outcomeTraces.has(t)))
          process.stderr.write(`${logs.slice(-40).join('\n')}\n`);
      }
      tokens.forEach((token, i) => {
        expect(rootOf(transferredUnder(local, token)?.traceHeader)).toBe(rootOf(traceOf(i, FIRST_ROOT)));
        expect(rootOf(outcomeTraces.get(token))).toBe(rootOf(traceOf(i, FIRST_ROOT)));
      });
      if (mode === 'true') expect(udp.length).toBeGreaterThan(0);
      else expect(udp.length).toBe(0);
    }, 120_000);
  });
}
