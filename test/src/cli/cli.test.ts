import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { queueTransfer, sqsEvent, sqsRecord } from '../../support/factories.js';
import { WorkerHarness } from '../../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'cto-cli-'));
let harness: WorkerHarness;
let queueUrl: string;
let sqs: SQSClient;

beforeAll(async () => {
  harness = await WorkerHarness.start({ env: { TRANSFER_CAP: '1' }, simulator: { contactIdMode: 'keep' } });
  sqs = new SQSClient({ endpoint: harness.sqs.endpoint, useQueueUrlAsEndpoint: false });
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'cli-requests' })));
});
afterAll(() => harness.stop());

/** Runs the CLI in-process and captures what it prints. */
const cli = (...argv: string[]) => cliWith({}, ...argv);
/** The same, with more environment variables. */
const cliWith = async (env: Record<string, string>, ...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {
      TRANSFER_LEDGER_TABLE: 'ledger',
      TRANSFER_IDEMPOTENCY_TABLE: 'idempotency',
      ...env,
    },
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
};
const local = () => ['--endpoint-url', harness.sqs.endpoint, '--region', 'us-east-1'];
const flags = ['--instance-id', 'instance-1', '--contact-id', 'task-1', '--contact-flow-id', 'flow-queue'];
const received = async () => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
  );
  return Messages.map((m) => JSON.parse(m.Body ?? '{}'));
};

