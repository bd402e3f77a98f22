import {
  ConnectClient,
  DescribeContactCommand,
  ListAssociatedContactsCommand,
  TransferContactCommand,
} from '@aws-sdk/client-connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import { ReadLag } from '../../tools/connect-simulator/readLag.js';
import { SAMPLE_SEED } from '../support/harness.js';

// Connect's reads as harsh as AWS may be: quotas of their own, a lag behind new contacts, scripted faults.
let simulator: ConnectSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const start = async (options: ConnectSimulatorOptions = {}) => {
  simulator = await ConnectSimulator.start(options);
  simulator.seed(SAMPLE_SEED);
  // The unmodified SDK client, with no retries: each throttle reaches the test.
  return new ConnectClient({ endpoint: simulator.endpoint, maxAttempts: 1 });
};
const sim = () => {
  if (!simulator) throw new Error('no simulator');
  return simulator;
};

const describeContact = (client: ConnectClient, ContactId: string) =>
  client.send(new DescribeContactCommand({ InstanceId: 'instance-1', ContactId }));
const listTree = (client: ConnectClient, ContactId: string) =>
  client.send(new ListAssociatedContactsCommand({ InstanceId: 'instance-1', ContactId }));
const transfer = (client: ConnectClient, ContactId: string) =>
  client.send(
    new TransferContactCommand({
      InstanceId: 'instance-1',
      ContactId,
      ContactFlowId: 'flow-queue',
      QueueId: 'queue-1',
    }),
  );

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata.httpStatusCode };
  }
  throw new Error('expected the call to fail');
};

/** Sends `count` calls at once; how many were answered, and the names of the errors. */
const burst = async (count: number, call: (i: number) => Promise<unknown>) => {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => call(i)));
  return {
    answered: results.filter((r) => r.status === 'fulfilled').length,
    errors: results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).name] : [])),
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Connect simulator reads: quotas of their own', () => {
  it('answers 5 of a burst of 6 DescribeContact calls and throttles one, at the default 2/s burst 5', async () => {
    const client = await start();
    expect(await burst(6, () => describeContact(client, 'task-1'))).toEqual({
      answered: 5,
      errors: ['ThrottlingException'],
    });
    const reads = sim().calls.filter((c) => c.operation === 'DescribeContact');
    expect(reads).toHaveLength(6);
    expect(reads.filter((c) => c.status === 429 && c.errorType === 'ThrottlingException')).toHaveLength(1);
    expect(reads.filter((c) => c.status === 200)).toHaveLength(5);
  });

  it('throttles each read and TransferContact on buckets of their own', async () => {
    const client = await start({ contactIdMode: 'keep' });
    // Were any bucket shared, the groups after the first would find it empty.
    expect(await burst(6, () => describeContact(client, 'task-1'))).toMatchObject({ answered: 5 });
    expect(await burst(6, () => listTree(client, 'task-1'))).toMatchObject({ answered: 5 });
    expect(await burst(6, (i) => transfer(client, `task-${(i % 3) + 1}`))).toEqual({
      answered: 5,
      errors: ['ThrottlingException'],
    });
    const throttled = sim()
      .calls.filter((c) => c.status === 429)
      .map((c) => c.operation);
    expect(throttled.sort()).toEqual(['DescribeContact', 'ListAssociatedContacts', 'TransferContact']);
  });

  it('takes each read’s quota from readQuotas, the other keeping the default', async () => {
    const client = await start({ readQuotas: { DescribeContact: { ratePerSecond: 1_000, burst: 20 } } });
    expect(await burst(20, () => describeContact(client, 'task-1'))).toMatchObject({ answered: 20 });
    expect(await burst(6, () => listTree(client, 'task-1'))).toMatchObject({ answered: 5 });
  });
});

