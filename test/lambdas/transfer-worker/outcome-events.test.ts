import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTCOME_EVENT_SOURCE,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
} from '../../../src/contract/index.js';
import {
  TransferCompletedDetailSchema,
  TransferFailedDetailSchema,
} from '../../../src/events/outcomeEvents.js';
import { type BusEvent, LocalEventBridge } from '../../../tools/local-eventbridge/LocalEventBridge.js';
import { sqsEvent, sqsRecord, WORKER_SENDER_ID } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

const BUS = 'orchestrator-bus';

// The real handler publishing to a local EventBridge over HTTP, as deployed with outcome events on.
describe('outcome events', () => {
  let harness: WorkerHarness;
  let bridge: LocalEventBridge;
  const seen: BusEvent[] = [];
  beforeAll(async () => {
    bridge = await LocalEventBridge.start({ sqsEndpoint: 'http://127.0.0.1:1' });
    bridge.configure({ buses: [BUS], rules: [] });
    bridge.onEvent((bus, event) => {
      if (bus === BUS && event.source === OUTCOME_EVENT_SOURCE) seen.push(event);
    });
    harness = await WorkerHarness.start({
      env: { OUTCOME_EVENT_BUS_NAME: BUS, AWS_ENDPOINT_URL_EVENTBRIDGE: bridge.endpoint },
    });
  });
  afterAll(async () => {
    await harness.stop();
    await bridge.stop();
  });
  const take = () => seen.splice(0, seen.length);

  it('publishes one Completed event for a transfer, with the request, the result, attempts and latency', async () => {
    const contact = harness.newContact();
    const body = {
      InstanceId: 'instance-1',
      ContactId: contact,
      ContactFlowId: 'flow-queue',
      QueueId: 'queue-1',
      ClientToken: `t-${contact}`,
    };
    const sentAt = Date.now() - 1_500;
    const record = sqsRecord(body, { receiveCount: 2 });
    const result = await harness.invoke(
      sqsEvent({ ...record, attributes: { ...record.attributes, SentTimestamp: String(sentAt) } }),
    );
    expect(result.batchItemFailures).toEqual([]);
    const [event, ...more] = take();
    expect(more).toEqual([]);
    expect(event?.['detail-type']).toBe(TRANSFER_COMPLETED_DETAIL_TYPE);
    const detail = TransferCompletedDetailSchema.parse(event?.detail);
    expect(detail).toMatchObject({
      ClientToken: `t-${contact}`,
      Request: body,
      Replayed: false,
      Attempts: 2,
    });
    expect(detail.LatencyMs).toBeGreaterThanOrEqual(1_500);
    expect(detail.ContactArn).toContain(detail.ContactId);
  });

  it('names the message the producer sent when the record is a copy the worker sent back to wait', async () => {
    const contact = harness.newContact();
    const record = sqsRecord(
      {
        InstanceId: 'instance-1',
        ContactId: contact,
        ContactFlowId: 'flow-queue',
        QueueId: 'queue-1',
        ClientToken: `held-${contact}`,
      },
      {
        messageAttributes: { OriginalMessageId: { dataType: 'String', stringValue: 'sent-by-producer' } },
        senderId: WORKER_SENDER_ID,
      },
    );
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    const [event] = take();
    expect(TransferCompletedDetailSchema.parse(event?.detail).MessageId).toBe('sent-by-producer');
  });

  it('publishes a Failed event for a dead-lettered request, with the raw body when it is not a request', async () => {
    await harness.invoke(sqsEvent(sqsRecord('{"ContactId": 42, "ClientToken": "bad-1"}')));
    const [event] = take();
    expect(event?.['detail-type']).toBe(TRANSFER_FAILED_DETAIL_TYPE);
    expect(TransferFailedDetailSchema.parse(event?.detail)).toMatchObject({
      ClientToken: 'bad-1',
      Body: '{"ContactId": 42, "ClientToken": "bad-1"}',
      ErrorClass: 'InvalidRequest',
      Destination: 'DLQ',
    });
    await harness.drainDlq();
  });

  it('keeps a record whose event the bus refused, and publishes on the next delivery without a second transfer', async () => {
    const contact = harness.newContact();
    const request = {
      InstanceId: 'instance-1',
      ContactId: contact,
      ContactFlowId: 'flow-queue',
      QueueId: 'queue-1',
    };
    const record = sqsRecord({ ...request, ClientToken: `r-${contact}` });
    bridge.failNextPutEvents(1);
    const first = await harness.invoke(sqsEvent(record));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(take()).toEqual([]);
    const again = await harness.invoke(
      sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }),
    );
    expect(again.batchItemFailures).toEqual([]);
    const [event] = take();
    expect(TransferCompletedDetailSchema.parse(event?.detail)).toMatchObject({
      ClientToken: `r-${contact}`,
      Replayed: true,
    });
    expect(harness.connect.calls.filter((c) => c.transferred && c.input.ContactId === contact)).toHaveLength(
      1,
    );
  });

  it('publishes the Failed event again when a dead-lettered record comes back after its event was refused', async () => {
    const record = sqsRecord('not json');
    bridge.failNextPutEvents(1);
    const first = await harness.invoke(sqsEvent(record));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    const again = await harness.invoke(sqsEvent(record));
    expect(again.batchItemFailures).toEqual([]);
    expect(take().map((e) => e['detail-type'])).toEqual([TRANSFER_FAILED_DETAIL_TYPE]);
    expect(await harness.drainDlq()).toHaveLength(1); // dead-lettered once
  });
});
