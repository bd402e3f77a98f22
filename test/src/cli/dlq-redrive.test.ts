import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBack, REDRIVE_MARK_KEY } from '../../../src/cli/dlqCommands.js';
import { runCli } from '../../../src/cli/main.js';
import { type LocalSqs, startLocalSqs } from '../../../tools/local-engines/engines.js';

let engine: LocalSqs;
let sqs: SQSClient;

beforeAll(async () => {
  engine = await startLocalSqs();
  sqs = new SQSClient({ endpoint: engine.endpoint, useQueueUrlAsEndpoint: false });
});
afterAll(() => engine.stop());

const createQueue = async (name: string): Promise<string> =>
  (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';

/** Sends bodies in batches of 10, each with a message attribute naming it. */
const sendAll = async (queueUrl: string, bodies: readonly string[]): Promise<void> => {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, n) => ({
          Id: String(n),
          MessageBody: body,
          MessageAttributes: { ErrorClass: { DataType: 'String', StringValue: 'Transient' } },
        })),
      }),
    );
  }
};

/** Receives every visible message of a queue, hiding each for 5 minutes. */
const drain = async (queueUrl: string): Promise<Message[]> => {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
};

/** How many messages a queue holds, visible. */
const waiting = async (queueUrl: string): Promise<number> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
};

/** Runs the CLI in-process and captures what it prints. */
const cli = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '--endpoint-url', engine.endpoint, '--region', 'us-east-1'], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    readFile: () => '',
  });
  return { code, stdout, stderr };
};

/** How many times each body occurs. */
const counts = (bodies: readonly string[]): Map<string, number> => {
  const count = new Map<string, number>();
  for (const body of bodies) count.set(body, (count.get(body) ?? 0) + 1);
  return count;
};

