import { z } from 'zod';
import { CONNECT_TRANSFER_LIMIT, DEFAULTS, WorkerEnv } from '../../src/contract/index.js';
import { intervalMs } from '../../src/domain/index.js';

/** The worker's configuration, read once per cold start from its environment. */
export interface WorkerConfig {
  /** DynamoDB table holding contact chains (`chain#…`) and contact aliases (`contact#…`). */
  readonly ledgerTableName: string;
  /** DynamoDB table of the Powertools idempotency records (partition key `id`). */
  readonly idempotencyTableName: string;
  /** Where permanent failures and exhausted retries go, with their reason. */
  readonly deadLetterQueueUrl: string;
  /** The transfer queue itself: where a request throttled on its last allowed delivery is sent back. */
  readonly transferQueueUrl: string;
  /** How many times one request may be sent back before it is dead-lettered. */
  readonly requeueLimit: number;
  /** Instance ids the worker may touch; any other is an invalid request. Empty: none. */
  readonly allowedInstanceIds: ReadonlySet<string>;
  /** Successful transfers allowed per contact chain. */
  readonly transferCap: number;
  /** `TransferContact` calls per second the whole deployment may make (the account quota it may use). */
  readonly transferRatePerSecond: number;
  /** How many workers run at once (the event source's `maxConcurrency`): they share the rate. */
  readonly maxConcurrency: number;
  /** Deliveries before a transient failure is dead-lettered: the queue's `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  /** How long a completed token's result is kept (and replayed) in the idempotency table. */
  readonly idempotencyTtlSeconds: number;
  /** Below this much remaining invocation time no new transfer starts; the record is retried later. */
  readonly deadlineMarginMs: number;
  /**
   * How long after an attempt that may have transferred the worker still sends the same token to Connect
   * (which replays it); past it, it reconciles with `DescribeContact` instead. Keep it well below Connect's
   * own token memory, which AWS does not document (sibling Connect APIs keep tokens 7 days).
   */
  readonly tokenReplayWindowSeconds: number;
  /** The bus the outcome events go to; none: outcome events are off. */
  readonly outcomeEventBusName: string | undefined;
  /**
   * `adaptive`: the rate is a ceiling, lowered on throttles and shared by every worker (the ledger's pacing
   * item); `fixed`: each worker paces to `rate / maxConcurrency`, whatever Connect says.
   */
  readonly pacingMode: 'adaptive' | 'fixed';
  /**
   * The worker role's unique id (`AROA…`): SQS stamps it on every message the worker sends (`SenderId`), so
   * the worker believes the attributes of its own copies, and only those. Without it no copy is believed and
   * requests are not held in the queue.
   */
  readonly workerRoleId: string | undefined;
  /** The queues' maximum message size (bytes), body and attributes together. */
  readonly maxMessageBytes: number;
  /** How long one AWS call may take before the SDK gives up on it. */
  readonly requestTimeoutMs: number;
  /** `DescribeContact` and `ListAssociatedContacts` calls per second (each) for the whole deployment. */
  readonly contactReadRatePerSecond: number;
}

/** The worker's environment is unusable; the message lists every problem found. */
export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

