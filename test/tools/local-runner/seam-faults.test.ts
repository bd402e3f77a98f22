import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { parseOutcomeLine } from '../../../tools/local-runner/outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';
import { seamSiteReports } from '../../../tools/local-runner/seamProxies.js';

const REQUESTS = 6;

// Demo and chaos fault every seam: the worker reaches each engine through a fault layer, which counts its
// calls per site and injects faults; the poller, provisioning and the checks go to the engines directly.
describe('the local runner with seam faults', () => {
  let local: LocalOrchestrator;
  const transferred = new Set<string>();
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      context: { transferRatePerSecond: '50', functionTimeoutSeconds: '10', maxConcurrency: '2' },
      simulator: { ratePerSecond: 1_000, burst: 1_000, contactIdMode: 'keep' },
      environment: { POWERTOOLS_LOG_LEVEL: 'INFO', REQUEST_TIMEOUT_MS: '1000' },
      seamFaults: {
        dynamodb: { rates: { throttle: 0.05, 'fail-before': 0.05 }, seed: 3 },
        connect: { rates: { 'fail-before': 0.2 }, seed: 4 },
      },
      onLogLine: (line) => {
        const outcome = parseOutcomeLine(line);
        if (outcome?.outcome === 'Transferred' && outcome.messageId) transferred.add(outcome.messageId);
      },
    });
    const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const entries = Array.from({ length: REQUESTS }, (_, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: `task-${i + 1}`,
        ContactFlowId: 'flow-transfer-to-queue',
        QueueId: 'support',
        ClientToken: `seam-faults-${i + 1}`,
      }),
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: local.queueUrl, Entries: entries }));
    for (let i = 0; i < 300 && transferred.size < REQUESTS; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await local.seamsSettled();
  }, 180_000);
  afterAll(() => local?.stop());

  it('transfers every request once through the faults', () => {
    expect(transferred.size).toBe(REQUESTS);
    const transfers = local.connect.calls.filter((call) => call.transferred);
    expect(new Set(transfers.map((call) => call.input.ClientToken)).size).toBe(REQUESTS);
    expect(transfers).toHaveLength(REQUESTS);
  });

  it("counts the worker's calls per site, and none of the poller's", () => {
    const proxies = local.seamProxies;
    expect(proxies).toBeDefined();
    expect(proxies?.connect.counts.get('connect.transfer') ?? 0).toBeGreaterThanOrEqual(REQUESTS);
    expect(proxies?.dynamodb.counts.get('ledger.reserve') ?? 0).toBeGreaterThanOrEqual(REQUESTS);
    expect(proxies?.eventbridge.counts.get('events.completed') ?? 0).toBeGreaterThanOrEqual(REQUESTS);
    expect(proxies?.sqs.counts.has('queue.receive')).toBe(false);
    expect(proxies?.sqs.counts.has('queue.delete')).toBe(false);
  });

  it('reports each fault injected at the site it hit, and injects none where none was asked for', () => {
    const reports = seamSiteReports(local.seamProxies);
    const injected = Object.values(local.seamProxies ?? {}).reduce(
      (sum, proxy) => sum + proxy.injected.length,
      0,
    );
    const reported = reports.reduce(
      (sum, report) => sum + Object.values(report.faults).reduce((a, b) => a + b, 0),
      0,
    );
    expect(injected).toBeGreaterThan(0);
    expect(reported).toBe(injected);
    const unfaulted = reports.filter((report) => /^(sqs|eventbridge):/.test(report.site));
    expect(unfaulted.every((report) => Object.values(report.faults).every((n) => n === 0))).toBe(true);
    expect(reports.find((report) => report.site === 'connect:connect.transfer')?.calls).toBeGreaterThan(0);
  });
});

describe('the local runner without seam faults', () => {
  it('has no fault layer, and settles at once', async () => {
    const local = await LocalOrchestrator.start({ simulator: { ratePerSecond: 1_000, burst: 1_000 } });
    try {
      expect(local.seamProxies).toBeUndefined();
      expect(seamSiteReports(local.seamProxies)).toEqual([]);
      await local.seamsSettled();
    } finally {
      await local.stop();
    }
  }, 180_000);
});
