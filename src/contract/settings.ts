import { CONNECT_TRANSFER_LIMIT, CONNECT_TRANSFER_QUOTA } from './connect.js';

/**
 * One numeric setting of the orchestrator: a construct prop, a context key, a worker environment variable,
 * or any of them. Everything a layer needs to know of it is here, so a setting has one home: the construct's
 * defaults and validation, the context keys, the function's environment and the worker's parsing are derived
 * from this table.
 */
export interface NumericSetting {
  /**
   * `count`: a plain number (`whole` or not); `duration`: a length of time, in seconds here and given to the
   * construct as a `Duration`.
   */
  readonly kind: 'count' | 'duration';
  /** The default, in seconds for a duration. */
  readonly default: number;
  /** The least value allowed (inclusive), in seconds for a duration. */
  readonly min: number;
  /** Whether `min` itself is refused (a rate must be above 0). @default false */
  readonly minExclusive?: boolean;
  /** The greatest value allowed (inclusive), in seconds for a duration. */
  readonly max: number;
  /** Only whole numbers (counts). @default false */
  readonly whole?: boolean;
  /** What the value counts, for messages (`MB`, `per second`). */
  readonly unit?: string;
  /** Why the range is what it is, quoted in a violation (`Connect refuses a 12th transfer`). */
  readonly why?: string;
  /** Whether it is a construct prop (of the same name). @default false */
  readonly prop?: boolean;
  /** The `cdk -c` key, when the app reads one; a duration's key names its unit (`…Seconds`, `…Hours`). */
  readonly context?: { readonly key: string; readonly unitSeconds?: number };
  /**
   * The worker's environment variable, when the worker reads the setting. `prop`: the construct writes the
   * prop's value; `default`: it writes the default (no prop); `worker`: the construct writes nothing and the
   * worker takes the default (tests and the local runner set it).
   */
  readonly env?: { readonly name: string; readonly written: 'prop' | 'default' | 'worker' };
}

/**
 * The orchestrator's numeric settings, by name: a construct prop's name where it has one. Ranges are the
 * narrowest any layer needs (the SQS event source's `maxConcurrency` starts at 2, so the worker's does too).
 */
export const SETTINGS = {
  transferCap: {
    prop: true,
    kind: 'count',
    default: CONNECT_TRANSFER_LIMIT,
    min: 1,
    max: CONNECT_TRANSFER_LIMIT,
    whole: true,
    why: 'Connect refuses a 12th transfer',
    context: { key: 'transferCap' },
    env: { name: 'TRANSFER_CAP', written: 'prop' },
  },
  transferRatePerSecond: {
    prop: true,
    kind: 'count',
    default: CONNECT_TRANSFER_QUOTA.ratePerSecond,
    min: 0,
    minExclusive: true,
    max: Number.POSITIVE_INFINITY,
    unit: 'per second',
    why: 'the default quota is 2',
    context: { key: 'transferRatePerSecond' },
    env: { name: 'TRANSFER_RATE_PER_SECOND', written: 'prop' },
  },
  contactReadRatePerSecond: {
    prop: true,
    kind: 'count',
    default: 2,
    min: 0,
    minExclusive: true,
    max: Number.POSITIVE_INFINITY,
    unit: 'per second',
    why: "the reads' default quota is 2",
    context: { key: 'contactReadRatePerSecond' },
    env: { name: 'CONTACT_READ_RATE_PER_SECOND', written: 'prop' },
  },
  attributesRatePerSecond: {
    prop: true,
    kind: 'count',
    default: 2,
    min: 0,
    minExclusive: true,
    max: Number.POSITIVE_INFINITY,
    unit: 'per second',
    why: "UpdateContactAttributes' default quota is 2",
    context: { key: 'attributesRatePerSecond' },
    env: { name: 'ATTRIBUTES_RATE_PER_SECOND', written: 'prop' },
  },
  maxConcurrency: {
    prop: true,
    kind: 'count',
    default: 2,
    min: 2,
    max: 1000,
    whole: true,
    why: "an SQS event source's range",
    context: { key: 'maxConcurrency' },
    env: { name: 'MAX_CONCURRENCY', written: 'prop' },
  },
  batchSize: {
    prop: true,
    kind: 'count',
    default: 10,
    min: 1,
    max: 10,
    whole: true,
    context: { key: 'batchSize' },
  },
  maxBatchingWindow: {
    prop: true,
    kind: 'duration',
    default: 1,
    min: 0,
    max: 300,
    context: { key: 'maxBatchingWindowSeconds' },
  },
  maxReceiveCount: {
    prop: true,
    kind: 'count',
    default: 5,
    min: 1,
    max: 1000,
    whole: true,
    context: { key: 'maxReceiveCount' },
    env: { name: 'MAX_RECEIVE_COUNT', written: 'prop' },
  },
  functionTimeout: {
    prop: true,
    kind: 'duration',
    default: 60,
    min: 1,
    max: 900,
    context: { key: 'functionTimeoutSeconds' },
  },
  visibilityTimeout: {
    prop: true,
    kind: 'duration',
    // Unset, it is `VISIBILITY_TIMEOUT_FACTOR` times the function timeout (the construct derives it).
    default: 6 * 60,
    min: 0,
    max: 43_200,
  },
  idempotencyTtl: {
    prop: true,
    kind: 'duration',
    default: 86_400,
    min: 60,
    max: 30 * 86_400,
    context: { key: 'idempotencyTtlHours', unitSeconds: 3_600 },
    env: { name: 'IDEMPOTENCY_TTL_SECONDS', written: 'prop' },
  },
  tokenReplayWindow: {
    prop: true,
    kind: 'duration',
    default: 3_600,
    min: 0,
    max: 86_400,
    why: "Connect's token memory is undocumented",
    context: { key: 'tokenReplayWindowSeconds' },
    env: { name: 'TOKEN_REPLAY_WINDOW_SECONDS', written: 'prop' },
  },
  workerMemorySize: {
    prop: true,
    kind: 'count',
    default: 256,
    min: 128,
    max: 10_240,
    whole: true,
    unit: 'MB',
    why: "Lambda's range",
    context: { key: 'workerMemorySize' },
  },
  backlogAgeAlarmThreshold: {
    prop: true,
    kind: 'duration',
    default: 15 * 60,
    min: 0,
    max: Number.POSITIVE_INFINITY,
  },
  requeueLimit: {
    kind: 'count',
    default: 10,
    min: 0,
    max: 1000,
    whole: true,
    env: { name: 'REQUEUE_LIMIT', written: 'worker' },
  },
  deadlineMarginMs: {
    kind: 'count',
    default: 5_000,
    min: 0,
    max: 900_000,
    whole: true,
    unit: 'ms',
    env: { name: 'DEADLINE_MARGIN_MS', written: 'default' },
  },
  maxMessageBytes: {
    kind: 'count',
    default: 262_144,
    min: 1_024,
    max: 1_048_576,
    whole: true,
    unit: 'bytes',
    env: { name: 'MAX_MESSAGE_BYTES', written: 'default' },
  },
  requestTimeoutMs: {
    kind: 'count',
    default: 4_000,
    min: 50,
    max: 60_000,
    whole: true,
    unit: 'ms',
    env: { name: 'REQUEST_TIMEOUT_MS', written: 'worker' },
  },
} as const satisfies Record<string, NumericSetting>;

