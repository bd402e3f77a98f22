import {
  ConnectClient,
  DescribeContactCommand,
  TransferContactCommand,
  UpdateContactAttributesCommand,
} from '@aws-sdk/client-connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import { callSiteOf, operationOf } from '../../tools/local-engines/callSites.js';
import { SAMPLE_SEED } from '../support/harness.js';

// UpdateContactAttributes as the API reference describes it, harsh side included, through the real SDK.
let simulator: ConnectSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const start = async (options: ConnectSimulatorOptions = {}) => {
  simulator = await ConnectSimulator.start(options);
  simulator.seed(SAMPLE_SEED);
  // The unmodified SDK client, with no retries: each throttle and fault reaches the test.
  return new ConnectClient({ endpoint: simulator.endpoint, maxAttempts: 1 });
};
const sim = () => {
  if (!simulator) throw new Error('no simulator');
  return simulator;
};

const update = (
  client: ConnectClient,
  InitialContactId: string,
  Attributes: Record<string, string>,
  InstanceId = 'instance-1',
) => client.send(new UpdateContactAttributesCommand({ InstanceId, InitialContactId, Attributes }));
const describeContact = (client: ConnectClient, ContactId: string) =>
  client.send(new DescribeContactCommand({ InstanceId: 'instance-1', ContactId }));
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

