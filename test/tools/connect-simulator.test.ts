import {
  ConnectClient,
  DescribeContactCommand,
  ListAssociatedContactsCommand,
  TransferContactCommand,
  type TransferContactCommandInput,
} from '@aws-sdk/client-connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import { SAMPLE_SEED } from '../support/harness.js';

let simulator: ConnectSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const start = async (options: ConnectSimulatorOptions = {}) => {
  simulator = await ConnectSimulator.start({ ratePerSecond: 1_000, burst: 1_000, ...options });
  simulator.seed(SAMPLE_SEED);
  // The unmodified SDK client, pointed at the simulator only through its endpoint, with no retries.
  return new ConnectClient({ endpoint: simulator.endpoint, maxAttempts: 1 });
};

const transfer = (overrides: Partial<TransferContactCommandInput> = {}): TransferContactCommandInput => ({
  InstanceId: 'instance-1',
  ContactId: 'task-1',
  ContactFlowId: 'flow-queue',
  QueueId: 'queue-1',
  ...overrides,
});

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
};

describe('ConnectSimulator over the real SDK', () => {
  it('transfers a TASK contact to a new contact id and ends the old one', async () => {
    const client = await start();
    const output = await client.send(new TransferContactCommand(transfer({ ClientToken: 't1' })));
    expect(output.ContactId).not.toBe('task-1');
    expect(output.ContactArn).toBe(
      `arn:aws:connect:us-east-1:123456789012:instance/instance-1/contact/${output.ContactId}`,
    );
    const described = await client.send(
      new DescribeContactCommand({ InstanceId: 'instance-1', ContactId: output.ContactId }),
    );
    expect(described.Contact).toMatchObject({
      PreviousContactId: 'task-1',
      InitiationMethod: 'TRANSFER',
      Channel: 'TASK',
    });
    expect(
      await errorOf(client.send(new TransferContactCommand(transfer({ ClientToken: 't2' })))),
    ).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
      message: 'contact task-1 is not active',
    });
  });

  it('keeps the contact id in keep mode', async () => {
    const client = await start({ contactIdMode: 'keep' });
    const output = await client.send(new TransferContactCommand(transfer()));
    expect(output.ContactId).toBe('task-1');
  });

  it('transfers an EMAIL contact to a user', async () => {
    const client = await start();
    const output = await client.send(
      new TransferContactCommand(
        transfer({
          ContactId: 'email-1',
          QueueId: undefined,
          UserId: 'agent-1',
          ContactFlowId: 'flow-agent',
        }),
      ),
    );
    expect(output.ContactId).toBeTruthy();
  });

  it.each([
    ['a VOICE contact', transfer({ ContactId: 'voice-1' }), 'InvalidRequestException', 400],
    ['a CHAT contact', transfer({ ContactId: 'chat-1' }), 'InvalidRequestException', 400],
    ['an ended contact', transfer({ ContactId: 'ended-1' }), 'InvalidRequestException', 400],
    ['both QueueId and UserId', transfer({ UserId: 'agent-1' }), 'InvalidRequestException', 400],
    ['neither QueueId nor UserId', transfer({ QueueId: undefined }), 'InvalidRequestException', 400],
    ['a whisper flow', transfer({ ContactFlowId: 'flow-whisper' }), 'InvalidRequestException', 400],
    ['an unknown flow', transfer({ ContactFlowId: 'flow-x' }), 'ResourceNotFoundException', 404],
    ['an unknown contact', transfer({ ContactId: 'task-x' }), 'ResourceNotFoundException', 404],
    ['an unknown queue', transfer({ QueueId: 'queue-x' }), 'ResourceNotFoundException', 404],
    [
      'an unknown user',
      transfer({ QueueId: undefined, UserId: 'agent-x' }),
      'ResourceNotFoundException',
      404,
    ],
    ['an unknown instance', transfer({ InstanceId: 'instance-x' }), 'ResourceNotFoundException', 404],
    [
      'an instance the caller may not touch',
      transfer({ InstanceId: 'instance-denied' }),
      'AccessDeniedException',
      403,
    ],
  ])('refuses %s', async (_, input, name, status) => {
    const client = await start();
    expect(await errorOf(client.send(new TransferContactCommand(input)))).toMatchObject({ name, status });
    expect(simulator?.calls.at(-1)).toMatchObject({ status, errorType: name, transferred: false });
  });

  it('refuses the 12th transfer of a chain that moved through new contact ids', async () => {
    const client = await start();
    let contactId = 'task-1';
    for (let i = 0; i < 11; i += 1) {
      ({ ContactId: contactId = '' } = await client.send(
        new TransferContactCommand(transfer({ ContactId: contactId })),
      ));
    }
    expect(simulator?.transfersPerChain().get('instance-1/task-1')).toBe(11);
    expect(
      await errorOf(client.send(new TransferContactCommand(transfer({ ContactId: contactId })))),
    ).toMatchObject({
      name: 'ServiceQuotaExceededException',
      status: 402,
    });
  });

  it('answers a repeated ClientToken with the first result and refuses it with other parameters', async () => {
    const client = await start({ contactIdMode: 'keep' });
    const first = await client.send(new TransferContactCommand(transfer({ ClientToken: 'same' })));
    const again = await client.send(new TransferContactCommand(transfer({ ClientToken: 'same' })));
    expect(again.ContactId).toBe(first.ContactId);
    expect(simulator?.transfersPerChain().get('instance-1/task-1')).toBe(1);
    expect(
      await errorOf(
        client.send(new TransferContactCommand(transfer({ ClientToken: 'same', QueueId: 'queue-2' }))),
      ),
    ).toMatchObject({ name: 'IdempotencyException', status: 409 });
  });

  it('throttles past the burst of its token bucket', async () => {
    const client = await start({ ratePerSecond: 2, burst: 5, contactIdMode: 'keep' });
    const results = await Promise.allSettled(
      Array.from({ length: 7 }, (_, i) =>
        client.send(new TransferContactCommand(transfer({ ContactId: `task-${(i % 3) + 1}` }))),
      ),
    );
    const throttled = results.filter(
      (r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException',
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(throttled).toHaveLength(2);
  });

  it('injects scripted faults in order, and a commit-then-error that still transferred', async () => {
    const client = await start({ contactIdMode: 'keep' });
    simulator?.injectFaults({
      script: [{ kind: 'throttle' }, { kind: 'error' }, { kind: 'commit-then-error' }],
    });
    expect((await errorOf(client.send(new TransferContactCommand(transfer())))).name).toBe(
      'ThrottlingException',
    );
    expect((await errorOf(client.send(new TransferContactCommand(transfer())))).name).toBe(
      'InternalServiceException',
    );
    expect(
      (await errorOf(client.send(new TransferContactCommand(transfer({ ClientToken: 'c' }))))).status,
    ).toBe(500);
    expect(simulator?.calls.map((c) => c.transferred)).toEqual([false, false, true]);
    // The token of the call that failed after committing replays its result.
    const replay = await client.send(new TransferContactCommand(transfer({ ClientToken: 'c' })));
    expect(replay.ContactId).toBe('task-1');
    expect(simulator?.transfersPerChain().get('instance-1/task-1')).toBe(1);
  });

  it('drops a connection without an answer', async () => {
    const client = await start();
    simulator?.injectFaults({ script: [{ kind: 'drop' }] });
    const error = await errorOf(client.send(new TransferContactCommand(transfer())));
    expect(error.status).toBeUndefined();
    expect(simulator?.transfersPerChain().size).toBe(0);
  });

  it('draws random faults reproducibly from its seed', async () => {
    const run = async () => {
      const client = await start({ seed: 7, contactIdMode: 'keep' });
      simulator?.injectFaults({ throttleRate: 0.3, errorRate: 0.2 });
      for (let i = 0; i < 20; i += 1)
        await client.send(new TransferContactCommand(transfer())).catch(() => undefined);
      const statuses = simulator?.calls.map((c) => c.status);
      await simulator?.stop();
      simulator = undefined;
      return statuses;
    };
    const first = await run();
    expect(first).toContain(429);
    expect(first).toContain(500);
    expect(await run()).toEqual(first);
  });
});