/** The name of one numeric setting. */
export type SettingName = keyof typeof SETTINGS;

/** The settings the worker reads from its environment. */
export type WorkerSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { env: object } ? K : never;
}[SettingName];

/** The settings that are construct props. */
export type PropSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { prop: true } ? K : never;
}[SettingName];

/** Every setting's entry, typed loosely, for code that walks the table. */
export const settingEntries = (): [SettingName, NumericSetting][] =>
  Object.entries(SETTINGS) as [SettingName, NumericSetting][];

/** The names of the settings the worker reads from its environment. */
export const WORKER_SETTINGS = settingEntries()
  .filter(([, setting]) => setting.env !== undefined)
  .map(([name]) => name) as WorkerSettingName[];

/** A duration in words, as the props' messages give it (`90 seconds`, `5 minutes`, `30 days`). */
export function durationInWords(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/**
 * Why a value breaks a setting's range, in the words of a construct prop or an environment variable (`name`),
 * or `undefined` when the value is within it. A duration's value is in seconds.
 *
 * @example
 * rangeViolation('transferCap', SETTINGS.transferCap, 12);
 * // 'transferCap must be a whole number from 1 to 11 (Connect refuses a 12th transfer), got 12'
 */
export function rangeViolation(name: string, setting: NumericSetting, value: number): string | undefined {
  const aboveMin = setting.minExclusive ? value > setting.min : value >= setting.min;
  const whole = !setting.whole || Number.isInteger(value);
  if (Number.isFinite(value) && aboveMin && value <= setting.max && whole) return undefined;
  const why = setting.why ? ` (${setting.why})` : '';
  if (setting.kind === 'duration') {
    const range =
      setting.min > 0
        ? `from ${durationInWords(setting.min)} to ${durationInWords(setting.max)}`
        : `at most ${durationInWords(setting.max)}`;
    return `${name} must be ${range}${why}, got ${durationInWords(value)}`;
  }
  const unit = setting.unit && setting.unit !== 'per second' ? ` of ${setting.unit}` : '';
  const range =
    setting.max === Number.POSITIVE_INFINITY
      ? `${setting.minExclusive ? 'above' : 'at least'} ${setting.min}`
      : `${setting.whole ? 'a whole number' : 'a number'}${unit} from ${setting.min} to ${setting.max}`;
  return `${name} must be ${range}${why}, got ${value}`;
}