const required = (name: string) => z.string({ error: `${name} is required` }).min(1, `${name} is required`);
const integer = (name: string, fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`)
    .default(fallback);

const E = WorkerEnv;
const EnvironmentSchema = z.object({
  [E.ledgerTableName]: required(E.ledgerTableName),
  [E.idempotencyTableName]: required(E.idempotencyTableName),
  [E.deadLetterQueueUrl]: required(E.deadLetterQueueUrl),
  [E.transferQueueUrl]: required(E.transferQueueUrl),
  [E.requeueLimit]: integer(E.requeueLimit, DEFAULTS.requeueLimit, 0, 1000),
  [E.allowedInstanceIds]: z.string().default(''),
  [E.transferCap]: integer(E.transferCap, DEFAULTS.transferCap, 1, CONNECT_TRANSFER_LIMIT),
  [E.transferRatePerSecond]: z.coerce
    .number({ error: `${E.transferRatePerSecond} must be a number` })
    .positive(`${E.transferRatePerSecond} must be above 0`)
    .default(DEFAULTS.transferRatePerSecond),
  [E.maxConcurrency]: integer(E.maxConcurrency, DEFAULTS.maxConcurrency, 1, 1000),
  [E.maxReceiveCount]: integer(E.maxReceiveCount, DEFAULTS.maxReceiveCount, 1, 1000),
  [E.idempotencyTtlSeconds]: integer(
    E.idempotencyTtlSeconds,
    DEFAULTS.idempotencyTtlSeconds,
    60,
    30 * 86_400,
  ),
  [E.deadlineMarginMs]: integer(E.deadlineMarginMs, DEFAULTS.deadlineMarginMs, 0, 900_000),
  [E.outcomeEventBusName]: z.string().default(''),
  [E.pacingMode]: z
    .enum(['adaptive', 'fixed'], { error: `${E.pacingMode} must be adaptive or fixed` })
    .default('adaptive'),
  [E.workerRoleId]: z.string().default(''),
  [E.maxMessageBytes]: integer(E.maxMessageBytes, DEFAULTS.maxMessageBytes, 1_024, 1_048_576),
  [E.requestTimeoutMs]: integer(E.requestTimeoutMs, DEFAULTS.requestTimeoutMs, 50, 60_000),
  [E.contactReadRatePerSecond]: z.coerce
    .number({ error: `${E.contactReadRatePerSecond} must be a number` })
    .positive(`${E.contactReadRatePerSecond} must be above 0`)
    .default(DEFAULTS.contactReadRatePerSecond),
  [E.tokenReplayWindowSeconds]: integer(
    E.tokenReplayWindowSeconds,
    DEFAULTS.tokenReplayWindowSeconds,
    0,
    86_400,
  ),
});

/**
 * Reads the worker's configuration from environment variables, reporting every problem at once.
 *
 * @example
 * const config = readWorkerConfig(process.env);
 * config.transferCap; // 11 unless TRANSFER_CAP says otherwise
 */
export function readWorkerConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new WorkerConfigError(
      `invalid worker environment: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
    );
  }
  const e = parsed.data;
  return {
    ledgerTableName: e[E.ledgerTableName],
    idempotencyTableName: e[E.idempotencyTableName],
    deadLetterQueueUrl: e[E.deadLetterQueueUrl],
    transferQueueUrl: e[E.transferQueueUrl],
    requeueLimit: e[E.requeueLimit],
    allowedInstanceIds: new Set(
      e[E.allowedInstanceIds]
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
    transferCap: e[E.transferCap],
    transferRatePerSecond: e[E.transferRatePerSecond],
    maxConcurrency: e[E.maxConcurrency],
    maxReceiveCount: e[E.maxReceiveCount],
    idempotencyTtlSeconds: e[E.idempotencyTtlSeconds],
    deadlineMarginMs: e[E.deadlineMarginMs],
    tokenReplayWindowSeconds: e[E.tokenReplayWindowSeconds],
    outcomeEventBusName: e[E.outcomeEventBusName] || undefined,
    pacingMode: e[E.pacingMode],
    workerRoleId: e[E.workerRoleId] || undefined,
    maxMessageBytes: e[E.maxMessageBytes],
    requestTimeoutMs: e[E.requestTimeoutMs],
    contactReadRatePerSecond: e[E.contactReadRatePerSecond],
  };
}

/**
 * The pause between two `TransferContact` calls of one worker, so that `maxConcurrency` workers together
 * stay at the configured rate.
 *
 * @example
 * pacingIntervalMs({ transferRatePerSecond: 2, maxConcurrency: 2 }); // 1000
 */
export function pacingIntervalMs(
  config: Pick<WorkerConfig, 'transferRatePerSecond' | 'maxConcurrency'>,
): number {
  return intervalMs(config.transferRatePerSecond, config.maxConcurrency);
}
