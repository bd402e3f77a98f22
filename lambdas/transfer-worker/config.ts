import { z } from 'zod';

/** Connect refuses a contact's 12th transfer: the cap can be configured lower, never higher. */
export const CONNECT_TRANSFER_LIMIT = 11;

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

const EnvironmentSchema = z.object({
  LEDGER_TABLE_NAME: required('LEDGER_TABLE_NAME'),
  IDEMPOTENCY_TABLE_NAME: required('IDEMPOTENCY_TABLE_NAME'),
  DEAD_LETTER_QUEUE_URL: required('DEAD_LETTER_QUEUE_URL'),
  TRANSFER_QUEUE_URL: required('TRANSFER_QUEUE_URL'),
  REQUEUE_LIMIT: integer('REQUEUE_LIMIT', 10, 0, 1000),
  ALLOWED_INSTANCE_IDS: z.string().default(''),
  TRANSFER_CAP: integer('TRANSFER_CAP', CONNECT_TRANSFER_LIMIT, 1, CONNECT_TRANSFER_LIMIT),
  TRANSFER_RATE_PER_SECOND: z.coerce
    .number({ error: 'TRANSFER_RATE_PER_SECOND must be a number' })
    .positive('TRANSFER_RATE_PER_SECOND must be above 0')
    .default(2),
  MAX_CONCURRENCY: integer('MAX_CONCURRENCY', 2, 1, 1000),
  MAX_RECEIVE_COUNT: integer('MAX_RECEIVE_COUNT', 5, 1, 1000),
  IDEMPOTENCY_TTL_SECONDS: integer('IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400),
  DEADLINE_MARGIN_MS: integer('DEADLINE_MARGIN_MS', 5_000, 0, 900_000),
  TOKEN_REPLAY_WINDOW_SECONDS: integer('TOKEN_REPLAY_WINDOW_SECONDS', 3_600, 0, 86_400),
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
    ledgerTableName: e.LEDGER_TABLE_NAME,
    idempotencyTableName: e.IDEMPOTENCY_TABLE_NAME,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    transferQueueUrl: e.TRANSFER_QUEUE_URL,
    requeueLimit: e.REQUEUE_LIMIT,
    allowedInstanceIds: new Set(
      e.ALLOWED_INSTANCE_IDS.split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
    transferCap: e.TRANSFER_CAP,
    transferRatePerSecond: e.TRANSFER_RATE_PER_SECOND,
    maxConcurrency: e.MAX_CONCURRENCY,
    maxReceiveCount: e.MAX_RECEIVE_COUNT,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    deadlineMarginMs: e.DEADLINE_MARGIN_MS,
    tokenReplayWindowSeconds: e.TOKEN_REPLAY_WINDOW_SECONDS,
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
  return (1000 * config.maxConcurrency) / config.transferRatePerSecond;
}
