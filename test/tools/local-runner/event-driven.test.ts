import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTCOME_EVENT_SOURCE,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
  TRANSFER_REQUESTED_DETAIL_TYPE,
} from '../../../src/contract/index.js';
import {
  TransferCompletedDetailSchema,
  TransferFailedDetailSchema,
} from '../../../src/events/outcomeEvents.js';
import { receiveAll, stringAttributes } from '../../../src/queues/receiveAll.js';
import type { BusEvent } from '../../../tools/local-eventbridge/LocalEventBridge.js';
import { LocalOrchestrator } from '../../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../../../tools/local-runner/sampleContactCenter.js';

const FAST = { transferRatePerSecond: '20', functionTimeoutSeconds: '10' };
const until = async (done: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
/** Outcome events put on the orchestrator's bus, as a subscriber would see them. */
const outcomeEventsOf = (local: LocalOrchestrator) => {
  const seen: BusEvent[] = [];
  local.eventBridge.onEvent((_, event) => {
    if (event.source === OUTCOME_EVENT_SOURCE) seen.push(event);
  });
  return seen;
};
const transfersTo = (local: LocalOrchestrator, queueId: string) =>
  local.connect.calls.filter((c) => c.transferred && c.input.QueueId === queueId);

// Contact events in, transfers and outcome events out, all on the local engines: the simulator raises
// Connect's contact events on the default bus, the template's rule turns them into requests.
describe('the event-driven loop: a stack with addTransferRule', () => {
  let local: LocalOrchestrator;
  let outcomes: BusEvent[];
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      app: 'examples/escalate-queued-tasks.ts',
      context: FAST,
      simulator: { ratePerSecond: 1_000, burst: 1_000 },
    });
    outcomes = outcomeEventsOf(local);
  }, 180_000);
  afterAll(() => local?.stop());

  it('transfers each task queued on support once, and publishes one Completed event for each', async () => {
    for (const id of ['esc-1', 'esc-2', 'esc-3'])
      local.connect.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: id, queueId: 'support' });
    // Not matched: another queue, and another channel.
    local.connect.startContact({
      instanceId: SAMPLE_INSTANCE_ID,
      contactId: 'billing-1',
      queueId: 'billing',
    });
    local.connect.startContact({
      instanceId: SAMPLE_INSTANCE_ID,
      contactId: 'email-9',
      channel: 'EMAIL',
      queueId: 'support',
    });
    await until(() => outcomes.length >= 3, 'three outcome events');
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // anything more would show up by now
    expect(
      transfersTo(local, 'escalations')
        .map((c) => c.input.ContactId)
        .sort(),
    ).toEqual(['esc-1', 'esc-2', 'esc-3']);
    expect(outcomes.map((e) => e['detail-type'])).toEqual(Array(3).fill(TRANSFER_COMPLETED_DETAIL_TYPE));
    for (const event of outcomes) {
      const detail = TransferCompletedDetailSchema.parse(event.detail);
      expect(detail.ClientToken).toBe(`rule-EscalateQueuedTasks-${detail.Request.ContactId}`);
      expect(detail.ContactArn).toContain(`/contact/${detail.ContactId}`);
      expect(detail.Replayed).toBe(false);
    }
  });

  it('drops a request EventBridge cannot deliver into the rule target’s dead-letter queue, with the reason', async () => {
    const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
    const events = new EventBridgeClient({ endpoint: local.eventBridge.endpoint });
    // An AWS source is Connect's to put, not a client's.
    const spoofed = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'aws.connect', DetailType: 'x', Detail: '{}', EventBusName: 'default' }],
      }),
    );
    expect(spoofed.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');

    await sqs.send(new DeleteQueueCommand({ QueueUrl: local.queueUrl }));
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: local.eventBusName,
            Source: 'crm',
            DetailType: TRANSFER_REQUESTED_DETAIL_TYPE,
            Detail: JSON.stringify({
              InstanceId: SAMPLE_INSTANCE_ID,
              ContactId: 'task-5',
              ContactFlowId: 'f',
              QueueId: 'support',
            }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    await local.eventBridge.idle();
    const undelivered = [];
    for await (const message of receiveAll(sqs, local.eventDeadLetterQueueUrl, { visibilityTimeout: 60 }))
      undelivered.push(message);
    expect(undelivered).toHaveLength(1);
    const attributes = stringAttributes(undelivered[0] as never);
    expect(attributes.ERROR_CODE).toBe('RESOURCE_NOT_FOUND');
    expect(attributes.RULE_ARN).toMatch(/rule\/.+\/OrchestratorTransferRequestedRule/);
    expect(JSON.parse(undelivered[0]?.Body ?? '{}')).toMatchObject({
      'detail-type': TRANSFER_REQUESTED_DETAIL_TYPE,
      source: 'crm',
    });
  });
});

describe('the event-driven loop: a rule that matches its own transfers', () => {
  let local: LocalOrchestrator;
  let outcomes: BusEvent[];
  beforeAll(async () => {
    local = await LocalOrchestrator.start({
      app: 'test/fixtures/loopingRuleApp.ts',
      context: { ...FAST, transferCap: '3' },
      simulator: { ratePerSecond: 1_000, burst: 1_000 },
    });
    outcomes = outcomeEventsOf(local);
  }, 180_000);
  afterAll(() => local?.stop());

  it('stops the chain at its cap: three transfers, then one request refused, one outcome event per request', async () => {
    local.connect.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: 'loop-1', queueId: 'support' });
    await until(
      () => outcomes.some((e) => e['detail-type'] === TRANSFER_FAILED_DETAIL_TYPE),
      'the refused request',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(local.connect.transfersPerChain().get(`${SAMPLE_INSTANCE_ID}/loop-1`)).toBe(3);
    const tokens = outcomes.map((e) => String((e.detail as { ClientToken?: string }).ClientToken));
    expect(new Set(tokens).size).toBe(tokens.length); // one event per request
    expect(outcomes.map((e) => e['detail-type'])).toEqual([
      ...Array(3).fill(TRANSFER_COMPLETED_DETAIL_TYPE),
      TRANSFER_FAILED_DETAIL_TYPE,
    ]);
    const failed = TransferFailedDetailSchema.parse(outcomes.at(-1)?.detail);
    expect(failed).toMatchObject({
      ErrorClass: 'CapReached',
      ErrorCode: 'TransferCapReached',
      Destination: 'DLQ',
    });
  });
});