const attributeCalls = () => sim().calls.filter((c) => c.operation === 'UpdateContactAttributes');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('UpdateContactAttributes: the route and the merge', () => {
  it('answers {} and merges into the contact’s attributes, keeping empty values as empty strings', async () => {
    const client = await start();
    const first = await update(client, 'task-1', { priority: 'high', 'team-name': 'billing', keep_me: 'x' });
    expect(first.$metadata.httpStatusCode).toBe(200);
    await update(client, 'task-1', { priority: 'low', keep_me: '' });
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({
      priority: 'low',
      'team-name': 'billing',
      keep_me: '',
    });
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({
      priority: 'low',
      'team-name': 'billing',
      keep_me: '',
    });
    expect(sim().attributeUpdatesPerContact()).toEqual(new Map([['instance-1/task-1', 2]]));
    expect(attributeCalls().map((c) => [c.status, c.applied, c.output])).toEqual([
      [200, true, {}],
      [200, true, {}],
    ]);
    expect(attributeCalls()[0]?.input).toEqual({
      InstanceId: 'instance-1',
      InitialContactId: 'task-1',
      Attributes: { priority: 'high', 'team-name': 'billing', keep_me: 'x' },
    });
  });

  it('shows no Attributes for a contact never updated, and {} from the accessor', async () => {
    const client = await start();
    expect((await describeContact(client, 'task-2')).Contact?.Attributes).toBeUndefined();
    expect(sim().contactAttributes('instance-1', 'task-2')).toEqual({});
    expect(sim().contactAttributes('instance-1', 'no-such')).toBeUndefined();
  });

  it('updates an ended contact, as the API reference allows', async () => {
    const client = await start();
    await update(client, 'ended-1', { outcome: 'done' });
    expect(sim().contactAttributes('instance-1', 'ended-1')).toEqual({ outcome: 'done' });
  });

  it('updates the contact named, the initial one of a chain or a later one', async () => {
    const client = await start();
    const { ContactId = '' } = await transfer(client, 'task-1');
    await update(client, ContactId, { step: 'second' });
    await update(client, 'task-1', { step: 'first' });
    expect(sim().contactAttributes('instance-1', ContactId)).toEqual({ step: 'second' });
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ step: 'first' });
  });

  it('routes only POST /contact/attributes, and names its call site', async () => {
    await start();
    const response = await fetch(`${sim().endpoint}/contact/attributes/instance-1/task-1`, {
      method: 'POST',
      body: JSON.stringify({ Attributes: { a: 'b' } }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(operationOf('connect', 'POST', '/contact/attributes', undefined)).toBe('UpdateContactAttributes');
    expect(operationOf('connect', 'POST', '/contact/attributes/i/c', undefined)).not.toBe(
      'UpdateContactAttributes',
    );
    expect(callSiteOf('connect', 'UpdateContactAttributes', undefined)).toBe('connect.updateAttributes');
  });

  it('reports attributes and applied updates through its control endpoint', async () => {
    const client = await start();
    await update(client, 'task-3', { a: '1' });
    const report = await (await fetch(`${sim().endpoint}/_simulator/attributes`)).json();
    expect(report).toEqual({ contacts: { 'instance-1/task-3': { attributes: { a: '1' }, updates: 1 } } });
  });

  it('keeps attributes and update counts across snapshot and restore', async () => {
    const client = await start();
    await update(client, 'task-1', { a: '1' });
    const snapshot = JSON.parse(JSON.stringify(sim().snapshot()));
    await update(client, 'task-1', { a: '2' });
    sim().restore(snapshot);
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1' });
    expect(sim().attributeUpdatesPerContact().get('instance-1/task-1')).toBe(1);
  });
});

describe('UpdateContactAttributes: validation', () => {
  it('refuses a key other than alphanumeric, dash and underscore, changing nothing', async () => {
    const client = await start({ updateContactAttributesBurst: 20 });
    await update(client, 'task-1', { ok: '1' });
    for (const key of ['has space', 'dot.ted', 'colon:key', 'ümlaut', '']) {
      expect(await errorOf(update(client, 'task-1', { ok: '2', [key]: 'v' }))).toEqual({
        name: 'InvalidParameterException',
        status: 400,
      });
    }
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ ok: '1' });
    expect(sim().attributeUpdatesPerContact().get('instance-1/task-1')).toBe(1);
    expect(attributeCalls().filter((c) => c.applied === false)).toHaveLength(5);
  });

  it('requires Attributes, a map of strings', async () => {
    const client = await start();
    expect(
      await errorOf(
        client.send(
          // The SDK sends what it is given: a body without Attributes reaches the service.
          new UpdateContactAttributesCommand({
            InstanceId: 'instance-1',
            InitialContactId: 'task-1',
            Attributes: undefined as unknown as Record<string, string>,
          }),
        ),
      ),
    ).toEqual({ name: 'InvalidParameterException', status: 400 });
    for (const Attributes of [['a'], 'a', { a: 1 }]) {
      const response = await fetch(`${sim().endpoint}/contact/attributes`, {
        method: 'POST',
        body: JSON.stringify({ InstanceId: 'instance-1', InitialContactId: 'task-1', Attributes }),
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('InvalidParameterException');
    }
  });

  it('answers 404 ResourceNotFoundException for an unknown instance or contact', async () => {
    const client = await start();
    expect(await errorOf(update(client, 'task-1', { a: '1' }, 'instance-nope'))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(await errorOf(update(client, 'no-such-contact', { a: '1' }))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(attributeCalls().map((c) => [c.status, c.errorType, c.applied])).toEqual([
      [404, 'ResourceNotFoundException', false],
      [404, 'ResourceNotFoundException', false],
    ]);
  });

  it('allows 32,768 UTF-8 bytes across the contact’s merged attributes, and refuses one more', async () => {
    const client = await start();
    // 'a' + 16,383 bytes, then 'b' + 16,383 bytes: 32,768 bytes in all.
    await update(client, 'task-1', { a: 'x'.repeat(16_383) });
    await update(client, 'task-1', { b: 'y'.repeat(16_383) });
    // One byte more, counted with the existing attributes although this call alone is small.
    expect(await errorOf(update(client, 'task-1', { c: '' }))).toEqual({
      name: 'InvalidParameterException',
      status: 400,
    });
    // Overwriting a key counts its new value, not both: shrinking one frees room.
    await update(client, 'task-1', { a: 'x'.repeat(16_381), c: '' });
    expect(Object.keys(sim().contactAttributes('instance-1', 'task-1') ?? {})).toEqual(['a', 'b', 'c']);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const client = await start();
    // 'k' (1 byte) + 10,923 × '€' (3 bytes each) = 32,770 bytes, though only 10,924 characters.
    expect(await errorOf(update(client, 'task-1', { k: '€'.repeat(10_923) }))).toEqual({
      name: 'InvalidParameterException',
      status: 400,
    });
    await update(client, 'task-1', { k: '€'.repeat(10_922) });
  });
});

describe('UpdateContactAttributes: a transfer carries the attributes', () => {
  it('copies the transferred contact’s attributes to the new contact, at the moment of the transfer', async () => {
    const client = await start({ contactIdMode: 'new' });
    await update(client, 'task-1', { reason: 'escalation', tier: 'gold' });
    const { ContactId = '' } = await transfer(client, 'task-1');
    expect(ContactId).not.toBe('task-1');
    expect((await describeContact(client, ContactId)).Contact?.Attributes).toEqual({
      reason: 'escalation',
      tier: 'gold',
    });
    // A copy: later updates of either contact leave the other as it is.
    await update(client, 'task-1', { tier: 'old' });
    await update(client, ContactId, { reason: 'new' });
    expect(sim().contactAttributes('instance-1', ContactId)).toEqual({ reason: 'new', tier: 'gold' });
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ reason: 'escalation', tier: 'old' });
    expect(sim().attributeUpdatesPerContact().get(`instance-1/${ContactId}`)).toBe(1);
  });

  it('keeps the attributes on a contact whose id a transfer keeps', async () => {
    const client = await start({ contactIdMode: 'keep' });
    await update(client, 'task-1', { reason: 'escalation' });
    expect((await transfer(client, 'task-1')).ContactId).toBe('task-1');
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({ reason: 'escalation' });
  });

  it('gives a new contact none when the transferred contact had none', async () => {
    const client = await start();
    const { ContactId = '' } = await transfer(client, 'task-2');
    expect(sim().contactAttributes('instance-1', ContactId)).toEqual({});
  });
});

describe('UpdateContactAttributes: its own quota', () => {
  it('answers 5 of a burst of 6 and 429 TooManyRequestsException to one, at the default 2/s burst 5', async () => {
    const client = await start();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => update(client, 'task-1', { [`k${i}`]: 'v' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const throttled = attributeCalls().filter((c) => c.status === 429);
    expect(throttled.map((c) => [c.errorType, c.applied])).toEqual([['TooManyRequestsException', false]]);
    expect(sim().attributeUpdatesPerContact().get('instance-1/task-1')).toBe(5);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as Error).name).toBe('TooManyRequestsException');
  });

  it('throttles on a bucket apart from TransferContact’s', async () => {
    const client = await start({ contactIdMode: 'keep' });
    await Promise.allSettled(Array.from({ length: 6 }, () => transfer(client, 'task-1')));
    expect(sim().calls.filter((c) => c.operation === 'TransferContact' && c.status === 429)).toHaveLength(1);
    // TransferContact's bucket is empty; UpdateContactAttributes' is full.
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => update(client, 'task-1', { a: '1' })),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('takes its quota from updateContactAttributesRatePerSecond and updateContactAttributesBurst', async () => {
    const client = await start({ updateContactAttributesRatePerSecond: 1, updateContactAttributesBurst: 2 });
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => update(client, 'task-1', { a: '1' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    await sim().stop();
    const raised = await start({
      updateContactAttributesRatePerSecond: 1_000,
      updateContactAttributesBurst: 20,
    });
    const many = await Promise.allSettled(
      Array.from({ length: 20 }, () => update(raised, 'task-1', { a: '1' })),
    );
    expect(many.every((r) => r.status === 'fulfilled')).toBe(true);
  });
});

describe('UpdateContactAttributes: injected faults', () => {
  it('fails before applying: throttle, error and drop change nothing', async () => {
    const client = await start();
    const operation = 'UpdateContactAttributes' as const;
    sim().injectFaults({
      script: [
        { kind: 'throttle', operation },
        { kind: 'error', operation },
        { kind: 'drop', operation },
      ],
    });
    expect(await errorOf(update(client, 'task-1', { a: '1' }))).toEqual({
      name: 'TooManyRequestsException',
      status: 429,
    });
    expect(await errorOf(update(client, 'task-1', { a: '1' }))).toEqual({
      name: 'InternalServiceException',
      status: 500,
    });
    expect((await errorOf(update(client, 'task-1', { a: '1' }))).status).toBeUndefined();
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({});
    expect(attributeCalls().map((c) => [c.status, c.fault, c.applied])).toEqual([
      [429, 'throttle', false],
      [500, 'error', false],
      [0, 'drop', false],
    ]);
    await update(client, 'task-1', { a: '1' });
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1' });
  });

  it('applies, then loses the answer: commit-then-error and commit-then-drop', async () => {
    const client = await start();
    const operation = 'UpdateContactAttributes' as const;
    sim().injectFaults({
      script: [
        { kind: 'commit-then-error', operation },
        { kind: 'commit-then-drop', operation },
      ],
    });
    expect(await errorOf(update(client, 'task-1', { a: '1' }))).toEqual({
      name: 'InternalServiceException',
      status: 500,
    });
    expect((await errorOf(update(client, 'task-1', { b: '2' }))).status).toBeUndefined();
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1', b: '2' });
    expect(sim().attributeUpdatesPerContact().get('instance-1/task-1')).toBe(2);
    expect(attributeCalls().map((c) => [c.status, c.fault, c.applied])).toEqual([
      [500, 'commit-then-error', true],
      [0, 'commit-then-drop', true],
    ]);
  });

  it('hangs: delay-after applies before the answer arrives; delay-before applies nothing until it ends', async () => {
    const client = await start();
    const operation = 'UpdateContactAttributes' as const;
    sim().injectFaults({ script: [{ kind: 'delay-after', ms: 300, operation }] });
    const held = update(client, 'task-1', { a: '1' });
    await sleep(100);
    expect(sim().heldCalls).toBe(1);
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1' });
    await held;
    expect(sim().heldCalls).toBe(0);

    sim().injectFaults({ script: [{ kind: 'delay-before', ms: 300, operation }] });
    const waiting = update(client, 'task-1', { b: '2' });
    await sleep(100);
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1' });
    await waiting;
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1', b: '2' });
  });

  it('a held call whose caller gives up is never applied', async () => {
    const client = await start();
    sim().injectFaults({ script: [{ kind: 'delay-before', ms: 300, operation: 'UpdateContactAttributes' }] });
    const abort = new AbortController();
    const call = client.send(
      new UpdateContactAttributesCommand({
        InstanceId: 'instance-1',
        InitialContactId: 'task-1',
        Attributes: { a: '1' },
      }),
      { abortSignal: abort.signal },
    );
    await sleep(50);
    abort.abort();
    await call.catch(() => undefined);
    await sleep(400);
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({});
    expect(attributeCalls().at(-1)).toMatchObject({ status: 0, fault: 'abandoned', applied: false });
  });

  it('keeps faults that name no operation for TransferContact, and random ones unless told', async () => {
    const client = await start({ contactIdMode: 'keep' });
    sim().injectFaults({ script: [{ kind: 'error' }] });
    await update(client, 'task-1', { a: '1' });
    expect(await errorOf(transfer(client, 'task-1'))).toEqual({
      name: 'InternalServiceException',
      status: 500,
    });

    sim().injectFaults({ errorRate: 1 });
    await update(client, 'task-1', { a: '2' });
    expect((await errorOf(transfer(client, 'task-1'))).status).toBe(500);
    sim().injectFaults({ errorRate: 1, operations: ['UpdateContactAttributes'] });
    expect((await errorOf(update(client, 'task-1', { a: '3' }))).status).toBe(500);
    expect((await transfer(client, 'task-1')).ContactId).toBe('task-1');
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '2' });
  });

  it('takes an aimed script through the faults control endpoint', async () => {
    const client = await start();
    await fetch(`${sim().endpoint}/_simulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ script: [{ kind: 'commit-then-error', operation: 'UpdateContactAttributes' }] }),
    });
    expect((await errorOf(update(client, 'task-1', { a: '1' }))).status).toBe(500);
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ a: '1' });
  });
});

describe('UpdateContactAttributes: DescribeContact lags an update', () => {
  it('shows the attributes from before the update within attributesReadLagMs, then the new ones', async () => {
    const client = await start({ attributesReadLagMs: 10_000 });
    await update(client, 'task-1', { tier: 'silver' });
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toBeUndefined();
    expect(sim().calls.at(-1)).toMatchObject({ operation: 'DescribeContact', status: 200, lagged: true });
    sim().advanceClock(10_000);
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({ tier: 'silver' });
    expect(sim().calls.at(-1)?.lagged).toBeUndefined();

    await update(client, 'task-1', { tier: 'gold' });
    sim().advanceClock(5_000);
    await update(client, 'task-1', { tier: 'platinum', extra: 'x' });
    // Still within the lag: the read shows the attributes from before the first lagging update.
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({ tier: 'silver' });
    // The accessor shows the model as it is, not as a read sees it.
    expect(sim().contactAttributes('instance-1', 'task-1')).toEqual({ tier: 'platinum', extra: 'x' });
    sim().advanceClock(10_000);
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({
      tier: 'platinum',
      extra: 'x',
    });
  });

  it('lags only with attributesReadLagMs set: by default a read sees an update at once', async () => {
    const client = await start({ readLagMs: 0 });
    await update(client, 'task-1', { tier: 'gold' });
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({ tier: 'gold' });
  });

  it('lags the readLagShare of updates, the same ones for the same seed', async () => {
    const run = async () => {
      const client = await start({
        seed: 7,
        attributesReadLagMs: 60_000,
        readLagShare: 0.5,
        updateContactAttributesRatePerSecond: 1_000,
        updateContactAttributesBurst: 1_000,
        readQuotas: { DescribeContact: { ratePerSecond: 1_000, burst: 1_000 } },
      });
      const ids = Array.from({ length: 20 }, (_, i) => `share-${i}`);
      for (const contactId of ids) sim().startContact({ instanceId: 'instance-1', contactId });
      for (const id of ids) await update(client, id, { seen: 'yes' });
      const seen = await Promise.all(
        ids.map(async (id) => (await describeContact(client, id)).Contact?.Attributes?.seen === 'yes'),
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

  it('forgets the lag on restore', async () => {
    const client = await start({ attributesReadLagMs: 60_000 });
    await update(client, 'task-1', { tier: 'gold' });
    sim().restore(sim().snapshot());
    expect((await describeContact(client, 'task-1')).Contact?.Attributes).toEqual({ tier: 'gold' });
  });
});
