import { ConnectClient, SearchContactsCommand, TransferContactCommand } from '@aws-sdk/client-connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BatchEntry,
  type LedgerKeyItem,
  runSweep,
  type SweepPorts,
} from '../../../lambdas/contact-sweep/sweep.js';
import { LedgerKey } from '../../../src/contract/ledgerKeys.js';
import type { SweepInput } from '../../../src/contract/sweep.js';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../../tools/connect-simulator/ConnectSimulator.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from '../../../tools/local-runner/sampleContactCenter.js';

// The sweep's run against the Connect simulator's SearchContacts (through the unmodified SDK client), with
// a ledger and a queue in memory that can leave keys unprocessed and refuse entries.
let simulator: ConnectSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const INPUT: SweepInput = {
  ruleId: 'Escalate',
  instanceId: SAMPLE_INSTANCE_ID,
  destination: { QueueId: 'escalations', ContactFlowId: 'flow-transfer-to-queue' },
  criteria: { Channels: ['TASK'], QueueIds: ['support'] },
  includeTransferredContacts: false,
  windowSeconds: 3600,
  settleSeconds: 0,
  searchRatePerSecond: 50,
};

interface World {
  readonly sim: ConnectSimulator;
  readonly sent: BatchEntry[];
  readonly ledger: Set<string>;
  readonly ports: SweepPorts;
  ledgerRounds: number;
  sendCalls: number;
}

const world = async (
  options: ConnectSimulatorOptions = {},
  faults: { unprocessedOnce?: boolean; failFirstEntry?: boolean; remainingMs?: () => number } = {},
): Promise<World> => {
  simulator = await ConnectSimulator.start({
    readQuotas: { SearchContacts: { ratePerSecond: 100, burst: 100 } },
    ...options,
  });
  simulator.seed(sampleContactCenter(0));
  const client = new ConnectClient({ endpoint: simulator.endpoint, maxAttempts: 1 });
  const w: World = {
    sim: simulator,
    sent: [],
    ledger: new Set(),
    ledgerRounds: 0,
    sendCalls: 0,
    ports: {
      search: (input) => client.send(new SearchContactsCommand(input)),
      readLedger: async (keys: LedgerKeyItem[]) => {
        w.ledgerRounds += 1;
        // DynamoDB may leave keys unprocessed, with no error: the first round leaves the last key.
        const [answered, unprocessed] =
          faults.unprocessedOnce && w.ledgerRounds === 1 ? [keys.slice(0, -1), keys.slice(-1)] : [keys, []];
        return { items: answered.filter((k) => w.ledger.has(k.pk)), unprocessed };
      },
      sendBatch: async (entries) => {
        w.sendCalls += 1;
        expect(entries.length).toBeLessThanOrEqual(10);
        const fail = faults.failFirstEntry && w.sendCalls === 1 ? entries.slice(0, 1) : [];
        w.sent.push(...entries.filter((e) => !fail.includes(e)));
        return fail.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' }));
      },
      remainingMs: faults.remainingMs ?? (() => 60_000),
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
  };
  return w;
};

const start = (sim: ConnectSimulator, contactId: string, extra: Record<string, unknown> = {}) =>
  sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId, queueId: 'support', ...extra });
const sentContacts = (w: World) =>
  w.sent.map((e) => (JSON.parse(e.MessageBody) as { ContactId: string }).ContactId).sort();

