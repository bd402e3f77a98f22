import { SQSClient } from '@aws-sdk/client-sqs';
import { TransferClient } from '../../src/client/index.js';
import { OUTCOME_EVENT_SOURCE } from '../../src/contract/index.js';
import { parseTraceHeader } from '../../src/tracing/traceHeader.js';
import type { LocalOrchestrator } from '../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../../tools/local-runner/sampleContactCenter.js';

/** A producer's trace per request: a distinct root (from `first`), a parent, sampled. */
export const traceOf = (i: number, first = 0): string =>
  `Root=1-6750a1b2-${(i + first).toString(16).padStart(24, '0')};Parent=${(i + 1).toString(16).padStart(16, '0')};Sampled=1`;

/** The trace id a header names, if it is one. */
export const rootOf = (header: string | undefined): string | undefined => parseTraceHeader(header)?.root;

/** The trace header each outcome event carried, by its `ClientToken`, as a bus subscriber sees them. */
export function outcomeTracesOf(local: LocalOrchestrator): Map<string, string | undefined> {
  const traces = new Map<string, string | undefined>();
  local.eventBridge.onEvent((_bus, event, traceHeader) => {
    if (event.source === OUTCOME_EVENT_SOURCE)
      traces.set(String((event.detail as { ClientToken?: string }).ClientToken), traceHeader);
  });
  return traces;
}

/** The `TransferContact` call that transferred under a token, as the simulator logged it. */
export const transferredUnder = (local: LocalOrchestrator, token: string) =>
  local.connect.calls.find((c) => c.transferred && c.input.ClientToken === token);

/**
 * Enqueues `count` requests (task-1 …, to the billing queue), each from a producer in its own trace
 * (`traceOf(i, first)`), and returns their tokens.
 */
export async function enqueueTraced(
  local: LocalOrchestrator,
  count: number,
  tokenOf: (i: number) => string,
  first = 0,
): Promise<string[]> {
  const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const client = new TransferClient({
      queueUrl: local.queueUrl,
      sqs,
      traceHeader: () => traceOf(i, first),
    });
    const { clientToken } = await client.enqueue({
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: `task-${i + 1}`,
      ContactFlowId: 'flow-transfer-to-queue',
      QueueId: 'billing',
      ClientToken: tokenOf(i),
    });
    tokens.push(clientToken);
  }
  return tokens;
}

/** Waits until `done`, checking every 250 ms, for at most 90 s. */
export async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
