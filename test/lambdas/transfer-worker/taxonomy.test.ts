import { ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  derivedToken,
  queueTransfer,
  sqsEvent,
  sqsRecord,
  WORKER_SENDER_ID,
} from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

// Every row of the error taxonomy (docs/DESIGN.md), through the real handler on dynalite, fauxqs and the simulator.
/** A call throttled, and each of its paced retries in the invocation too: the record itself fails. */
const THROTTLED_THROUGHOUT = Array.from({ length: 4 }, () => ({ kind: 'throttle' as const }));

describe('transfer worker: error taxonomy', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.start({ env: { MAX_RECEIVE_COUNT: '3' } });
  });
  afterAll(() => harness.stop());
  beforeEach(async () => {
    harness.connect.injectFaults({});
    await harness.drainDlq();
  });

  const connectCalls = () => harness.connect.calls.filter((c) => c.operation === 'TransferContact').length;

  describe('invalid request: DLQ now, no ledger change, no Connect call', () => {
    const contact = 'task-invalid';
    it.each([
      ['not JSON', '{"InstanceId":', 'InvalidRequest', /^body is not JSON/],
      [
        'an unknown field',
        queueTransfer({ ContactId: contact, QueueID: 'q' }),
        'InvalidRequest',
        /unknown field\(s\): QueueID/,
      ],
      [
        'a missing field',
        { InstanceId: 'instance-1', ContactId: contact, QueueId: 'queue-1' },
        'InvalidRequest',
        /ContactFlowId is required/,
      ],
      [
        'both QueueId and UserId',
        queueTransfer({ ContactId: contact, UserId: 'agent-1' }),
        'InvalidRequest',
        /not both/,
      ],
      [
        'neither QueueId nor UserId',
        queueTransfer({ ContactId: contact, QueueId: undefined }),
        'InvalidRequest',
        /one of QueueId or UserId/,
      ],
      [
        'an over-long ContactId',
        queueTransfer({ ContactId: 'c'.repeat(257) }),
        'InvalidRequest',
        /at most 256/,
      ],
      [
        'an instance not allowed',
        queueTransfer({ InstanceId: 'instance-other', ContactId: contact }),
        'InstanceNotAllowed',
        /not one of this deployment's instances/,
      ],
      [
        'another detail-type',
        { id: 'e', 'detail-type': 'Something Else', detail: queueTransfer() },
        'InvalidRequest',
        /detail-type must be/,
      ],
    ])('dead-letters %s with its reason', async (_, body, code, message) => {
      const callsBefore = connectCalls();
      const record = sqsRecord(body);
      const response = await harness.invoke(sqsEvent(record));
      expect(response.batchItemFailures).toEqual([]);
      const [dead, ...rest] = await harness.drainDlq();
      expect(rest).toEqual([]);
      expect(dead?.body).toBe(record.body);
      expect(dead?.attributes).toMatchObject({
        ErrorClass: 'InvalidRequest',
        ErrorCode: code,
        SourceMessageId: record.messageId,
        ReceiveCount: '1',
      });
      expect(dead?.attributes.ErrorMessage).toMatch(message);
      expect(connectCalls()).toBe(callsBefore);
      expect((await harness.chainTokens(contact)).size).toBe(0);
    });
  });

  it('names the message the producer sent when a copy held for its slot is dead-lettered, and ends the round there', async () => {
    const record = sqsRecord(
      queueTransfer({ InstanceId: 'instance-other', ContactId: harness.newContact() }),
      {
        messageAttributes: {
          OriginalMessageId: { dataType: 'String', stringValue: 'sent-by-producer' },
          SlotAt: { dataType: 'Number', stringValue: String(Date.now()) },
          SlotEpoch: { dataType: 'Number', stringValue: '0' },
          Team: { dataType: 'String', stringValue: 'billing' },
        },
        senderId: WORKER_SENDER_ID,
      },
    );
    const response = await harness.invoke(sqsEvent(record));
    expect(response.batchItemFailures).toEqual([]);
    const [dead, ...rest] = await harness.drainDlq();
    expect(rest).toEqual([]);
    expect(dead?.attributes).toMatchObject({ SourceMessageId: 'sent-by-producer', Team: 'billing' });
    // A redrive is a new request: no slot, and its own id.
    expect(dead?.attributes).not.toHaveProperty('SlotAt');
    expect(dead?.attributes).not.toHaveProperty('SlotEpoch');
    expect(dead?.attributes).not.toHaveProperty('OriginalMessageId');
  });

  describe('cap reached: DLQ now, no Connect call', () => {
    it('dead-letters the request past the cap without calling Connect', async () => {
      const contact = harness.newContact();
      // Keep mode would end the chain's contact otherwise; in new mode each transfer names the new contact.
      let current = contact;
      for (let i = 0; i < 11; i += 1) {
        const response = await harness.invoke(
          sqsEvent(sqsRecord(queueTransfer({ ContactId: current, ClientToken: `cap-${contact}-${i}` }))),
        );
        expect(response.batchItemFailures).toEqual([]);
        const last = harness.connect.calls.at(-1);
        current = String(last?.output?.ContactId);
      }
      const callsBefore = connectCalls();
      const over = sqsRecord(queueTransfer({ ContactId: current, ClientToken: `cap-${contact}-12` }));
      expect((await harness.invoke(sqsEvent(over))).batchItemFailures).toEqual([]);
      expect(connectCalls()).toBe(callsBefore);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({ ErrorClass: 'CapReached', ErrorCode: 'TransferCapReached' });
      expect((await harness.chainTokens(contact)).size).toBe(11);
    });
  });

  describe('permanent Connect error: release the reservation, DLQ now', () => {
    it.each([
      [
        'a VOICE contact',
        () => queueTransfer({ ContactId: harness.newContact('VOICE') }),
        'InvalidRequestException',
      ],
      [
        'a CHAT contact',
        () => queueTransfer({ ContactId: harness.newContact('CHAT') }),
        'InvalidRequestException',
      ],
      ['an ended contact', () => queueTransfer({ ContactId: 'ended-1' }), 'InvalidRequestException'],
      [
        'an unsupported flow type',
        () => queueTransfer({ ContactId: harness.newContact(), ContactFlowId: 'flow-whisper' }),
        'InvalidRequestException',
      ],
      [
        'an unknown queue',
        () => queueTransfer({ ContactId: harness.newContact(), QueueId: 'queue-x' }),
        'ResourceNotFoundException',
      ],
      [
        'an unknown flow',
        () => queueTransfer({ ContactId: harness.newContact(), ContactFlowId: 'flow-x' }),
        'ResourceNotFoundException',
      ],
      ['a denied instance', () => queueTransfer({ InstanceId: 'instance-denied' }), 'AccessDeniedException'],
    ])('dead-letters %s with %s and gives the slot back', async (_, build, code) => {
      const body = build();
      const record = sqsRecord(body);
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      const [dead] = await harness.drainDlq();
      expect(dead?.body).toBe(record.body);
      expect(dead?.attributes).toMatchObject({
        ErrorClass: 'PermanentConnectError',
        ErrorCode: code,
        ClientToken: derivedToken(record),
      });
      expect((await harness.chainTokens(String(body.ContactId), String(body.InstanceId))).size).toBe(0);
    });

    it('retries a contact Connect does not show, and dead-letters it only on its last delivery, having changed nothing', async () => {
      // A 404 from DescribeContact proves nothing (its reads may lag a new contact): never a chain of its own.
      const record = (receiveCount: number) =>
        sqsRecord(queueTransfer({ ContactId: 'task-missing', ClientToken: 'missing-1' }), { receiveCount });
      const transfersBefore = harness.transferCalls().length;
      expect((await harness.invoke(sqsEvent(record(1)))).batchItemFailures).toHaveLength(1);
      expect(await harness.drainDlq()).toEqual([]);
      expect((await harness.invoke(sqsEvent(record(3)))).batchItemFailures).toEqual([]);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({ ErrorClass: 'Transient', ErrorCode: 'ContactNotVisible' });
      expect(harness.transferCalls().length).toBe(transfersBefore);
      expect((await harness.chainTokens('task-missing')).size).toBe(0);
    });

    it('dead-letters ServiceQuotaExceededException when Connect’s own count is reached first', async () => {
      // The chain already has 11 transfers in Connect, made by another system: the ledger knows none of them.
      const client = new ConnectClient({ endpoint: harness.connect.endpoint, maxAttempts: 1 });
      let current = harness.newContact();
      for (let i = 0; i < 11; i += 1) {
        const output = await client.send(new TransferContactCommand(queueTransfer({ ContactId: current })));
        current = output.ContactId ?? '';
      }
      const record = sqsRecord(queueTransfer({ ContactId: current }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({
        ErrorClass: 'PermanentConnectError',
        ErrorCode: 'ServiceQuotaExceededException',
      });
      expect((await harness.chainTokens(current)).size).toBe(0);
    });

    it('dead-letters IdempotencyException when another caller used the token with other parameters', async () => {
      const client = new ConnectClient({ endpoint: harness.connect.endpoint, maxAttempts: 1 });
      const contact = harness.newContact();
      const other = harness.newContact();
      await client.send(
        new TransferContactCommand(queueTransfer({ ContactId: other, ClientToken: 'shared-token' })),
      );
      const record = sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'shared-token' }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({
        ErrorClass: 'PermanentConnectError',
        ErrorCode: 'IdempotencyException',
      });
      expect((await harness.chainTokens(contact)).size).toBe(0);
    });
  });

  describe('transient: batch item failure, retried by SQS, DLQ after maxReceiveCount', () => {
    it('makes a throttled call again at the pacer’s next turn, in the same invocation, lowering the shared rate', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: [{ kind: 'throttle' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      expect((await harness.chainTokens(contact)).size).toBe(1);
      expect(harness.connect.transfersPerChain().get(`instance-1/${contact}`)).toBe(1);
      const pacing = await harness.pacingState();
      expect(pacing?.throttledRate).toBe(1000);
      expect(pacing?.rate).toBe(700);
    });

    it('retries a transfer throttled throughout its invocation without keeping its reservation, then transfers once', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: THROTTLED_THROUGHOUT });
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([
        { itemIdentifier: record.messageId },
      ]);
      expect((await harness.chainTokens(contact)).size).toBe(0);
      const redelivered = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      expect((await harness.invoke(sqsEvent(redelivered))).batchItemFailures).toEqual([]);
      expect((await harness.chainTokens(contact)).size).toBe(1);
      expect(await harness.drainDlq()).toEqual([]);
    });

    it('keeps the reservation after a 500 (the outcome is unknown) and the retry under the same token counts once', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
      expect((await harness.chainTokens(contact)).size).toBe(1);
      const redelivered = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      expect((await harness.invoke(sqsEvent(redelivered))).batchItemFailures).toEqual([]);
      expect((await harness.chainTokens(contact)).size).toBe(1);
      expect(harness.connect.transfersPerChain().get(`instance-1/${contact}`)).toBe(1);
    });

    it('dead-letters a transient failure on the last delivery, with its reason, when nothing was called', async () => {
      const contact = harness.newContact();
      harness.connect.failReads([{ kind: 'error', operation: 'DescribeContact' }]);
      const record = sqsRecord(queueTransfer({ ContactId: contact }), { receiveCount: 3 });
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({
        ErrorClass: 'Transient',
        ErrorCode: 'InternalServiceException',
        ReceiveCount: '3',
      });
      expect((await harness.chainTokens(contact)).size).toBe(0);
    });

    it('sends back, never dead-letters, a transfer answered 500 on its last delivery: its outcome is unknown', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: [{ kind: 'error' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact }), { receiveCount: 3 });
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      expect(await harness.drainDlq()).toEqual([]);
      // The reservation is kept until the copy settles it.
      expect((await harness.chainTokens(contact)).size).toBe(1);
      const queueName = harness.queueUrl.split('/').at(-1) ?? '';
      const delayed = harness.sqs.server.inspectQueue(queueName)?.messages.delayed ?? [];
      expect(delayed.map((message) => message.body)).toEqual([record.body]);
      await harness.purgeQueue();
    });

    it('sends a request throttled on its last delivery back to the queue, keeping its token, not to the DLQ', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: THROTTLED_THROUGHOUT });
      const record = sqsRecord(queueTransfer({ ContactId: contact }), {
        receiveCount: 3,
        messageAttributes: { Producer: { dataType: 'String', stringValue: 'crm' } },
      });
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toEqual([]);
      expect(await harness.drainDlq()).toEqual([]);
      expect((await harness.chainTokens(contact)).size).toBe(0);
      // Sent back with a delay: read (without waiting it out) what the queue holds.
      const queueName = harness.queueUrl.split('/').at(-1) ?? '';
      const delayed = harness.sqs.server.inspectQueue(queueName)?.messages.delayed ?? [];
      expect(delayed).toHaveLength(1);
      const requeued = delayed[0];
      expect(requeued?.body).toBe(record.body);
      // The first requeue waits 30 s before it is visible again.
      expect((requeued?.delayUntil ?? 0) - Date.now()).toBeGreaterThan(25_000);
      expect(requeued?.messageAttributes).toMatchObject({
        ClientToken: { StringValue: derivedToken(record) },
        Requeues: { StringValue: '1' },
        Producer: { StringValue: 'crm' },
      });
      // Delivered again, it keeps the token it was first given and transfers once.
      const again = sqsRecord(requeued?.body, {
        messageAttributes: {
          ClientToken: { dataType: 'String', stringValue: derivedToken(record) },
          Requeues: { dataType: 'Number', stringValue: '1' },
        },
      });
      expect((await harness.invoke(sqsEvent(again))).batchItemFailures).toEqual([]);
      expect([...(await harness.chainTokens(contact))]).toEqual([derivedToken(record)]);
    });

    it('dead-letters a request throttled on its last delivery once it was sent back REQUEUE_LIMIT times', async () => {
      harness.connect.injectFaults({ script: THROTTLED_THROUGHOUT });
      const record = sqsRecord(queueTransfer({ ContactId: harness.newContact() }), {
        receiveCount: 3,
        messageAttributes: { Requeues: { dataType: 'Number', stringValue: '10' } },
        senderId: WORKER_SENDER_ID,
      });
      await harness.invoke(sqsEvent(record));
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes).toMatchObject({ ErrorClass: 'Transient', ErrorCode: 'ThrottlingException' });
    });

    it('retries a dropped connection', async () => {
      const contact = harness.newContact();
      harness.connect.injectFaults({ script: [{ kind: 'drop' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
      expect(await harness.drainDlq()).toEqual([]);
    });

    it('retries rather than starting a transfer too close to the deadline, and keeps no reservation', async () => {
      const contact = harness.newContact();
      const callsBefore = connectCalls();
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record), 500)).batchItemFailures).toHaveLength(1);
      expect(connectCalls()).toBe(callsBefore);
      expect((await harness.chainTokens(contact)).size).toBe(0);
    });

    it('fails only the failing record of a batch', async () => {
      const ok = sqsRecord(queueTransfer({ ContactId: harness.newContact() }));
      const invalid = sqsRecord('[]');
      const failing = sqsRecord(queueTransfer({ ContactId: harness.newContact() }));
      harness.connect.injectFaults({ script: [{ kind: 'error' }] });
      // Records run in parallel: whichever reaches Connect first gets the 500.
      const response = await harness.invoke(sqsEvent(ok, invalid, failing));
      expect(response.batchItemFailures).toHaveLength(1);
      expect([ok.messageId, failing.messageId]).toContain(response.batchItemFailures[0]?.itemIdentifier);
      expect(await harness.drainDlq()).toHaveLength(1);
    });

    it('answers a batch whose every record failed transiently per record, without throwing', async () => {
      harness.connect.injectFaults({ script: [{ kind: 'error' }, { kind: 'error' }] });
      const records = [
        sqsRecord(queueTransfer({ ContactId: harness.newContact() })),
        sqsRecord(queueTransfer({ ContactId: harness.newContact() })),
      ];
      const response = await harness.invoke(sqsEvent(...records));
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        records.map((r) => r.messageId).sort(),
      );
    });
  });
});

