import { createSocket } from 'node:dgram';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferClient } from '../../src/client/index.js';
import { OUTCOME_EVENT_SOURCE } from '../../src/contract/index.js';
import { parseTraceHeader } from '../../src/tracing/traceHeader.js';
import { LocalOrchestrator } from '../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from '../../tools/local-runner/sampleContactCenter.js';

const REQUESTS = 3;
const traceOf = (i: number) =>
  `Root=1-6750a1b2-${(i + 0xabc).toString(16).padStart(24, '0')};Parent=${(i + 1).toString(16).padStart(16, '0')};Sampled=1`;
const rootOf = (header: string | undefined) => parseTraceHeader(header)?.root;

for (const mode of ['true', 'false'] as const) {
  describe(`bundled worker in a Lambda-like environment, POWERTOOLS_TRACE_ENABLED=${mode}`, () => {
    let local: LocalOrchestrator;
    const logs: string[] = [];
    const udp: string[] = [];
    const outcomeTraces = new Map<string, string | undefined>();
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
      local.eventBridge.onEvent((_bus, event, traceHeader) => {
        if (event.source === OUTCOME_EVENT_SOURCE)
          outcomeTraces.set(String((event.detail as { ClientToken?: string }).ClientToken), traceHeader);
      });
    }, 180_000);
    afterAll(async () => {
      await local?.stop();
      daemon.close();
    });

    it('transfers, with each producer trace at Connect and on the outcome event', async () => {
      const tokens: string[] = [];
      for (let i = 0; i < REQUESTS; i += 1) {
        const client = new TransferClient({
          queueUrl: local.queueUrl,
          sqs: new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false }),
          traceHeader: () => traceOf(i),
        });
        const { clientToken } = await client.enqueue({
          InstanceId: SAMPLE_INSTANCE_ID,
          ContactId: `task-${i + 1}`,
          ContactFlowId: 'flow-transfer-to-queue',
          QueueId: 'billing',
          ClientToken: `trace-${mode}-${i}`,
        });
        tokens.push(clientToken);
      }
      const transferredTo = (token: string) =>
        local.connect.calls.find((c) => c.transferred && c.input.ClientToken === token);
      const deadline = Date.now() + 90_000;
      while (!tokens.every((t) => transferredTo(t) && outcomeTraces.has(t))) {
        if (Date.now() > deadline) {
          console.log(logs.slice(-40).join('\n'));
          throw new Error('timed out');
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      tokens.forEach((token, i) => {
        expect(rootOf(transferredTo(token)?.traceHeader)).toBe(rootOf(traceOf(i)));
        expect(rootOf(outcomeTraces.get(token))).toBe(rootOf(traceOf(i)));
      });
      const errors = logs.filter((l) => /error|Error/.test(l) && !/"level":"INFO"/.test(l));
      console.log(
        `mode ${mode}: ${udp.length} UDP datagrams to the daemon; ${errors.length} error-ish log lines`,
      );
      console.log(errors.slice(0, 8).join('\n'));
      console.log(udp.slice(0, 3).join('\n---\n').slice(0, 2000));
      if (mode === 'true') expect(udp.length).toBeGreaterThan(0);
      else expect(udp.length).toBe(0);
    }, 120_000);
  });
}