describe('ConnectSimulator: the harsh switches', () => {
  it('describes both contacts of a transfer as the API reference shows them', async () => {
    const client = await start();
    const { ContactId } = await client.send(new TransferContactCommand(transfer({ ClientToken: 'd1' })));
    const describe = (id: string) =>
      client.send(new DescribeContactCommand({ InstanceId: 'instance-1', ContactId: id }));
    const next = (await describe(ContactId ?? '')).Contact;
    expect(next).toMatchObject({
      InitialContactId: 'task-1',
      PreviousContactId: 'task-1',
      QueueInfo: { Id: 'queue-1' },
    });
    expect(next?.QueueInfo?.EnqueueTimestamp).toBeInstanceOf(Date);
    expect(next?.DisconnectTimestamp).toBeUndefined();
    const old = (await describe('task-1')).Contact;
    // The first contact of a tree names no initial contact; the transfer ended it.
    expect(old?.InitialContactId).toBeUndefined();
    expect(old?.DisconnectTimestamp).toBeInstanceOf(Date);
  });

  it('lists a contact’s tree with ListAssociatedContacts', async () => {
    const client = await start();
    const first = await client.send(new TransferContactCommand(transfer({ ClientToken: 'l1' })));
    const second = await client.send(
      new TransferContactCommand(transfer({ ContactId: first.ContactId, ClientToken: 'l2' })),
    );
    const { ContactSummaryList = [] } = await client.send(
      new ListAssociatedContactsCommand({ InstanceId: 'instance-1', ContactId: 'task-1' }),
    );
    expect(ContactSummaryList.map((c) => [c.ContactId, c.PreviousContactId])).toEqual([
      ['task-1', undefined],
      [first.ContactId, 'task-1'],
      [second.ContactId, first.ContactId],
    ]);
  });

  it('refuses the retry of a done transfer as “not active” when it checks the contact first', async () => {
    const client = await start({ checkOrder: 'state-first' });
    await client.send(new TransferContactCommand(transfer({ ClientToken: 's1' })));
    expect(
      await errorOf(client.send(new TransferContactCommand(transfer({ ClientToken: 's1' })))),
    ).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('replays the retry of a done transfer when it checks the token first', async () => {
    const client = await start({ checkOrder: 'token-first' });
    const first = await client.send(new TransferContactCommand(transfer({ ClientToken: 's2' })));
    const again = await client.send(new TransferContactCommand(transfer({ ClientToken: 's2' })));
    expect(again.ContactId).toBe(first.ContactId);
    expect(simulator?.calls.filter((c) => c.transferred)).toHaveLength(1);
  });

  it('forgets a token once its window has passed on the simulator’s clock, and transfers again', async () => {
    const client = await start({ contactIdMode: 'keep', tokenWindowMs: 60_000 });
    await client.send(new TransferContactCommand(transfer({ ClientToken: 'w1' })));
    await client.send(new TransferContactCommand(transfer({ ClientToken: 'w1' })));
    expect(simulator?.calls.filter((c) => c.transferred)).toHaveLength(1);
    simulator?.advanceClock(61_000);
    await client.send(new TransferContactCommand(transfer({ ClientToken: 'w1' })));
    expect(simulator?.calls.filter((c) => c.transferred)).toHaveLength(2);
  });

  it('keeps the contact id for the configured share of transfers in new-id mode', async () => {
    const client = await start({ contactIdMode: 'new', keepIdShare: 0.5, seed: 3 });
    const kept: boolean[] = [];
    for (let i = 0; i < 20; i += 1) {
      simulator?.seed({ instances: [{ id: 'instance-1', contacts: [{ id: `share-${i}` }] }] });
      const { ContactId } = await client.send(
        new TransferContactCommand(transfer({ ContactId: `share-${i}`, ClientToken: `k${i}` })),
      );
      kept.push(ContactId === `share-${i}`);
    }
    expect(kept.filter(Boolean).length).toBeGreaterThan(3);
    expect(kept.filter((k) => !k).length).toBeGreaterThan(3);
  });

  it('answers errors with the service model’s Message member', async () => {
    const simulatorClient = await start();
    expect(simulatorClient).toBeDefined();
    const response = await fetch(`${simulator?.endpoint}/contact/transfer`, {
      method: 'POST',
      body: JSON.stringify(transfer({ ContactId: 'voice-1' })),
    });
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(await response.json()).toEqual({ Message: expect.stringMatching(/TASK and EMAIL/) });
  });
});
