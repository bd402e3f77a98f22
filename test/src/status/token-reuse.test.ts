import { readFileSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { TransferClient, TransferRejectedError } from '../../../src/client/index.js';
import { LedgerKey } from '../../../src/contract/index.js';
import { readTransferStatus } from '../../../src/status/readTransferStatus.js';
import { idempotencyKeyFor, requestIdentity } from '../../../src/status/transferStatus.js';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

/*
 * A ClientToken that transferred request A, then request B (another contact, queue or flow) sent with the same
 * token: the worker dead-letters B as IdempotentParameterMismatch (invariant 3), and every wait and status that
 * is given B must say so, never answer with A's new contact.
 */
let harness: WorkerHarness;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let queueUrl: string;
const tables = { idempotencyTableName: 'idempotency', ledgerTableName: 'ledger' };

beforeAll(async () => {
  harness = await WorkerHarness.start({ simulator: { contactIdMode: 'keep' } });
  dynamodb = new DynamoDBClient({ endpoint: harness.dynamodb.endpoint });
  sqs = new SQSClient({ endpoint: harness.sqs.endpoint, useQueueUrlAsEndpoint: false });
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'reuse-requests' })));
});
afterAll(() => harness.stop());

/** Transfers request A under `token` through the worker, and returns A and B (same token, another contact). */
const transferredThenReused = async (token: string, reuse: Record<string, string> = {}) => {
  const a = queueTransfer({ ContactId: harness.newContact(), ClientToken: token }) as ReturnType<
    typeof queueTransfer
  > & { ClientToken: string; ContactId: string };
  const b = { ...a, ContactId: harness.newContact(), ...reuse };
  await harness.invoke(sqsEvent(sqsRecord(a)));
  return { a, b };
};

const client = () => new TransferClient({ ...tables, dynamodb, queueUrl, sqs, maxAttempts: 1 });

/** Runs the CLI in-process and captures what it prints. */
const cli = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { TRANSFER_LEDGER_TABLE: 'ledger', TRANSFER_IDEMPOTENCY_TABLE: 'idempotency' },
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  return { code, stdout, stderr };
};
const requestFlags = (request: Record<string, string>) => [
  '--instance-id',
  request.InstanceId ?? '',
  '--contact-id',
  request.ContactId ?? '',
  '--contact-flow-id',
  request.ContactFlowId ?? '',
  ...(request.QueueId ? ['--queue-id', request.QueueId] : []),
  ...(request.UserId ? ['--user-id', request.UserId] : []),
  '--client-token',
  request.ClientToken ?? '',
];