describe('transfer worker: infrastructure failures are transient', () => {
  it('retries when the ledger table is missing, and when the DLQ cannot be written', async () => {
    const harness = await WorkerHarness.start({
      env: {
        LEDGER_TABLE_NAME: 'no-such-table',
        DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/missing',
      },
    });
    try {
      const transfer = sqsRecord(queueTransfer());
      const invalid = sqsRecord('not json');
      const response = await harness.invoke(sqsEvent(transfer, invalid));
      // Neither is lost: the transfer could not reach its ledger, the invalid one could not reach the DLQ.
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        [transfer.messageId, invalid.messageId].sort(),
      );
      expect(harness.connect.calls).toEqual([]);
    } finally {
      await harness.stop();
    }
  });
});

describe('transfer worker: the SDK’s retries inside one call', () => {
  it('releases the reservation when Connect’s record proves a refusal after a 500 left nothing done', async () => {
    const harness = await WorkerHarness.start({ env: { AWS_MAX_ATTEMPTS: '2' } });
    try {
      // A VOICE contact going for ten minutes, untouched since.
      const contact = 'voice-for-a-while';
      harness.connect.seed({
        instances: [
          {
            id: 'instance-1',
            contacts: [{ id: contact, channel: 'VOICE', initiatedAt: Date.now() - 600_000 }],
          },
        ],
      });
      // Attempt 1: a 500 (nothing done); the SDK retries; attempt 2: refused, a VOICE contact.
      harness.connect.injectFaults({ script: [{ kind: 'error' }] });
      await harness.invoke(sqsEvent(sqsRecord(queueTransfer({ ContactId: contact }))));
      // The refusal may come from our own transfer (Connect may check the contact before the token), so the
      // worker asks DescribeContact: not changed since before the attempt, so nothing happened.
      expect(harness.connect.calls.map((c) => `${c.operation}:${c.status}`)).toEqual([
        'DescribeContact:200',
        'TransferContact:500',
        'TransferContact:400',
        'DescribeContact:200',
      ]);
      expect((await harness.chainTokens(contact)).size).toBe(0);
      const [dead] = await harness.drainDlq();
      expect(dead?.attributes.ErrorCode).toBe('InvalidRequestException');
    } finally {
      await harness.stop();
    }
  });

  it('keeps the reservation when an earlier attempt may have transferred, even if the last attempt was throttled', async () => {
    const harness = await WorkerHarness.start({
      env: { AWS_MAX_ATTEMPTS: '2' },
      simulator: { contactIdMode: 'keep' },
    });
    try {
      const contact = harness.newContact();
      // Attempt 1 transfers, then answers 500; the SDK retries; attempt 2 is throttled.
      harness.connect.injectFaults({ script: [{ kind: 'commit-then-error' }, { kind: 'throttle' }] });
      const record = sqsRecord(queueTransfer({ ContactId: contact }));
      expect((await harness.invoke(sqsEvent(record))).batchItemFailures).toHaveLength(1);
      expect(harness.transferCalls().map((c) => c.status)).toEqual([500, 429]);
      expect(harness.connect.transfersPerChain().get(`instance-1/${contact}`)).toBe(1);
      expect((await harness.chainTokens(contact)).size).toBe(1);

      const redelivered = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      expect((await harness.invoke(sqsEvent(redelivered))).batchItemFailures).toEqual([]);
      expect(harness.connect.transfersPerChain().get(`instance-1/${contact}`)).toBe(1);
      expect((await harness.chainTokens(contact)).size).toBe(1);
    } finally {
      await harness.stop();
    }
  });
});