describe('the contact sweep', () => {
  it('enqueues the matching contacts the ledger has no request for, with the rule’s token', async () => {
    const w = await world();
    for (const id of ['a', 'b', 'c']) start(w.sim, id);
    start(w.sim, 'other-queue', { queueId: 'billing' });
    start(w.sim, 'mail', { channel: 'EMAIL' });
    w.ledger.add(LedgerKey.request('rule-Escalate-b'));

    const counts = await runSweep(INPUT, w.ports);
    expect(counts).toEqual({
      found: 3,
      alreadyRequested: 1,
      enqueued: 2,
      pages: 1,
      throttled: 0,
      complete: true,
    });
    expect(sentContacts(w)).toEqual(['a', 'c']);
    expect(JSON.parse(w.sent[0]?.MessageBody ?? '{}')).toEqual({
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: 'a',
      QueueId: 'escalations',
      ContactFlowId: 'flow-transfer-to-queue',
      ClientToken: 'rule-Escalate-a',
    });
    // Every entry id is one SQS takes: alphanumeric, hyphens and underscores, at most 80 characters.
    for (const entry of w.sent) expect(entry.Id).toMatch(/^[\w-]{1,80}$/);
  });

  it('leaves out disconnected contacts and those a transfer started, unless the rule includes them', async () => {
    const w = await world();
    start(w.sim, 'live');
    start(w.sim, 'moved');
    // A task transferred to support again: the old contact ends, a new one (initiated by TRANSFER) is queued.
    const client = new ConnectClient({ endpoint: w.sim.endpoint, maxAttempts: 1 });
    const moved = await client.send(
      new TransferContactCommand({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: 'moved',
        QueueId: 'support',
        ContactFlowId: 'flow-transfer-to-queue',
      }),
    );
    const counts = await runSweep(INPUT, w.ports);
    expect(counts.found).toBe(1);
    expect(sentContacts(w)).toEqual(['live']);
    w.sent.length = 0;
    const included = await runSweep({ ...INPUT, includeTransferredContacts: true }, w.ports);
    expect(included.found).toBe(2);
    expect(sentContacts(w)).toEqual([moved.ContactId, 'live'].sort());
  });

  it('leaves alone a dead-lettered token and a contact an agent took', async () => {
    // A transfer keeps the task's id here, so the contact an agent took is still live.
    const w = await world({ contactIdMode: 'keep' });
    for (const id of ['fresh', 'refused']) start(w.sim, id);
    // Refused and dead-lettered earlier: the worker forgot its request record, the rejection record stays.
    w.ledger.add(LedgerKey.rejection('rule-Escalate-refused'));
    // An agent took this one, still queued on support as far as the search's criteria go.
    start(w.sim, 'taken');
    const client = new ConnectClient({ endpoint: w.sim.endpoint, maxAttempts: 1 });
    await client.send(
      new TransferContactCommand({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: 'taken',
        ContactFlowId: 'flow-transfer-to-agent',
        UserId: 'agent-ana',
      }),
    );
    const counts = await runSweep(INPUT, w.ports);
    expect(sentContacts(w)).toEqual(['fresh']);
    expect(counts).toMatchObject({ alreadyRequested: 1, enqueued: 1 });
  });

  it('searches by enqueue time when the rule says so: a task queued late is found, one never queued is not', async () => {
    // A transfer keeps the task's id here: the task started two hours ago is queued on support only now.
    const w = await world({ contactIdMode: 'keep' });
    w.sim.seed({
      instances: [
        { id: SAMPLE_INSTANCE_ID, contacts: [{ id: 'late', initiatedAt: Date.now() - 7_200_000 }] },
      ],
    });
    const client = new ConnectClient({ endpoint: w.sim.endpoint, maxAttempts: 1 });
    await client.send(
      new TransferContactCommand({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: 'late',
        QueueId: 'support',
        ContactFlowId: 'flow-transfer-to-queue',
      }),
    );
    // Started now and never queued: it has no enqueue timestamp.
    w.sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: 'never-queued' });
    const anyQueue = { ...INPUT, criteria: { Channels: ['TASK'] } };

    await runSweep(anyQueue, w.ports);
    expect(sentContacts(w)).toEqual(['never-queued']);
    w.sent.length = 0;
    await runSweep({ ...anyQueue, timestamp: 'ENQUEUE_TIMESTAMP' }, w.ports);
    expect(sentContacts(w)).toEqual(['late']);
    const searches = w.sim.calls.filter((c) => c.operation === 'SearchContacts');
    expect(searches.map((c) => (c.input.TimeRange as { Type: string }).Type)).toEqual([
      'INITIATION_TIMESTAMP',
      'ENQUEUE_TIMESTAMP',
    ]);
  });

  it('pages through more than 100 matches with the same range, a ledger read per 50 and ⌈n/10⌉ sends a page', async () => {
    const w = await world({}, { unprocessedOnce: true, failFirstEntry: true });
    for (let i = 0; i < 230; i += 1) start(w.sim, `p-${String(i).padStart(3, '0')}`);
    const counts = await runSweep(INPUT, w.ports);
    expect(counts).toMatchObject({ found: 230, enqueued: 230, pages: 3, complete: true });
    expect(new Set(sentContacts(w)).size).toBe(230);
    // Three pages (100, 100, 30): a BatchGetItem per 50 tokens (two keys each), and one more round for the
    // key left unprocessed.
    expect(w.ledgerRounds).toBe(6);
    // 10 + 10 + 3 batches, and the failed entry sent again.
    expect(w.sendCalls).toBe(24);
    const searches = w.sim.calls.filter((c) => c.operation === 'SearchContacts');
    expect(searches).toHaveLength(3);
    expect(new Set(searches.map((c) => JSON.stringify(c.input.TimeRange))).size).toBe(1);
  });

  it('waits out SearchContacts throttles and finishes, paced below the quota', async () => {
    const w = await world({ readQuotas: { SearchContacts: { ratePerSecond: 2, burst: 1 } } });
    for (let i = 0; i < 250; i += 1) start(w.sim, `t-${i}`);
    // Asked to call faster than the quota: throttled, waits, and still reads every page.
    const counts = await runSweep({ ...INPUT, searchRatePerSecond: 20 }, w.ports);
    expect(counts.throttled).toBeGreaterThan(0);
    expect(counts).toMatchObject({ found: 250, enqueued: 250, pages: 3, complete: true });
  });

  it('stops at its deadline with what it did, never failing on a throttle', async () => {
    const w = await world({ readQuotas: { SearchContacts: { ratePerSecond: 0.01, burst: 1 } } });
    for (let i = 0; i < 150; i += 1) start(w.sim, `d-${i}`);
    const deadline = Date.now() + 1_500;
    const counts = await runSweep(INPUT, { ...w.ports, remainingMs: () => deadline - Date.now() });
    expect(counts).toMatchObject({ found: 100, enqueued: 100, pages: 1, complete: false });
    expect(counts.throttled).toBeGreaterThan(0);
  });

  it('fails the run on any other error, with the counts so far', async () => {
    const w = await world();
    start(w.sim, 'x');
    const failing = { ...w.ports, sendBatch: async () => Promise.reject(new Error('socket hang up')) };
    await expect(runSweep(INPUT, failing)).rejects.toMatchObject({
      message: 'socket hang up',
      counts: { found: 1, enqueued: 0 },
    });
  });
});
