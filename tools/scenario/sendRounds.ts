import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { seededRandom } from '../connect-simulator/random.js';
import type { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import type { ItemKind, Workload, WorkloadItem } from './workload.js';

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

/**
 * Sends the workload round by round, each round once the previous one had time to be worked on, so that a
 * request names the contact its chain is on by then. Returns message id → body.
 */
export async function sendRounds(
  sqs: SQSClient,
  local: LocalOrchestrator,
  workload: Workload,
  rate: number,
  seed: number,
): Promise<{ sent: Map<string, string>; kinds: Map<ItemKind, number> }> {
  const random = seededRandom(seed + 2);
  const sent = new Map<string, string>();
  const kinds = new Map<ItemKind, number>();
  const sentBodies = new Map<number, string>();
  const rounds = new Map<number, number[]>();
  workload.items.forEach((item, index) => {
    const round = item.round ?? 0;
    rounds.set(round, [...(rounds.get(round) ?? []), index]);
  });
  for (const round of [...rounds.keys()].sort((a, b) => a - b)) {
    // Producers do not send in order within a round.
    const indexes = [...(rounds.get(round) ?? [])].sort(() => random() - 0.5);
    for (let i = 0; i < indexes.length; i += 10) {
      const batch = indexes.slice(i, i + 10).map((index) => {
        const item = workload.items[index] as WorkloadItem;
        const body = bodyToSend(item, sentBodies, local);
        sentBodies.set(index, body);
        return { item, body };
      });
      const { Successful = [], Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: local.queueUrl,
          Entries: batch.map(({ body }, n) => ({ Id: String(n), MessageBody: body })),
        }),
      );
      if (Failed.length > 0) throw new Error(`could not enqueue: ${Failed.map((f) => f.Message).join('; ')}`);
      for (const entry of Successful) {
        const sentItem = batch[Number(entry.Id)];
        if (!sentItem || !entry.MessageId) continue;
        sent.set(entry.MessageId, sentItem.body);
        count(kinds as Map<string, number>, sentItem.item.kind);
      }
    }
    await sleep(Math.max(1_000, Math.ceil((indexes.length / rate) * 1000) + 500));
  }
  return { sent, kinds };
}
