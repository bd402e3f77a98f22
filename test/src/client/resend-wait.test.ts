import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { TransferClient, TransferRejectedError } from '../../../src/client/index.js';
import { LedgerKey } from '../../../src/contract/index.js';
import { requestIdentity } from '../../../src/status/transferStatus.js';

/*
 * A request dead-lettered once (the chain was at its cap), then sent again under its ClientToken, as the
 * docs ask of a request once its cause is fixed. Until the worker processes the new send, the token's
 * rejection record is the first send's: a wait for the new send must not answer with it.
 */
const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  dynamodb.reset();
  sqs.reset();
});

const request = {
  InstanceId: 'i',
  ContactId: 'c-1',
  ContactFlowId: 'f',
  QueueId: 'q',
  ClientToken: 'case-42',
};
const fingerprint = requestIdentity(request).fingerprint;
const tables = { idempotencyTableName: 'idempotency', ledgerTableName: 'ledger' };
const firstSend = {
  pk: LedgerKey.rejection('case-42'),
  errorClass: 'CapReached',
  errorCode: 'TransferCapReached',
  errorMessage: 'the chain is at its cap',
  failedAt: new Date(Date.now() - 3_600_000).toISOString(),
  messageId: 'm-first',
  fingerprint,
};
const transferred = {
  pk: LedgerKey.request('case-42'),
  fingerprint,
  ContactId: 'c-2',
  ContactArn: 'arn:c-2',
};

/**
 * The ledger as the worker leaves it: the first send's rejection for the first `reads` reads, then `after`
 * (the new send's outcome) as well.
 */
const ledger = (reads: number, after: Record<string, unknown>) => {
  let count = 0;
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(BatchGetItemCommand).callsFake(() => {
    count += 1;
    const items = count <= reads ? [firstSend] : after.pk === firstSend.pk ? [after] : [firstSend, after];
    return { Responses: { ledger: items.map((item) => marshall(item)) } };
  });
};

const client = () =>
  new TransferClient({
    ...tables,
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/requests',
    sqs: new SQSClient({ region: 'us-east-1' }),
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  });

/** Runs the CLI in-process and captures what it prints. */
const cli = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '--region', 'us-east-1'], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { TRANSFER_LEDGER_TABLE: 'ledger', TRANSFER_IDEMPOTENCY_TABLE: 'idempotency' },
    readFile: () => '',
  });
  return { code, stdout, stderr };
};
const flags = [
  '--instance-id',
  'i',
  '--contact-id',
  'c-1',
  '--contact-flow-id',
  'f',
  '--queue-id',
  'q',
  '--client-token',
  'case-42',
];

describe('a wait for a request sent again under its token, after it was dead-lettered', () => {
  it('enqueueAndWait answers the new send’s transfer, not the first send’s rejection', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-new' });
    ledger(2, transferred);
    await expect(client().enqueueAndWait(request, { pollIntervalMs: 1, timeoutMs: 5_000 })).resolves.toEqual({
      ContactId: 'c-2',
      ContactArn: 'arn:c-2',
      clientToken: 'case-42',
    });
  });

  it('enqueueAndWait answers the new send’s own rejection', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-new' });
    const again = { ...firstSend, failedAt: new Date(Date.now() + 1_000).toISOString(), messageId: 'm-new' };
    ledger(2, again);
    const error = await client()
      .enqueueAndWait(request, { pollIntervalMs: 1, timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferRejectedError);
    expect((error as TransferRejectedError).reason.messageId).toBe('m-new');
  });

  it('waitForOutcome started after the new send answers its transfer', async () => {
    ledger(2, transferred);
    await expect(
      client().waitForOutcome(request, { pollIntervalMs: 1, timeoutMs: 5_000 }),
    ).resolves.toMatchObject({ ContactId: 'c-2' });
  });

  it('transfer-contact --wait prints the new send’s transfer', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-new' });
    ledger(2, transferred);
    const result = await cli(
      ...flags,
      '--queue-url',
      'https://sqs.us-east-1.amazonaws.com/123456789012/requests',
      '--wait',
      '--timeout',
      '10',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ContactId: 'c-2', ContactArn: 'arn:c-2' });
  });

  it('transfer-contact status (no wait) still reports the first send’s rejection, with its FailedAt', async () => {
    ledger(Number.POSITIVE_INFINITY, transferred);
    const result = await cli('status', ...flags);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ClientToken: 'case-42',
      Status: 'rejected',
      Reason: { ErrorCode: 'TransferCapReached', FailedAt: firstSend.failedAt, MessageId: 'm-first' },
    });
  });
});
