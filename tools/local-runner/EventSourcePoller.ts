import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import type { ExecutionEnvironment, InvocationResult } from './ExecutionEnvironment.js';
import { toLambdaRecord } from './lambdaRecords.js';

/** The event source mapping's settings, as the template declares them. */
export interface EventSourceSettings {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
}

/** What one invocation was given and how it ended. */
export interface BatchReport {
  readonly messageIds: readonly string[];
  readonly result: InvocationResult;
  /** Messages deleted from the queue (processed); the rest come back after the visibility timeout. */
  readonly deleted: readonly string[];
  /** How long the invocation ran (what Lambda bills). */
  readonly durationMs: number;
}

/**
 * Emulates Lambda's SQS event source mapping: one poller per execution environment (so at most
 * `maxConcurrency` invocations at once), batches of up to `batchSize` gathered for up to the batching
 * window, and after each invocation the processed messages deleted. With `ReportBatchItemFailures` the
 * reported failures stay (and come back after the visibility timeout); a response naming a message not in
 * the batch, an error or a timeout leaves the whole batch. The queue's own redrive policy moves a message
 * to the DLQ after `maxReceiveCount`.
 */
export class EventSourcePoller {
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly settings: EventSourceSettings,
    private readonly environments: readonly ExecutionEnvironment[],
    private readonly onBatch: (report: BatchReport) => void = () => undefined,
  ) {}

  /** Starts polling with every environment. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = this.environments.map((environment) => this.#poll(environment));
  }

  /** Stops polling; resolves once every in-flight batch has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #poll(environment: ExecutionEnvironment): Promise<void> {
    while (this.#running) {
      try {
        const batch = await this.#gather();
        if (batch.length > 0) await this.#invoke(environment, batch);
      } catch (error) {
        if (this.#running) process.stderr.write(`event source: ${(error as Error).message}\n`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.settings.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages;
  }

  async #gather(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.settings;
    // A short long-poll keeps stop() responsive; Lambda polls continuously, which this approximates.
    const batch = await this.#receive(Math.min(batchSize, 10), 1);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + maxBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && Date.now() < windowEnds && this.#running) {
      const more = await this.#receive(Math.min(batchSize - batch.length, 10), 0);
      if (more.length === 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, windowEnds - Date.now())));
      batch.push(...more);
    }
    return batch;
  }

  async #invoke(environment: ExecutionEnvironment, batch: Message[]): Promise<void> {
    const { queueArn, region, reportBatchItemFailures } = this.settings;
    const records = batch.map((message) => toLambdaRecord(message, queueArn, region));
    const invokedAt = performance.now();
    const result = await environment.invoke({ Records: records });
    const durationMs = performance.now() - invokedAt;
    const ids = records.map((record) => record.messageId);
    const kept = keptMessages(ids, result, reportBatchItemFailures);
    const done = batch.filter((message) => !kept.has(message.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.settings.queueUrl,
          Entries: done
            .slice(i, i + 10)
            .map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    this.onBatch({
      messageIds: ids,
      result,
      deleted: done.map((message) => message.MessageId ?? ''),
      durationMs,
    });
  }
}

/**
 * Which messages of a batch stay in the queue after an invocation, by Lambda's rules for SQS.
 *
 * @example
 * keptMessages(['a', 'b'], { kind: 'response', response: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, true); // Set {'b'}
 */
export function keptMessages(
  messageIds: readonly string[],
  result: InvocationResult,
  reportBatchItemFailures: boolean,
): Set<string> {
  if (result.kind !== 'response') return new Set(messageIds);
  if (!reportBatchItemFailures) return new Set();
  const failures = (result.response as SQSBatchResponse | undefined)?.batchItemFailures ?? [];
  const identifiers = failures.map((failure) => failure.itemIdentifier);
  // An empty, null or unknown identifier makes Lambda treat the whole batch as failed.
  if (identifiers.some((id) => !id || !messageIds.includes(id))) return new Set(messageIds);
  return new Set(identifiers);
}