describe('transfer-contact: validation (exit 2, nothing sent)', () => {
  it.each([
    [
      'a missing --instance-id',
      ['--contact-id', 'c', '--contact-flow-id', 'f', '--queue-id', 'q'],
      '--instance-id (InstanceId): InstanceId is required',
    ],
    [
      'a missing --contact-id',
      ['--instance-id', 'i', '--contact-flow-id', 'f', '--queue-id', 'q'],
      '--contact-id (ContactId): ContactId is required',
    ],
    [
      'a missing --contact-flow-id',
      ['--instance-id', 'i', '--contact-id', 'c', '--queue-id', 'q'],
      '--contact-flow-id (ContactFlowId): ContactFlowId is required',
    ],
    [
      'both --queue-id and --user-id',
      [...flags, '--queue-id', 'q', '--user-id', 'u'],
      '--queue-id and --user-id: give one, not both',
    ],
    ['neither --queue-id nor --user-id', flags, '--queue-id or --user-id is required'],
    [
      'an over-long --contact-id',
      [...flags, '--queue-id', 'q', '--contact-id', 'c'.repeat(257)],
      '--contact-id (ContactId): ContactId must be at most 256 characters',
    ],
    [
      'an over-long --client-token',
      [...flags, '--queue-id', 'q', '--client-token', 't'.repeat(501)],
      '--client-token (ClientToken): ClientToken must be at most 500 characters',
    ],
    [
      'an over-long --user-id',
      [...flags, '--user-id', 'u'.repeat(257)],
      '--user-id (UserId): UserId must be at most 256 characters',
    ],
    [
      'an over-long --instance-id',
      [...flags, '--queue-id', 'q', '--instance-id', 'i'.repeat(101)],
      'at most 100 characters',
    ],
    [
      'an unknown flag',
      [...flags, '--queue-id', 'q', '--queue-idd', 'x'],
      'unknown flag --queue-idd; did you mean --queue-id?',
    ],
    ['a flag without its value', [...flags, '--queue-id'], "Option '--queue-id"],
    [
      'an unknown field in --cli-input-json',
      ['--cli-input-json', '{"InstanceId":"i","ContactId":"c","ContactFlowId":"f","QueueID":"q"}'],
      'unknown field(s): QueueID',
    ],
    ['--cli-input-json that is not JSON', ['--cli-input-json', '{nope'], '--cli-input-json is not valid'],
    [
      '--cli-input-json that is not an object',
      ['--cli-input-json', '[1]'],
      'must be an object of TransferContact fields',
    ],
    [
      '--cli-input-json from a missing file',
      ['--cli-input-json', 'file:///nonexistent/request.json'],
      'cannot read /nonexistent/request.json',
    ],
    [
      'both --cli-input-json and --cli-input-yaml',
      ['--cli-input-json', '{}', '--cli-input-yaml', 'a: 1'],
      'cannot be used together',
    ],
    [
      'an unknown skeleton',
      ['--generate-cli-skeleton', 'xml'],
      'takes input, yaml-input or output, got "xml"',
    ],
    [
      'two destinations',
      [...flags, '--queue-id', 'q', '--queue-url', 'http://q', '--event-bus-name', 'b'],
      'not both',
    ],
    [
      'an output other than json',
      [...flags, '--queue-id', 'q', '--output', 'text'],
      '--output supports json only',
    ],
    ['an unknown command', ['frobnicate'], 'unknown command or argument: frobnicate'],
  ])('rejects %s, naming it', async (_, argv, message) => {
    const result = await cli(
      ...argv,
      ...(argv.includes('--queue-url') ? [] : ['--queue-url', queueUrl]),
      ...local(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('rejects a request without a destination', async () => {
    const result = await cli(...flags, '--queue-id', 'q', ...local());
    expect(result).toMatchObject({ code: 2 });
    expect(result.stderr).toContain(
      'no destination: give --queue-url (or set TRANSFER_QUEUE_URL) or --event-bus-name',
    );
  });

  it('names an unknown flag and the nearest known one, in every command', async () => {
    const send = await cli(...flags, '--queue-idd', 'q', '--queue-url', queueUrl);
    expect(send).toMatchObject({ code: 2 });
    expect(send.stderr).toContain('unknown flag --queue-idd; did you mean --queue-id?');
    const status = await cli('status', '--client-tokn', 't');
    expect(status.stderr).toContain('unknown flag --client-tokn; did you mean --client-token?');
    const dlq = await cli('dlq', 'list', '--frobnicate');
    expect(dlq).toMatchObject({ code: 2 });
    expect(dlq.stderr).toContain('unknown flag --frobnicate\n');
  });

  it('sends nothing for an invalid request', async () => {
    await cli(...flags, '--queue-id', 'q', '--user-id', 'u', '--queue-url', queueUrl, ...local());
    expect(await received()).toEqual([]);
  });
});

describe('transfer-contact: sending', () => {
  beforeEach(async () => {
    await received();
  });

  it('enqueues the validated request with a generated token and prints the ids', async () => {
    const result = await cli(...flags, '--queue-id', 'queue-1', '--queue-url', queueUrl, ...local());
    expect(result.code).toBe(0);
    const output = result.json();
    expect(output).toMatchObject({ QueueUrl: queueUrl, MessageId: expect.any(String) });
    expect(output.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(await received()).toEqual([
      {
        InstanceId: 'instance-1',
        ContactId: 'task-1',
        ContactFlowId: 'flow-queue',
        QueueId: 'queue-1',
        ClientToken: output.ClientToken,
      },
    ]);
  });

  it('reads --cli-input-json from a file, with command-line flags overriding it', async () => {
    const file = join(dir, 'request.json');
    writeFileSync(
      file,
      JSON.stringify({
        InstanceId: 'instance-1',
        ContactId: 'task-9',
        ContactFlowId: 'flow-queue',
        QueueId: 'queue-1',
        UserId: '',
        ClientToken: '',
      }),
    );
    const result = await cli(
      '--cli-input-json',
      `file://${file}`,
      '--contact-id',
      'task-2',
      '--client-token',
      'mine',
      '--queue-url',
      queueUrl,
      ...local(),
    );
    expect(result.code).toBe(0);
    expect(await received()).toEqual([
      expect.objectContaining({ ContactId: 'task-2', ClientToken: 'mine', QueueId: 'queue-1' }),
    ]);
  });

  it('reads --cli-input-yaml inline, and fills the yaml skeleton', async () => {
    const skeleton = (await cli('--generate-cli-skeleton', 'yaml-input')).stdout;
    const filled = skeleton
      .replace("InstanceId: ''", 'InstanceId: instance-1')
      .replace("ContactId: ''", 'ContactId: task-3')
      .replace("UserId: ''", 'UserId: agent-1')
      .replace("ContactFlowId: ''", 'ContactFlowId: flow-agent');
    const result = await cli('--cli-input-yaml', filled, '--queue-url', queueUrl, ...local());
    expect(result.stderr).toBe('');
    expect(await received()).toEqual([expect.objectContaining({ ContactId: 'task-3', UserId: 'agent-1' })]);
  });

  it('sends --attributes in the map shorthand and as JSON, over --cli-input-json', async () => {
    const shorthand = await cli(
      ...flags,
      '--queue-id',
      'q',
      '--attributes',
      ' Reason = sla-breach ,CaseId=42=a,constructor=c',
      '--queue-url',
      queueUrl,
      ...local(),
    );
    expect(shorthand.stderr).toBe('');
    const file = join(dir, 'attributes.json');
    writeFileSync(file, JSON.stringify({ Note: 'a, b' }));
    const input = JSON.stringify({
      InstanceId: 'instance-1',
      ContactId: 'task-4',
      ContactFlowId: 'f',
      QueueId: 'q',
      Attributes: { Old: 'x' },
    });
    const fromFile = await cli(
      '--cli-input-json',
      input,
      '--attributes',
      `file://${file}`,
      '--queue-url',
      queueUrl,
      ...local(),
    );
    expect(fromFile.stderr).toBe('');
    expect(await received()).toEqual([
      expect.objectContaining({
        ContactId: 'task-1',
        Attributes: { CaseId: '42=a', Reason: 'sla-breach', constructor: 'c' },
      }),
      expect.objectContaining({ ContactId: 'task-4', Attributes: { Note: 'a, b' } }),
    ]);
  });

  it.each([
    [['--attributes', 'Reason'], '--attributes takes Key=Value,Key2=Value2 or a JSON object, got "Reason"'],
    [['--attributes', 'A=1,A=2'], '--attributes gives A twice'],
    [['--attributes', '{"A":'], '--attributes is not valid JSON'],
    [
      ['--attributes', 'bad key=1'],
      '--attributes (Attributes.bad key: Attributes keys may hold only letters, digits, - and _)',
    ],
    [['--attributes', '{"A":1}'], '--attributes (Attributes.A: Attributes values must be strings)'],
    [
      ['--attributes', 'A=1,__proto__=x'],
      '--attributes (Attributes: Attributes key "__proto__" is not allowed)',
    ],
  ])('refuses %j with exit 2, naming --attributes, and sends nothing', async (extra, message) => {
    const result = await cli(...flags, '--queue-id', 'q', ...extra, '--queue-url', queueUrl, ...local());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await received()).toEqual([]);
  });

  it('prints the AWS CLI’s input skeleton, which filled in is a valid message', async () => {
    const skeleton = (await cli('--generate-cli-skeleton')).json();
    expect(Object.keys(skeleton)).toEqual([
      'InstanceId',
      'ContactId',
      'QueueId',
      'UserId',
      'ContactFlowId',
      'ClientToken',
    ]);
    const result = await cli(
      '--cli-input-json',
      JSON.stringify({ ...skeleton, InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }),
      '--queue-url',
      queueUrl,
      ...local(),
    );
    expect(result.code).toBe(0);
  });

  it('prints the output skeleton', async () => {
    expect((await cli('--generate-cli-skeleton', 'output')).json()).toEqual({
      MessageId: '',
      ClientToken: '',
      QueueUrl: '',
    });
  });

  it('exits 1 with the service’s message when SQS refuses', async () => {
    const result = await cli(
      ...flags,
      '--queue-id',
      'q',
      '--queue-url',
      queueUrl.replace('cli-requests', 'missing-queue'),
      ...local(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/An error occurred \(\w+\)/);
  });

  it('sends to the queue when both the queue and the bus are set in the environment, as local.env sets them', async () => {
    const env = { TRANSFER_QUEUE_URL: queueUrl, TRANSFER_EVENT_BUS_NAME: 'bus' };
    const result = await cliWith(env, ...flags, '--queue-id', 'queue-1', ...local());
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ QueueUrl: queueUrl });
    expect(await received()).toHaveLength(1);
  });

  it('publishes to EventBridge with --event-bus-name', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
    try {
      const result = await cli(
        ...flags,
        '--queue-id',
        'queue-1',
        '--client-token',
        'eb-1',
        '--event-bus-name',
        'bus',
        '--region',
        'us-east-1',
      );
      expect(result.json()).toEqual({ EventId: 'event-1', ClientToken: 'eb-1', EventBusName: 'bus' });
      const [entry] = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
      expect(entry).toMatchObject({ EventBusName: 'bus', DetailType: 'Transfer Contact Requested' });
      expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ ContactId: 'task-1', ClientToken: 'eb-1' });
    } finally {
      eventBridge.restore();
    }
  });

  it('prints help for every command', async () => {
    for (const argv of [['--help'], ['status', '--help'], ['dlq', '--help'], ['dlq']]) {
      const result = await cli(...argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage[\s\S]*Example/);
    }
  });
});

