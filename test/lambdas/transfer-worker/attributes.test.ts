import { ConnectClient, UpdateContactAttributesCommand } from '@aws-sdk/client-connect';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterAttribute, OUTCOME_EVENT_SOURCE } from '../../../src/contract/index.js';
import {
  TransferCompletedDetailSchema,
  TransferFailedDetailSchema,
} from '../../../src/events/outcomeEvents.js';
import type { TransferRequest } from '../../../src/request/index.js';
import { readTransferStatus } from '../../../src/status/readTransferStatus.js';
import { type BusEvent, LocalEventBridge } from '../../../tools/local-eventbridge/LocalEventBridge.js';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

const BUS = 'orchestrator-bus';
const FAKE = { accessKeyId: 'test', secretAccessKey: 'test' };
const REASON = { EscalationReason: 'sla-breach', CaseId: '42' };

// A request's Attributes reach the contact before its transfer, and the new contact carries them, under
// UpdateContactAttributes' own faults and TransferContact's: the real handler against the simulator.
describe('a request with Attributes (a transfer starts a new contact)', () => {
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
      simulator: { contactIdMode: 'new' },
      env: { OUTCOME_EVENT_BUS_NAME: BUS, AWS_ENDPOINT_URL_EVENTBRIDGE: bridge.endpoint },
    });
  });
  afterAll(async () => {
    await harness.stop();
    await bridge.stop();
  });
  beforeEach(() => {
    harness.connect.injectFaults({});
    seen.splice(0, seen.length);
  });

  const attributeCalls = (contact: string) =>
    harness.connect.calls.filter(
      (call) => call.operation === 'UpdateContactAttributes' && call.input.InitialContactId === contact,
    );
  const applied = (contact: string) =>
    harness.connect.attributeUpdatesPerContact().get(`instance-1/${contact}`) ?? 0;
  const transfersOf = (contact: string) =>
    harness.connect.transfersPerChain().get(`instance-1/${contact}`) ?? 0;
  /** Another integration's attributes on the contact, set before the request (through Connect itself). */
  const setAttributes = (contact: string, attributes: Record<string, string>) =>
    new ConnectClient({ endpoint: harness.connect.endpoint, region: 'us-east-1', credentials: FAKE }).send(
      new UpdateContactAttributesCommand({
        InstanceId: 'instance-1',
        InitialContactId: contact,
        Attributes: attributes,
      }),
    );
  const request = (contact: string, token: string) =>
    sqsRecord(queueTransfer({ ContactId: contact, ClientToken: token, Attributes: REASON }));

  it('sets them once, before the transfer, and the new contact and the Completed event carry them', async () => {
    const contact = harness.newContact();
    expect((await harness.invoke(sqsEvent(request(contact, 'attr-1')))).batchItemFailures).toEqual([]);

    const successor = harness.successorOf(contact);
    expect(successor).toBeDefined();
    expect(harness.connect.contactAttributes('instance-1', successor ?? '')).toMatchObject(REASON);
    expect(applied(contact)).toBe(1);
    // The attributes were set before TransferContact was called.
    const order = harness.connect.calls
      .filter((call) => call.input.ClientToken === 'attr-1' || call.input.InitialContactId === contact)
      .map((call) => call.operation);
    expect(order).toEqual(['UpdateContactAttributes', 'TransferContact']);
    const detail = TransferCompletedDetailSchema.parse(seen.at(-1)?.detail);
    expect(detail.Request.Attributes).toEqual({ CaseId: '42', EscalationReason: 'sla-breach' });
  });

  it('does not set them again when the transfer’s answer was lost and the record is retried', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
    const record = request(contact, 'attr-lost-answer');
    const first = await harness.invoke(sqsEvent(record));
    expect(first.batchItemFailures).toHaveLength(1);
    expect(
      (
        await harness.invoke(
          sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }),
        )
      ).batchItemFailures,
    ).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
    expect(attributeCalls(contact)).toHaveLength(1);
    expect(harness.connect.contactAttributes('instance-1', harness.successorOf(contact) ?? '')).toMatchObject(
      REASON,
    );
  });

  it('sets the same values again, harmlessly, when UpdateContactAttributes applied and its answer was lost', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({
      script: [{ kind: 'commit-then-error', operation: 'UpdateContactAttributes' }],
    });
    const record = request(contact, 'attr-lost-update');
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    // Nothing transferred: the reservation went back with the failed attempt.
    expect(transfersOf(contact)).toBe(0);
    expect((await harness.chainTokens(contact)).size).toBe(0);
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
    expect(applied(contact)).toBe(2);
    expect(harness.connect.contactAttributes('instance-1', contact)).toEqual(REASON);
    expect(harness.connect.contactAttributes('instance-1', harness.successorOf(contact) ?? '')).toEqual(
      REASON,
    );
  });

  it('dead-letters a request Connect refuses the attributes of, without transferring, reservation given back', async () => {
    const contact = harness.newContact();
    // Within the request's own limit, beyond the contact's: Connect counts the attributes it already has.
    await setAttributes(contact, { Big: 'x'.repeat(30_000) });
    const big = { Note: 'y'.repeat(5_000) };
    const record = sqsRecord(
      queueTransfer({ ContactId: contact, ClientToken: 'attr-refused', Attributes: big }),
    );
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(0);
    expect(harness.transferCalls().filter((call) => call.input.ClientToken === 'attr-refused')).toEqual([]);
    expect((await harness.chainTokens(contact)).size).toBe(0);
    const [letter, ...more] = await harness.drainDlq();
    expect(more).toEqual([]);
    expect(letter?.attributes[DeadLetterAttribute.ErrorClass]).toBe('PermanentConnectError');
    expect(letter?.attributes[DeadLetterAttribute.ErrorCode]).toBe('InvalidParameterException');
    expect(letter?.attributes[DeadLetterAttribute.ErrorMessage]).toMatch(/^UpdateContactAttributes failed/);
    const failed = TransferFailedDetailSchema.parse(seen.at(-1)?.detail);
    expect(failed.Request?.Attributes).toEqual(big);
  });

  it('never starts the transfer inside the deadline margin the attributes call spent; it is retried, nothing lost', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({
      script: [{ kind: 'delay-before', ms: 2_600, operation: 'UpdateContactAttributes' }],
    });
    const record = request(contact, 'attr-deadline');
    const started = Date.now();
    // 3 s left, a margin of 1 s: the call's 2.6 s leave too little to transfer.
    const first = await harness.invoke(sqsEvent(record), 3_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(harness.transferCalls().filter((call) => call.input.ClientToken === 'attr-deadline')).toEqual([]);
    expect((await harness.chainTokens(contact)).size).toBe(0);
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(transfersOf(contact)).toBe(1);
  });

  it('reads as transferred in the status, whatever the case of its attribute keys (Powertools sorts them its way)', async () => {
    const contact = harness.newContact();
    const body = queueTransfer({
      ContactId: contact,
      ClientToken: 'attr-case',
      Attributes: { Zed: '1', abc: '2', Reason: 'r', caseId: 'c' },
    });
    expect((await harness.invoke(sqsEvent(sqsRecord(body)))).batchItemFailures).toEqual([]);
    const dynamodb = new DynamoDBClient({ endpoint: harness.dynamodb.endpoint });
    const status = await readTransferStatus(
      dynamodb,
      { idempotencyTableName: 'idempotency', ledgerTableName: 'ledger' },
      { ...body, ClientToken: 'attr-case' },
    );
    expect(status.status).toBe('transferred');
    const other = await readTransferStatus(
      dynamodb,
      { idempotencyTableName: 'idempotency', ledgerTableName: 'ledger' },
      { ...body, ClientToken: 'attr-case', Attributes: { Zed: '1', abc: 'other', Reason: 'r', caseId: 'c' } },
    );
    expect(other).toMatchObject({ status: 'rejected', final: true });
  });

  it('requeues a request whose attributes are throttled throughout its last delivery, and never lowers the transfer rate for it', async () => {
    const contact = harness.newContact();
    harness.connect.injectFaults({
      script: Array.from({ length: 8 }, () => ({
        kind: 'throttle' as const,
        operation: 'UpdateContactAttributes' as const,
      })),
    });
    const before = await harness.pacingState();
    const record = sqsRecord(
      queueTransfer({ ContactId: contact, ClientToken: 'attr-throttled', Attributes: REASON }),
      {
        receiveCount: 5,
      },
    );
    expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
    expect(await harness.drainDlq()).toEqual([]);
    expect(transfersOf(contact)).toBe(0);
    expect((await harness.chainTokens(contact)).size).toBe(0);
    expect((await harness.pacingState())?.throttledRate).toEqual(before?.throttledRate);
    harness.connect.injectFaults({});
    await harness.purgeQueue();
  });
});