describe('Connect simulator reads: the lag behind a new contact', () => {
  it('does not know a transfer’s new contact within readLagMs, and knows it once the clock has moved on', async () => {
    const client = await start({ readLagMs: 60_000 });
    // Seeded contacts count as created at seed time: they lag too, until the clock moves past the lag.
    expect(await errorOf(describeContact(client, 'task-1'))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    sim().advanceClock(60_000);
    const { ContactId = '' } = await transfer(client, 'task-1');
    expect(ContactId).not.toBe('task-1');

    expect(await errorOf(describeContact(client, ContactId))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(sim().calls.at(-1)).toMatchObject({ operation: 'DescribeContact', status: 404, lagged: true });
    const early = await listTree(client, 'task-1');
    expect(early.ContactSummaryList?.map((c) => c.ContactId)).toEqual(['task-1']);
    // The old contact's end is seen at once: only the new contact lags.
    expect((await describeContact(client, 'task-1')).Contact?.DisconnectTimestamp).toBeInstanceOf(Date);

    sim().advanceClock(59_000);
    expect((await errorOf(describeContact(client, ContactId))).status).toBe(404);
    sim().advanceClock(1_000);
    expect((await describeContact(client, ContactId)).Contact).toMatchObject({
      Id: ContactId,
      PreviousContactId: 'task-1',
    });
    const late = await listTree(client, 'task-1');
    expect(late.ContactSummaryList?.map((c) => c.ContactId)).toEqual(['task-1', ContactId]);
  });

  it('does not know a new task within readLagMs', async () => {
    const client = await start({ readLagMs: 5_000 });
    sim().advanceClock(5_000);
    sim().startContact({ instanceId: 'instance-1', contactId: 'task-new', queueId: 'queue-1' });
    expect((await errorOf(describeContact(client, 'task-new'))).status).toBe(404);
    expect((await errorOf(listTree(client, 'task-new'))).status).toBe(404);
    sim().advanceClock(5_000);
    expect((await describeContact(client, 'task-new')).Contact?.Id).toBe('task-new');
  });

  it('lags the readLagShare of new contacts, the same ones for the same seed', async () => {
    const run = async () => {
      const client = await start({
        seed: 11,
        readLagMs: 60_000,
        readLagShare: 0.5,
        readQuotas: { DescribeContact: { ratePerSecond: 1_000, burst: 1_000 } },
      });
      const ids = Array.from({ length: 20 }, (_, i) => `share-${i}`);
      for (const contactId of ids) sim().startContact({ instanceId: 'instance-1', contactId });
      const seen = await Promise.all(
        ids.map((id) =>
          describeContact(client, id).then(
            () => true,
            () => false,
          ),
        ),
      );
      await sim().stop();
      simulator = undefined;
      return seen;
    };
    const first = await run();
    expect(first.filter(Boolean).length).toBeGreaterThan(3);
    expect(first.filter((seen) => !seen).length).toBeGreaterThan(3);
    expect(await run()).toEqual(first);
  });

  it('sees every contact at once by default', async () => {
    const client = await start();
    const { ContactId = '' } = await transfer(client, 'task-1');
    expect((await describeContact(client, ContactId)).Contact?.Id).toBe(ContactId);
    expect(sim().calls.at(-1)?.lagged).toBeUndefined();
  });
});

describe('Connect simulator reads: scripted faults', () => {
  it('applies a scripted read fault to exactly the next read', async () => {
    const client = await start();
    sim().failReads([{ kind: 'error' }]);
    expect(await errorOf(describeContact(client, 'task-1'))).toEqual({
      name: 'InternalServiceException',
      status: 500,
    });
    expect((await describeContact(client, 'task-1')).Contact?.Id).toBe('task-1');
    expect(sim().calls.map((c) => [c.operation, c.status, c.fault])).toEqual([
      ['DescribeContact', 500, 'error'],
      ['DescribeContact', 200, undefined],
    ]);
  });

  it('keeps a fault that names a read for the next call of that read', async () => {
    const client = await start();
    sim().failReads([{ kind: 'throttle', operation: 'ListAssociatedContacts' }]);
    await describeContact(client, 'task-1');
    expect(await errorOf(listTree(client, 'task-1'))).toEqual({ name: 'ThrottlingException', status: 429 });
    expect((await listTree(client, 'task-1')).ContactSummaryList).toHaveLength(1);
    expect(sim().calls.map((c) => c.fault)).toEqual([undefined, 'throttle', undefined]);
  });

  it('drops a read without an answer', async () => {
    const client = await start();
    sim().failReads([{ kind: 'drop' }]);
    expect((await errorOf(describeContact(client, 'task-1'))).status).toBeUndefined();
    expect(sim().calls.at(-1)).toMatchObject({ operation: 'DescribeContact', status: 0, fault: 'drop' });
  });

  it('answers a delayed read with the state it read before the delay', async () => {
    const client = await start();
    sim().failReads([{ kind: 'delay-after', ms: 400 }]);
    const stale = describeContact(client, 'task-1');
    await sleep(100);
    await transfer(client, 'task-1');
    // task-1 ended while the answer waited: the answer still shows it active.
    expect((await stale).Contact?.DisconnectTimestamp).toBeUndefined();
    expect((await describeContact(client, 'task-1')).Contact?.DisconnectTimestamp).toBeInstanceOf(Date);
  });

  it('keeps the reads’ faults apart from TransferContact’s', async () => {
    const client = await start();
    sim().injectFaults({ script: [{ kind: 'throttle' }] });
    sim().failReads([{ kind: 'error' }]);
    expect((await errorOf(transfer(client, 'task-1'))).name).toBe('ThrottlingException');
    expect((await errorOf(describeContact(client, 'task-1'))).name).toBe('InternalServiceException');
    expect((await transfer(client, 'task-1')).ContactId).toBeTruthy();
  });

  it('takes a read script through its control endpoint', async () => {
    const client = await start();
    const response = await fetch(`${sim().endpoint}/_simulator/read-faults`, {
      method: 'POST',
      body: JSON.stringify({ script: [{ kind: 'throttle', operation: 'DescribeContact' }] }),
    });
    expect(response.status).toBe(200);
    expect((await errorOf(describeContact(client, 'task-1'))).name).toBe('ThrottlingException');
  });
});

describe('ReadLag', () => {
  const contact = { instanceId: 'i', id: 'c' };
  const lagOf = (share: number, draws: number[] = []) => {
    let now = 0;
    const lag = new ReadLag(
      { lagMs: 1_000, share },
      () => draws.shift() ?? 0,
      () => now,
    );
    const at = (ms: number) => {
      now = ms;
    };
    return { lag, at };
  };

  it('hides a new contact for lagMs of its clock', () => {
    const { lag, at } = lagOf(1);
    lag.created(contact);
    at(999);
    expect(lag.hides(contact)).toBe(true);
    at(1_000);
    expect(lag.hides(contact)).toBe(false);
  });

  it('draws the share, and draws nothing when every or no contact lags', () => {
    const draws = [0.7, 0.2];
    const { lag } = lagOf(0.5, draws);
    lag.created({ instanceId: 'i', id: 'a' });
    lag.created({ instanceId: 'i', id: 'b' });
    expect([lag.hides({ instanceId: 'i', id: 'a' }), lag.hides({ instanceId: 'i', id: 'b' })]).toEqual([
      false,
      true,
    ]);
    const untouched = [0.1];
    lagOf(1, untouched).lag.created(contact);
    lagOf(0, untouched).lag.created(contact);
    expect(untouched).toEqual([0.1]);
  });

  it('forgets every lag on clear', () => {
    const { lag } = lagOf(1);
    lag.created(contact);
    lag.clear();
    expect(lag.hides(contact)).toBe(false);
  });
});
