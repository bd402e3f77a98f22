import { z } from 'zod';
import {
  type NumericSetting,
  rangeViolation,
  SETTINGS,
  settingEntries,
  WORKER_SETTINGS,
  WorkerEnv,
  type WorkerSettingName,
} from '../../src/contract/index.js';
import { intervalMs } from '../../src/domain/index.js';

/**
 * The worker's numeric settings, by their names in the settings table (`SETTINGS`, which documents each);
 * durations in seconds.
 */
export type WorkerSettings = { readonly [K in WorkerSettingName]: number };

/** The worker's configuration, read once per cold start from its environment. */
export interface WorkerConfig extends WorkerSettings {
  /** DynamoDB table keeping contact chains (`chain#…`) and contact aliases (`contact#…`). */
  readonly ledgerTableName: string;
  /** DynamoDB table of the Powertools idempotency records (partition key `id`). */
  readonly idempotencyTableName: string;
  /** Where permanent failures and exhausted retries go, with their reason. */
  readonly deadLetterQueueUrl: string;
  /** The transfer queue itself: where a request throttled on its last allowed delivery is sent back. */
  readonly transferQueueUrl: string;
  /** Instance ids the worker may touch; any other is an invalid request. Empty: none. */
  readonly allowedInstanceIds: ReadonlySet<string>;
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
}

/** The worker's environment is unusable; the message lists every problem found. */
export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

const required = (name: string) => z.string({ error: `${name} is required` }).min(1, `${name} is required`);

/** A numeric setting read from its variable: a number within the setting's range, or its default. */
const numberOf = (name: string, setting: NumericSetting) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .superRefine((value, context) => {
      const violation = rangeViolation(name, { ...setting, kind: 'count' }, value);
      if (violation) context.addIssue({ code: 'custom', message: violation });
    })
    .default(setting.default);

const E = WorkerEnv;
const SettingsSchema = z.object(
  Object.fromEntries(
    settingEntries().flatMap(([, setting]) =>
      setting.env ? [[setting.env.name, numberOf(setting.env.name, setting)]] : [],
    ),
  ),
);
const EnvironmentSchema = SettingsSchema.extend({
  [E.ledgerTableName]: required(E.ledgerTableName),
  [E.idempotencyTableName]: required(E.idempotencyTableName),
  [E.deadLetterQueueUrl]: required(E.deadLetterQueueUrl),
  [E.transferQueueUrl]: required(E.transferQueueUrl),
  [E.allowedInstanceIds]: z.string().default(''),
  [E.outcomeEventBusName]: z.string().default(''),
  [E.pacingMode]: z
    .enum(['adaptive', 'fixed'], { error: `${E.pacingMode} must be adaptive or fixed` })
    .default('adaptive'),
  [E.workerRoleId]: z.string().default(''),
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
  const e = parsed.data as Record<string, unknown>;
  const settings = Object.fromEntries(
    WORKER_SETTINGS.map((name) => [name, e[SETTINGS[name].env.name] as number]),
  ) as WorkerSettings;
  return {
    ...settings,
    ledgerTableName: String(e[E.ledgerTableName]),
    idempotencyTableName: String(e[E.idempotencyTableName]),
    deadLetterQueueUrl: String(e[E.deadLetterQueueUrl]),
    transferQueueUrl: String(e[E.transferQueueUrl]),
    allowedInstanceIds: new Set(
      String(e[E.allowedInstanceIds])
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
    outcomeEventBusName: String(e[E.outcomeEventBusName]) || undefined,
    pacingMode: e[E.pacingMode] as WorkerConfig['pacingMode'],
    workerRoleId: String(e[E.workerRoleId]) || undefined,
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