describe('a ClientToken that transferred another request', () => {
  it('reports B as rejected for IdempotentParameterMismatch, as the worker dead-letters it, and A as transferred', async () => {
    const { a, b } = await transferredThenReused('reuse-worker');
    await harness.drainDlq();
    await harness.invoke(sqsEvent(sqsRecord(b)));
    const dead = (await harness.drainDlq()).filter((d) => d.attributes.ClientToken === 'reuse-worker');
    expect(dead.map((d) => d.attributes.ErrorCode)).toEqual(['IdempotentParameterMismatch']);

    expect(await readTransferStatus(dynamodb, tables, b)).toMatchObject({
      status: 'rejected',
      reason: { errorClass: 'InvalidRequest', errorCode: 'IdempotentParameterMismatch' },
    });
    expect(await readTransferStatus(dynamodb, tables, a)).toMatchObject({
      status: 'transferred',
      ContactId: a.ContactId,
    });
    // Given only the token, the status says what the token's record says: A's transfer.
    expect(await readTransferStatus(dynamodb, tables, 'reuse-worker')).toMatchObject({
      status: 'transferred',
      ContactId: a.ContactId,
    });
  });

  it('makes waitForOutcome(B) throw the mismatch and waitForOutcome(A) answer A’s contact', async () => {
    const { a, b } = await transferredThenReused('reuse-wait', { QueueId: 'queue-2' });
    const error = await client()
      .waitForOutcome(b, { timeoutMs: 2_000, pollIntervalMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferRejectedError);
    expect((error as TransferRejectedError).reason.errorCode).toBe('IdempotentParameterMismatch');
    await expect(client().waitForOutcome(a, { timeoutMs: 2_000 })).resolves.toMatchObject({
      ContactId: a.ContactId,
    });
  });

  it('makes enqueueAndWait(B) throw the mismatch, not answer with A’s contact', async () => {
    const { b } = await transferredThenReused('reuse-enqueue');
    const error = await client()
      .enqueueAndWait(b, { timeoutMs: 2_000, pollIntervalMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferRejectedError);
    expect((error as TransferRejectedError).reason.errorCode).toBe('IdempotentParameterMismatch');
  });

  it('reports the mismatch from the ledger alone once the idempotency records expired', async () => {
    const { a, b } = await transferredThenReused('reuse-old');
    expect(await harness.expireIdempotencyRecords()).toBeGreaterThan(0);
    expect(await readTransferStatus(dynamodb, tables, b)).toMatchObject({
      status: 'rejected',
      reason: { errorCode: 'IdempotentParameterMismatch' },
    });
    expect(await readTransferStatus(dynamodb, tables, a)).toMatchObject({
      status: 'transferred',
      ContactId: a.ContactId,
    });
  });

  it('makes transfer-contact --wait for B exit 1 with the mismatch, and for A print A’s contact', async () => {
    const { a, b } = await transferredThenReused('reuse-cli');
    const local = ['--queue-url', queueUrl, '--endpoint-url', harness.sqs.endpoint, '--region', 'us-east-1'];
    const reused = await cli(...requestFlags(b), ...local, '--wait', '--timeout', '5');
    expect(reused.code).toBe(1);
    expect(reused.stdout).toBe('');
    expect(reused.stderr).toMatch(/reuse-cli failed: InvalidRequest IdempotentParameterMismatch/);
    expect(reused.stderr).not.toContain(a.ContactId);

    const same = await cli(...requestFlags(a), ...local, '--wait', '--timeout', '5');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ ContactId: a.ContactId });
  });

  it('makes transfer-contact status given B report the mismatch, and given the token alone A’s transfer', async () => {
    const { a, b } = await transferredThenReused('reuse-status');
    const ddb = ['--endpoint-url', harness.dynamodb.endpoint, '--region', 'us-east-1'];
    const reused = await cli('status', ...requestFlags(b), ...ddb);
    expect(reused.code).toBe(0);
    expect(JSON.parse(reused.stdout)).toMatchObject({
      ClientToken: 'reuse-status',
      Status: 'rejected',
      Reason: { ErrorClass: 'InvalidRequest', ErrorCode: 'IdempotentParameterMismatch' },
    });
    expect(reused.stdout).not.toContain(a.ContactId);
    const own = await cli('status', ...requestFlags(a), ...ddb);
    expect(JSON.parse(own.stdout)).toMatchObject({ Status: 'transferred', ContactId: a.ContactId });
    const tokenOnly = await cli('status', '--client-token', 'reuse-status', ...ddb);
    expect(JSON.parse(tokenOnly.stdout)).toMatchObject({ Status: 'transferred', ContactId: a.ContactId });
  });

  it('reports B as unknown while A is in flight, then rejected once the worker refused it', async () => {
    const a = { ...queueTransfer({ ContactId: harness.newContact() }), ClientToken: 'reuse-in-flight' };
    const b = { ...a, ContactId: harness.newContact() };
    harness.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 800 }] });
    const running = harness.invoke(sqsEvent(sqsRecord(a)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A may still fail and free the token, and B then transfer: no rejection can be promised yet.
    const pending = await readTransferStatus(dynamodb, tables, b);
    expect(pending).toMatchObject({
      status: 'unknown',
      hint: expect.stringContaining('held by another request'),
    });
    await harness.invoke(sqsEvent(sqsRecord(b)));
    const refused = await readTransferStatus(dynamodb, tables, b);
    expect(refused).toMatchObject({
      status: 'rejected',
      reason: { errorCode: 'IdempotentParameterMismatch' },
    });
    expect(refused.status === 'rejected' && refused.reason.failedAt).not.toBe('');
    await running;
    expect(await readTransferStatus(dynamodb, tables, a)).toMatchObject({
      status: 'transferred',
      ContactId: a.ContactId,
    });
    expect((await readTransferStatus(dynamodb, tables, b)).status).toBe('rejected');
  });

  it('computes the payload hash Powertools stored in the idempotency record, and the ledger’s fingerprint', async () => {
    const { a } = await transferredThenReused('reuse-hash');
    const { Item: record } = await dynamodb.send(
      new GetItemCommand({ TableName: 'idempotency', Key: { id: { S: idempotencyKeyFor('reuse-hash') } } }),
    );
    const { Item: ledger } = await dynamodb.send(
      new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: LedgerKey.request('reuse-hash') } } }),
    );
    // An instance ARN and empty optional fields are read as the worker reads them.
    const identity = requestIdentity({
      ...a,
      InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/instance-1',
      UserId: '',
    });
    expect(record?.validation?.S).toBe(identity.payloadHash);
    expect(ledger?.fingerprint?.S).toBe(identity.fingerprint);
  });
});