describe('transfer-contact dlq redrive --method copy, while new dead letters keep arriving', () => {
  it('moves each message that was in the DLQ when it began exactly once, and none of the newer ones', async () => {
    const dlqUrl = await createQueue('redrive-dlq');
    const queueUrl = await createQueue('redrive-requests');
    const old = Array.from({ length: 300 }, (_, i) => `old-${i}`);
    await sendAll(dlqUrl, old);
    // SentTimestamp counts milliseconds: the redrive must begin strictly after the last old message.
    await new Promise((resolve) => setTimeout(resolve, 20));

    const redrive = cli('dlq', 'redrive', '--dlq-url', dlqUrl, '--queue-url', queueUrl, '--method', 'copy');
    // A concurrent sender (the worker dead-lettering what comes back) adds to the DLQ while the redrive runs.
    let finished = false;
    void redrive.finally(() => {
      finished = true;
    });
    // It starts once the redrive has copied its first messages (loading the command takes a while).
    while (!finished && (await waiting(queueUrl)) === 0)
      await new Promise((resolve) => setTimeout(resolve, 1));
    const newer: string[] = [];
    while (!finished && newer.length < 200) {
      const batch = Array.from({ length: 10 }, (_, i) => `new-${newer.length + i}`);
      await sendAll(dlqUrl, batch);
      newer.push(...batch);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const { code, stdout, stderr } = await redrive;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(newer.length).toBeGreaterThan(0); // the sender did run during the redrive

    const moved = (await drain(queueUrl)).map((m) => m.Body ?? '');
    expect(moved).toHaveLength(old.length);
    expect([...counts(moved).entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(new Set(moved)).toEqual(new Set(old));

    // The newer ones are still in the DLQ, visible at once, with their attributes.
    const left = await drain(dlqUrl);
    expect(left.map((m) => m.Body).sort()).toEqual([...newer].sort());
    expect(left.every((m) => m.MessageAttributes?.ErrorClass?.StringValue === 'Transient')).toBe(true);

    const output = JSON.parse(stdout);
    expect(output).toMatchObject({ Method: 'copy', Moved: old.length, Failed: 0 });
    expect(output.NewerLeft).toBeLessThanOrEqual(newer.length);
    expect(Date.parse(output.SentBefore)).not.toBeNaN();
  });

  it('moves nothing twice when run again, and leaves an empty DLQ empty', async () => {
    const dlqUrl = await createQueue('redrive-again-dlq');
    const queueUrl = await createQueue('redrive-again-requests');
    await sendAll(dlqUrl, ['a', 'b', 'c']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const args = ['dlq', 'redrive', '--dlq-url', dlqUrl, '--queue-url', queueUrl, '--method', 'copy'];
    expect(JSON.parse((await cli(...args)).stdout)).toMatchObject({ Moved: 3, NewerLeft: 0 });
    expect(JSON.parse((await cli(...args)).stdout)).toMatchObject({ Moved: 0, NewerLeft: 0 });
    expect((await drain(queueUrl)).map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('transfer-contact dlq redrive --method copy, when SQS hands a message out again', () => {
  const sent = (id: string, handle: string, at = Date.now() - 60_000): Message => ({
    MessageId: id,
    ReceiptHandle: handle,
    Body: `body-${id}`,
    Attributes: { SentTimestamp: String(at) },
  });
  /** The redrive's mark as SQS hands it back: its send is answered with the id `mark`. */
  const mark = (at = Date.now()): Message => ({
    MessageId: 'mark',
    ReceiptHandle: 'h-mark',
    Body: `{"${REDRIVE_MARK_KEY}":"x"}`,
    Attributes: { SentTimestamp: String(at) },
  });

  it('never copies one message id twice: one received again after its copy is only deleted', async () => {
    const mock = mockClient(SQSClient);
    try {
      mock.on(SendMessageCommand).resolves({ MessageId: 'mark' });
      mock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [mark(), sent('m1', 'h1'), sent('m2', 'h2')] })
        // m1's visibility ran out before its delete went through: SQS hands it out again.
        .resolvesOnce({ Messages: [sent('m1', 'h1-again')] })
        .resolves({});
      mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map(({ Id }) => ({ Id, MessageId: `copy-${Id}` })),
      }));
      mock.on(DeleteMessageBatchCommand).resolves({});
      const { stdout } = await cli(
        'dlq',
        'redrive',
        '--dlq-url',
        'dlq',
        '--queue-url',
        'q',
        '--method',
        'copy',
      );
      expect(JSON.parse(stdout)).toMatchObject({ Moved: 2, NewerLeft: 0, Failed: 0 });
      const copied = mock
        .commandCalls(SendMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.MessageBody) ?? []);
      expect(copied).toEqual(['body-m1', 'body-m2']);
      const deleted = mock
        .commandCalls(DeleteMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
      expect(deleted).toEqual(['h-mark', 'h1', 'h2', 'h1-again']);
    } finally {
      mock.restore();
    }
  });

  it('leaves a message the transfer queue refused, and the newer ones, visible again at once', async () => {
    const mock = mockClient(SQSClient);
    try {
      mock.on(SendMessageCommand).resolves({ MessageId: 'mark' });
      mock
        .on(ReceiveMessageCommand)
        .resolvesOnce({
          Messages: [mark(), sent('m1', 'h1'), sent('m2', 'h2'), sent('n1', 'hn', Date.now() + 60_000)],
        })
        .resolves({});
      mock.on(SendMessageBatchCommand).resolves({
        Successful: [{ Id: '0', MessageId: 'copy-0', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      });
      mock.on(DeleteMessageBatchCommand).resolves({});
      mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
      const { stdout } = await cli(
        'dlq',
        'redrive',
        '--dlq-url',
        'dlq',
        '--queue-url',
        'q',
        '--method',
        'copy',
      );
      expect(JSON.parse(stdout)).toMatchObject({ Moved: 1, NewerLeft: 1, Failed: 1 });
      const deleted = mock
        .commandCalls(DeleteMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
      expect(deleted).toEqual(['h-mark', 'h1']);
      const released = mock
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((call) => call.args[0].input.Entries ?? []);
      expect(released.map((e) => [e.ReceiptHandle, e.VisibilityTimeout]).sort()).toEqual([
        ['h2', 0],
        ['hn', 0],
      ]);
    } finally {
      mock.restore();
    }
  });
});

describe('transfer-contact dlq redrive --method copy, on SQS’s clock', () => {
  const sent = (id: string, at: number): Message => ({
    MessageId: id,
    ReceiptHandle: `h-${id}`,
    Body: `body-${id}`,
    Attributes: { SentTimestamp: String(at) },
  });
  const redrive = () => cli('dlq', 'redrive', '--dlq-url', 'dlq', '--queue-url', 'q', '--method', 'copy');

  it('holds what it receives before its mark comes back, then sorts it by the mark’s SentTimestamp', async () => {
    const mock = mockClient(SQSClient);
    try {
      // SQS's clock is an hour behind this machine's: the mark's time, not Date.now(), is the boundary.
      const sqsNow = Date.now() - 3_600_000;
      mock.on(SendMessageCommand).resolves({ MessageId: 'mark' });
      mock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [sent('old', sqsNow - 1_000), sent('new', sqsNow + 1_000)] })
        .resolvesOnce({
          Messages: [{ ...sent('mark', sqsNow), Body: `{"${REDRIVE_MARK_KEY}":"x"}` }],
        })
        .resolves({});
      mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map(({ Id }) => ({ Id, MessageId: `copy-${Id}` })),
      }));
      mock.on(DeleteMessageBatchCommand).resolves({});
      mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
      const { stdout } = await redrive();
      expect(JSON.parse(stdout)).toMatchObject({
        SentBefore: new Date(sqsNow).toISOString(),
        Moved: 1,
        NewerLeft: 1,
      });
      const copied = mock
        .commandCalls(SendMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.MessageBody) ?? []);
      expect(copied).toEqual(['body-old']);
      const mark = JSON.parse(mock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
      expect(typeof mark[REDRIVE_MARK_KEY]).toBe('string');
    } finally {
      mock.restore();
    }
  });

  it('never copies another run’s mark, and deletes one left over for more than an hour', async () => {
    const mock = mockClient(SQSClient);
    try {
      const now = Date.now();
      const body = `{"${REDRIVE_MARK_KEY}":"x"}`;
      mock.on(SendMessageCommand).resolves({ MessageId: 'mark' });
      mock
        .on(ReceiveMessageCommand)
        .resolvesOnce({
          Messages: [
            { ...sent('mark', now), Body: body },
            { ...sent('left-over', now - 2 * 3_600_000), Body: body },
            { ...sent('running', now - 60_000), Body: body },
            sent('old', now - 1_000),
          ],
        })
        .resolves({});
      mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map(({ Id }) => ({ Id, MessageId: `copy-${Id}` })),
      }));
      mock.on(DeleteMessageBatchCommand).resolves({});
      mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
      expect(JSON.parse((await redrive()).stdout)).toMatchObject({ Moved: 1, NewerLeft: 0 });
      const copied = mock
        .commandCalls(SendMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.MessageBody) ?? []);
      expect(copied).toEqual(['body-old']);
      const deleted = mock
        .commandCalls(DeleteMessageBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
      expect(deleted.sort()).toEqual(['h-left-over', 'h-mark', 'h-old']);
      const released = mock
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
      expect(released).toEqual(['h-running']);
    } finally {
      mock.restore();
    }
  });

  it('moves nothing, and makes visible again what it held, when its mark never comes back', async () => {
    const mock = mockClient(SQSClient);
    try {
      mock.on(SendMessageCommand).resolves({ MessageId: 'mark' });
      mock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [sent('old', Date.now() - 60_000)] })
        .resolves({});
      mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
      const { code, stderr } = await redrive();
      expect(code).toBe(1);
      expect(stderr).toMatch(/did not hand back the redrive's mark/);
      expect(mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
      const released = mock
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((call) => call.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
      expect(released).toEqual(['h-old']);
    } finally {
      mock.restore();
    }
  });

  /*
   * On a real SQS: the CLI's clock 20 s off SQS's (a middleware shifts the SentTimestamp of every message
   * received, as SQS's clock being off would). The worker dead-letters messages during the run (here: each
   * time the redrive copies a batch, 10 more reach the DLQ, five times).
   */
  it.each([
    ['behind', -20_000],
    ['ahead of', 20_000],
  ])(
    'moves exactly the messages in the DLQ when it began, with SQS’s clock 20 s %s the CLI’s',
    async (_, shift) => {
      const dlqUrl = await createQueue(`skew-dlq-${shift > 0 ? 'ahead' : 'behind'}`);
      const queueUrl = await createQueue(`skew-requests-${shift > 0 ? 'ahead' : 'behind'}`);
      const old = Array.from({ length: 40 }, (_, i) => `old-${i}`);
      await sendAll(dlqUrl, old);
      await new Promise((resolve) => setTimeout(resolve, 20));

      const newer: string[] = [];
      const skewed = new SQSClient({
        endpoint: engine.endpoint,
        useQueueUrlAsEndpoint: false,
        region: 'us-east-1',
      });
      skewed.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const input = args.input as { QueueUrl?: string; Entries?: unknown[] };
          const output = result.output as { Messages?: Message[] };
          for (const message of output.Messages ?? []) {
            const at = message.Attributes?.SentTimestamp;
            if (message.Attributes && at) message.Attributes.SentTimestamp = String(Number(at) + shift);
          }
          // The worker at work: what the redrive copies fails again, and reaches the DLQ during the run.
          if (input.QueueUrl === queueUrl && Array.isArray(input.Entries) && newer.length < 50) {
            const batch = Array.from({ length: 10 }, (_, i) => `new-${newer.length + i}`);
            newer.push(...batch);
            await sendAll(dlqUrl, batch);
          }
          return result;
        },
        { step: 'initialize', name: 'skewedClock' },
      );

      const report = await copyBack(skewed, dlqUrl, queueUrl);
      expect(newer.length).toBeGreaterThan(0);
      const moved = (await drain(queueUrl)).map((m) => m.Body ?? '');
      expect(moved.sort()).toEqual([...old].sort());
      expect(report).toMatchObject({ Moved: old.length, Failed: 0 });
      expect((await drain(dlqUrl)).map((m) => m.Body).sort()).toEqual([...newer].sort());
    },
  );
});
