import {
  ConnectClient,
  SearchContactsCommand,
  type SearchContactsCommandInput,
} from '@aws-sdk/client-connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectSimulator,
  type ConnectSimulatorOptions,
} from '../../tools/connect-simulator/ConnectSimulator.js';
import { SAMPLE_INSTANCE_ID, sampleContactCenter } from '../../tools/local-runner/sampleContactCenter.js';

// SearchContacts as the API reference describes it, through the unmodified SDK client.
let simulator: ConnectSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const start = async (options: ConnectSimulatorOptions = {}) => {
  simulator = await ConnectSimulator.start(options);
  simulator.seed(sampleContactCenter(0));
  return new ConnectClient({ endpoint: simulator.endpoint, maxAttempts: 1 });
};
const lastMinutes = (minutes: number, type = 'INITIATION_TIMESTAMP' as const) => ({
  Type: type,
  StartTime: new Date(Date.now() - minutes * 60_000),
  EndTime: new Date(Date.now() + 1_000),
});
const search = (client: ConnectClient, input: Partial<SearchContactsCommandInput> = {}) =>
  client.send(
    new SearchContactsCommand({ InstanceId: SAMPLE_INSTANCE_ID, TimeRange: lastMinutes(5), ...input }),
  );

describe('the Connect simulator: SearchContacts', () => {
  it('filters by channel, queue and initiation method, and pages with a token bound to the search', async () => {
    const client = await start({ readQuotas: { SearchContacts: { ratePerSecond: 100, burst: 100 } } });
    const sim = simulator as ConnectSimulator;
    for (let i = 0; i < 5; i += 1)
      sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: `q-${i}`, queueId: 'support' });
    sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: 'other-queue', queueId: 'billing' });
    sim.startContact({
      instanceId: SAMPLE_INSTANCE_ID,
      contactId: 'mail',
      channel: 'EMAIL',
      queueId: 'support',
    });

    const criteria = {
      Channels: ['TASK' as const],
      QueueIds: ['support'],
      InitiationMethods: ['API' as const],
    };
    // One search: the same range on every page.
    const TimeRange = lastMinutes(5);
    const first = await search(client, { TimeRange, SearchCriteria: criteria, MaxResults: 2 });
    expect(first.TotalCount).toBe(5);
    expect(first.Contacts?.map((c) => c.Id)).toEqual(['q-0', 'q-1']);
    expect(first.Contacts?.[0]?.QueueInfo?.Id).toBe('support');
    const ids = [...(first.Contacts ?? []).map((c) => c.Id)];
    let token = first.NextToken;
    while (token) {
      const page = await search(client, {
        TimeRange,
        SearchCriteria: criteria,
        MaxResults: 2,
        NextToken: token,
      });
      ids.push(...(page.Contacts ?? []).map((c) => c.Id));
      token = page.NextToken;
    }
    expect(ids).toEqual(['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
    // Another search's token is refused.
    await expect(
      search(client, { TimeRange, SearchCriteria: { QueueIds: ['billing'] }, NextToken: first.NextToken }),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    // Newest first on request; another time type ranges over another timestamp.
    const order = async (Order: 'ASCENDING' | 'DESCENDING') =>
      (await search(client, { TimeRange, Sort: { FieldName: 'INITIATION_TIMESTAMP', Order } })).Contacts?.map(
        (c) => c.Id,
      );
    const ascending = await order('ASCENDING');
    expect(ascending).toHaveLength(11); // the 7 started here and the 4 the seed holds
    expect(await order('DESCENDING')).toEqual([...(ascending ?? [])].reverse());
    const disconnected = await search(client, { TimeRange: lastMinutes(5, 'DISCONNECT_TIMESTAMP' as never) });
    expect(disconnected.Contacts?.map((c) => c.Id)).toEqual(['task-ended']);
  });

  it.each<[string, Partial<SearchContactsCommandInput>]>([
    [
      'a range wider than 8 weeks',
      { TimeRange: { ...lastMinutes(0), StartTime: new Date(Date.now() - 57 * 86_400_000) } },
    ],
    [
      'a range older than 2 years',
      {
        TimeRange: {
          Type: 'INITIATION_TIMESTAMP',
          StartTime: new Date(Date.now() - 740 * 86_400_000),
          EndTime: new Date(Date.now() - 730 * 86_400_000),
        },
      },
    ],
    [
      'an end before the start',
      { TimeRange: { ...lastMinutes(5), EndTime: new Date(Date.now() - 3_600_000) } },
    ],
    ['more than 100 results a page', { MaxResults: 101 }],
    ['criteria it does not model', { SearchCriteria: { AgentHierarchyGroups: { L1Ids: ['x'] } } }],
    ['a sort field Connect does not know', { Sort: { FieldName: 'QUEUE' as never, Order: 'ASCENDING' } }],
  ])('refuses %s', async (_what, input) => {
    const client = await start();
    await expect(search(client, input)).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('misses contacts the search has not caught up with, and throttles past its quota', async () => {
    const client = await start({ readLagMs: 60_000 });
    const sim = simulator as ConnectSimulator;
    sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: 'fresh', queueId: 'support' });
    expect((await search(client)).Contacts?.map((c) => c.Id)).not.toContain('fresh');
    sim.advanceClock(61_000);
    const later = await search(client, {
      TimeRange: {
        Type: 'INITIATION_TIMESTAMP',
        StartTime: new Date(Date.now() - 300_000),
        EndTime: new Date(Date.now() + 120_000),
      },
    });
    expect(later.Contacts?.map((c) => c.Id)).toContain('fresh');
    // Its own bucket (2/s, burst 5): two calls spent above, the burst runs out within the next few.
    const answers = await Promise.allSettled(Array.from({ length: 6 }, () => search(client)));
    expect(
      answers.some((a) => a.status === 'rejected' && (a.reason as Error).name === 'ThrottlingException'),
    ).toBe(true);
  });
});

describe('the Connect simulator: contact events, best effort', () => {
  it('drops the configured share of contact events, the same ones for the same seed', async () => {
    const run = async () => {
      await start({ contactEventDropShare: 0.3, seed: 7 });
      const sim = simulator as ConnectSimulator;
      const seen: string[] = [];
      sim.onContactEvent((entries) => {
        for (const entry of entries) {
          const detail = JSON.parse(entry.Detail) as { contactId: string; eventType: string };
          seen.push(`${detail.contactId}:${detail.eventType}`);
        }
      });
      for (let i = 0; i < 100; i += 1)
        sim.startContact({ instanceId: SAMPLE_INSTANCE_ID, contactId: `c-${i}`, queueId: 'support' });
      const dropped = sim.droppedContactEvents;
      await sim.stop();
      simulator = undefined;
      return { seen, dropped };
    };
    const first = await run();
    expect(first.seen.length + first.dropped).toBe(200);
    expect(first.dropped).toBeGreaterThan(40);
    expect(first.dropped).toBeLessThan(80);
    expect((await run()).seen).toEqual(first.seen);
  });
});
