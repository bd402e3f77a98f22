import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TRANSFER_REQUESTED_DETAIL_TYPE } from '../../src/contract/index.js';
import { seededRandom } from '../connect-simulator/random.js';
import type { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import { SCENARIO_INTAKE_QUEUE } from './scenarioTypes.js';
import { ItemKind, type Workload, type WorkloadItem } from './workload.js';

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body an item is sent with: a copy of what an earlier item sent, or its own naming its chain's contact. */
function bodyToSend(
  item: WorkloadItem,
  sentBodies: ReadonlyMap<number, string>,
  local: LocalOrchestrator,
): string {
  if (item.copyOf !== undefined) {
    const original = sentBodies.get(item.copyOf) ?? item.body;
    if (!item.override) return original;
    const copy = JSON.parse(original) as Record<string, unknown>;
    const target = (copy.detail as Record<string, unknown> | undefined) ?? copy;
    for (const [key, value] of Object.entries(item.override)) {
      if (value === undefined) delete target[key];
      else target[key] = value;
    }
    return JSON.stringify(copy);
  }
  if (!item.followChain || !item.chain) return item.body;
  const body = JSON.parse(item.body) as Record<string, unknown>;
  const target = (body.detail as Record<string, unknown> | undefined) ?? body;
  target.ContactId = local.connect.currentContactOf(SAMPLE_INSTANCE_ID, item.chain);
  return JSON.stringify(body);
}

/** How a workload is sent. */
export interface SendPlan {
  readonly rate: number;
  readonly seed: number;
  /** Share of valid requests put on the bus instead of the queue. */
  readonly busShare: number;
  /** Tasks to start (queued on the intake queue) for the contact-event rule, spread over the rounds. */
  readonly contactEvents: number;
}

/** What was sent: queue messages by id, and how many went through EventBridge. */
export interface SentWorkload {
  readonly sent: Map<string, string>;
  readonly kinds: Map<ItemKind, number>;
  viaBus: number;
  contactEventTasks: number;
}

/** The `Transfer Contact Requested` entry of a body: its `detail` when it is an event already, else itself. */
const busEntry = (body: string, busName: string) => {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  const detail = 'detail-type' in parsed ? parsed.detail : parsed;
  return {
    EventBusName: busName,
    Source: 'scenario.producer',
    DetailType: TRANSFER_REQUESTED_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
  };
};

/** Sends one batch: to the queue (ids kept), or as events (their messages are tracked as EventBridge delivers them). */
async function sendBatch(
  clients: { sqs: SQSClient; events: EventBridgeClient },
  local: LocalOrchestrator,
  batch: { item: WorkloadItem; body: string }[],
  toBus: boolean,
  result: SentWorkload,
): Promise<void> {
  if (batch.length === 0) return;
  if (toBus) {
    const { FailedEntryCount = 0 } = await clients.events.send(
      new PutEventsCommand({ Entries: batch.map(({ body }) => busEntry(body, local.eventBusName)) }),
    );
    if (FailedEntryCount > 0) throw new Error(`EventBridge refused ${FailedEntryCount} request(s)`);
    for (const { item } of batch) count(result.kinds as Map<string, number>, item.kind);
    result.viaBus += batch.length;
    return;
  }
  const { Successful = [], Failed = [] } = await clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: local.queueUrl,
      Entries: batch.map(({ body }, n) => ({ Id: String(n), MessageBody: body })),
    }),
  );
  if (Failed.length > 0) throw new Error(`could not enqueue: ${Failed.map((f) => f.Message).join('; ')}`);
  for (const entry of Successful) {
    const sentItem = batch[Number(entry.Id)];
    if (!sentItem || !entry.MessageId) continue;
    result.sent.set(entry.MessageId, sentItem.body);
    count(result.kinds as Map<string, number>, sentItem.item.kind);
  }
}

/**
 * Sends the workload round by round, each round once the previous one had time to be worked on, so that a
 * request names the contact its chain is on by then: most requests to the queue, a share as events on the
 * bus, and new tasks whose contact events the app's rule turns into requests. Queue messages are returned
 * by id; messages EventBridge delivers are the caller's to track.
 */
export async function sendRounds(
  clients: { sqs: SQSClient; events: EventBridgeClient },
  local: LocalOrchestrator,
  workload: Workload,
  plan: SendPlan,
): Promise<SentWorkload> {
  const random = seededRandom(plan.seed + 2);
  // A PRNG of its own, so each seed's order of sending stays what it was before the bus was used.
  const routeRandom = seededRandom(plan.seed + 4);
  const result: SentWorkload = { sent: new Map(), kinds: new Map(), viaBus: 0, contactEventTasks: 0 };
  const sentBodies = new Map<number, string>();
  const rounds = new Map<number, number[]>();
  workload.items.forEach((item, index) => {
    const round = item.round ?? 0;
    rounds.set(round, [...(rounds.get(round) ?? []), index]);
  });
  const order = [...rounds.keys()].sort((a, b) => a - b);
  const tasksPerRound = Math.ceil(plan.contactEvents / Math.max(1, order.length));
  for (const round of order) {
    // Producers do not send in order within a round.
    const indexes = [...(rounds.get(round) ?? [])].sort(() => random() - 0.5);
    for (let i = 0; i < indexes.length; i += 10) {
      const batch = indexes.slice(i, i + 10).map((index) => {
        const item = workload.items[index] as WorkloadItem;
        const body = bodyToSend(item, sentBodies, local);
        sentBodies.set(index, body);
        return { item, body };
      });
      const valid = (item: WorkloadItem) =>
        item.kind === ItemKind.Transfer || item.kind === ItemKind.Duplicate;
      const toBus = batch.filter(({ item }) => valid(item) && routeRandom() < plan.busShare);
      await sendBatch(clients, local, toBus, true, result);
      await sendBatch(
        clients,
        local,
        batch.filter((entry) => !toBus.includes(entry)),
        false,
        result,
      );
    }
    for (let n = 0; n < tasksPerRound && result.contactEventTasks < plan.contactEvents; n += 1) {
      result.contactEventTasks += 1;
      local.connect.startContact({
        instanceId: SAMPLE_INSTANCE_ID,
        contactId: `event-task-${result.contactEventTasks}`,
        queueId: SCENARIO_INTAKE_QUEUE,
      });
    }
    await sleep(Math.max(1_000, Math.ceil((indexes.length / plan.rate) * 1000) + 500));
  }
  return result;
}