describe('transfer-contact status and dlq, on the worker’s own records', () => {
  const ddb = () => ['--endpoint-url', harness.dynamodb.endpoint, '--region', 'us-east-1'];

  it('reports transferred, rejected and unknown tokens', async () => {
    const contact = harness.newContact();
    await harness.invoke(
      sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'status-ok' }))),
    );
    await harness.invoke(
      sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'status-capped' }))),
    );

    const transferred = (await cli('status', '--client-token', 'status-ok', ...ddb())).json();
    expect(transferred).toMatchObject({
      ClientToken: 'status-ok',
      Status: 'transferred',
      ContactId: contact,
    });
    expect(transferred.ContactArn).toContain(`/contact/${contact}`);

    const rejected = (await cli('status', '--client-token', 'status-capped', ...ddb())).json();
    expect(rejected).toMatchObject({
      Status: 'rejected',
      Reason: { ErrorClass: 'CapReached', ErrorCode: 'TransferCapReached' },
    });

    expect((await cli('status', '--client-token', 'never-sent', ...ddb())).json()).toMatchObject({
      Status: 'unknown',
    });
    expect((await cli('status', ...ddb())).code).toBe(2);
  });

  it('reports a transfer from the ledger once its idempotency record expired', async () => {
    const contact = harness.newContact();
    await harness.invoke(
      sqsEvent(sqsRecord(queueTransfer({ ContactId: contact, ClientToken: 'status-old' }))),
    );
    expect(await harness.expireIdempotencyRecords()).toBeGreaterThan(0);
    const old = (await cli('status', '--client-token', 'status-old', ...ddb())).json();
    expect(old).toMatchObject({ Status: 'transferred', ContactId: contact });
  });

  it('reports an invalid request by the token its body carried, and tags its DLQ copy with it', async () => {
    await harness.invoke(
      sqsEvent(sqsRecord({ ...queueTransfer(), QueueID: 'typo', ClientToken: 'status-typo' })),
    );
    const rejected = (await cli('status', '--client-token', 'status-typo', ...ddb())).json();
    expect(rejected).toMatchObject({ Status: 'rejected', Reason: { ErrorClass: 'InvalidRequest' } });
    expect(rejected.Reason.ErrorMessage).toContain('QueueID');
    const dead = (await harness.drainDlq()).filter((d) => d.body.includes('"QueueID"'));
    expect(dead.map((d) => d.attributes.ClientToken)).toEqual(['status-typo']);
  });

  it('reports a request in flight', async () => {
    // Connect answers after 2.5 s (within the worker's 4 s request timeout): status is asked until it says
    // in flight or the invocation ends, so a slow CLI start on a loaded machine cannot miss the window.
    harness.connect.injectFaults({ script: [{ kind: 'delay-before', ms: 2_500 }] });
    let finished = false;
    const running = harness
      .invoke(
        sqsEvent(
          sqsRecord(queueTransfer({ ContactId: harness.newContact(), ClientToken: 'status-running' })),
        ),
      )
      .finally(() => {
        finished = true;
      });
    let seen: unknown;
    while (!finished && seen !== 'in-flight')
      seen = (await cli('status', '--client-token', 'status-running', ...ddb())).json().Status;
    expect(seen).toBe('in-flight');
    await running;
    expect((await cli('status', '--client-token', 'status-running', ...ddb())).json()).toMatchObject({
      Status: 'transferred',
    });
  });

  it('lists dead letters with their reasons without deleting them, then redrives them with their attributes', async () => {
    await harness.drainDlq();
    await harness.invoke(
      sqsEvent(
        sqsRecord('{broken'),
        sqsRecord(queueTransfer({ InstanceId: 'instance-x', ClientToken: 'dlq-1' })),
      ),
    );
    // drainDlq above left consumed messages invisible for 300 s; these two are new.
    const first = (await cli('dlq', 'list', '--dlq-url', harness.dlqUrl, ...local())).json();
    const again = (await cli('dlq', 'list', '--dlq-url', harness.dlqUrl, ...local())).json();
    expect(first).toHaveLength(2);
    expect(again).toHaveLength(2);
    expect(first.map((m: { ErrorCode: string }) => m.ErrorCode).sort()).toEqual([
      'InstanceNotAllowed',
      'InvalidRequest',
    ]);
    expect(first.find((m: { Body: string }) => m.Body === '{broken')).toMatchObject({
      ErrorClass: 'InvalidRequest',
    });

    await received();
    const redrive = await cli(
      'dlq',
      'redrive',
      '--dlq-url',
      harness.dlqUrl,
      '--queue-url',
      queueUrl,
      ...local(),
    );
    expect(redrive.json()).toMatchObject({ Method: 'copy', Moved: 2, NewerLeft: 0, Failed: 0 });
    expect((await cli('dlq', 'list', '--dlq-url', harness.dlqUrl, ...local())).json()).toEqual([]);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 300,
      }),
    );
    expect(Messages.map((m) => m.Body).sort()).toEqual(
      [JSON.stringify(queueTransfer({ InstanceId: 'instance-x', ClientToken: 'dlq-1' })), '{broken'].sort(),
    );
    expect(Messages.every((m) => m.MessageAttributes?.ErrorCode?.StringValue)).toBe(true);
  });
});

