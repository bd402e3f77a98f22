import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalSqs } from '../local-engines/engines.js';
import type { LocalResource } from './provision.js';
import type { StackModel } from './stackModel.js';

/** A queued message as saved across a restart. */
interface SavedMessage {
  readonly body: string;
  readonly messageId: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  /** Seconds until it is visible again: delayed, or received and waiting out its visibility timeout. */
  readonly delaySeconds: number;
  /** `ready`, `delayed` or `in-flight` when saved. */
  readonly state: string;
}

/** SQS's longest message delay: a message hidden longer comes back sooner after a restart. */
const MAX_DELAY_SECONDS = 900;

/**
 * Saves every message of every queue (the local SQS keeps none across restarts): the visible ones, the
 * delayed ones (a producer's delay, a requeue's back-off) and the ones in flight (received and waiting out
 * their visibility timeout, such as a record a batch reported as failed), each with how long it still has
 * to wait. Read without receiving, so nothing is changed.
 */
export function saveMessages(
  sqs: LocalSqs,
  file: string,
  resources: ReadonlyMap<string, LocalResource>,
  model: StackModel,
) {
  const now = Date.now();
  const waitOf = (until: number | undefined) =>
    Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(((until ?? now) - now) / 1000)));
  const saved: Record<string, SavedMessage[]> = {};
  for (const queue of model.queues) {
    const url = resources.get(queue.logicalId)?.ref ?? '';
    const inspected = sqs.server.inspectQueue(url.split('/').at(-1) ?? '');
    if (!inspected) continue;
    const { ready, delayed, inflight } = inspected.messages;
    const entry = (message: (typeof ready)[number], state: string, until?: number): SavedMessage => ({
      body: message.body,
      messageId: message.messageId,
      attributes: message.messageAttributes as Record<string, MessageAttributeValue>,
      delaySeconds: waitOf(until),
      state,
    });
    saved[queue.logicalId] = [
      ...ready.map((m) => entry(m, 'ready')),
      ...delayed.map((m) => entry(m, 'delayed', m.delayUntil)),
      ...inflight.map((m) => entry(m.message, 'in-flight', m.visibilityDeadline)),
    ];
  }
  writeFileSync(file, JSON.stringify(saved));
}

/**
 * Sends saved messages again, each with its attributes and what was left of its wait. A re-sent message
 * gets a new id (as a redrive gives one): no token depends on it.
 */
export async function restoreMessages(
  client: SQSClient,
  file: string,
  resources: ReadonlyMap<string, LocalResource>,
) {
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SavedMessage[]>;
  for (const [logicalId, messages] of Object.entries(saved)) {
    const url = resources.get(logicalId)?.ref;
    if (!url) continue;
    for (let i = 0; i < messages.length; i += 10) {
      const { Failed = [] } = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(i, i + 10).map((m, n) => ({
            Id: String(n),
            MessageBody: m.body,
            MessageAttributes: m.attributes,
            DelaySeconds: m.delaySeconds ?? 0,
          })),
        }),
      );
      if (Failed.length > 0)
        throw new Error(`could not restore ${Failed.length} saved message(s) to ${logicalId}`);
    }
  }
  rmSync(file);
}