describe('the transfer-contact executable', () => {
  it('runs the package’s bin (compiled JavaScript), exiting 2 on an invalid request', async () => {
    const run = promisify(execFile);
    // The bin as package.json names it (the packaging test runs it through npx from an installed package).
    const bin = ['bin/transfer-contact.js'];
    const { stdout } = await run(process.execPath, [...bin, '--generate-cli-skeleton'], {
      cwd: process.cwd(),
    });
    expect(JSON.parse(stdout)).toHaveProperty('InstanceId', '');
    const failure = await run(process.execPath, [...bin, '--instance-id', 'i'], {
      cwd: process.cwd(),
    }).catch((e) => e);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('--contact-id (ContactId): ContactId is required');
  });
});

describe('transfer-contact --wait', () => {
  /** Plays the event source for the CLI's queue: what was sent is handed to the real worker. */
  const pumpUntil = async (done: Promise<unknown>) => {
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    while (!finished) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length > 0)
        await harness.invoke(
          sqsEvent(...Messages.map((m) => sqsRecord(m.Body ?? '', { messageId: m.MessageId }))),
        );
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const send = (contact: string, token: string, ...more: string[]) =>
    cli(
      ...flags.slice(0, 2),
      '--contact-id',
      contact,
      ...flags.slice(4),
      '--queue-id',
      'queue-1',
      '--client-token',
      token,
      '--queue-url',
      queueUrl,
      ...local(),
      ...more,
    );

  it('prints the outcome as aws connect transfer-contact does: ContactId and ContactArn', async () => {
    const contact = harness.newContact();
    const waiting = send(contact, 'wait-ok', '--wait', '--timeout', '20');
    await pumpUntil(waiting);
    const { code, json } = await waiting;
    expect(code).toBe(0);
    expect(json()).toEqual({
      ContactId: contact,
      ContactArn: expect.stringContaining(`/contact/${contact}`),
    });
  });

  it('exits 1 with the reason when the request fails (the chain is at its cap)', async () => {
    const contact = harness.newContact();
    const first = send(contact, 'wait-first', '--wait');
    await pumpUntil(first);
    expect((await first).code).toBe(0);
    const capped = send(contact, 'wait-capped', '--wait');
    await pumpUntil(capped);
    const { code, stdout, stderr } = await capped;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/wait-capped failed: CapReached TransferCapReached/);
  });

  it('exits 1 when no outcome comes in time, saying the request may still transfer', async () => {
    const { code, stderr } = await send(harness.newContact(), 'wait-nobody', '--wait', '--timeout', '1');
    expect(code).toBe(1);
    expect(stderr).toMatch(/no outcome for wait-nobody within 1 s .*transfer-contact status/);
    await received(); // leave the queue empty for the next tests
  });

  it('refuses --timeout without --wait, and --wait without the tables', async () => {
    expect((await send('task-1', 'x', '--timeout', '5')).code).toBe(2);
    const noTables = await runCli([...flags, '--queue-id', 'q', '--wait', '--queue-url', queueUrl], {
      stdout: () => undefined,
      stderr: () => undefined,
      env: {},
      readFile: () => '',
    });
    expect(noTables).toBe(2);
  });
});
