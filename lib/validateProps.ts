import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  CONNECT_TRANSFER_LIMIT,
  DEFAULTS,
  minimumFunctionTimeoutSeconds,
  type TableBilling,
} from '../src/contract/index.js';
import type { TransferOrchestratorProps } from './props.js';

/** The props with every default applied: what the construct wires. */
export interface Settings {
  readonly instanceIds: readonly string[];
  readonly transferCap: number;
  readonly transferRatePerSecond: number;
  readonly contactReadRatePerSecond: number;
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxReceiveCount: number;
  readonly functionTimeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly idempotencyTtl: Duration;
  readonly tokenReplayWindow: Duration;
  readonly workerMemorySize: number;
  readonly tableBilling: TableBilling;
  readonly backlogAgeAlarmThreshold: Duration;
}

/**
 * The props are invalid: every violation found, each naming the prop, the value received and the fix.
 * Thrown from the constructor, with the construct's path, like aws-cdk's own validation errors.
 */
export class TransferOrchestratorPropsError extends Error {
  /** One line per violated rule. */
  readonly violations: readonly string[];
  /** The path of the construct whose props are invalid. */
  readonly constructPath: string;

  constructor(scope: IConstruct, violations: readonly string[]) {
    super(
      `TransferOrchestrator at ${scope.node.path}: ${violations.length} invalid prop(s):\n- ${violations.join('\n- ')}`,
    );
    this.name = 'TransferOrchestratorPropsError';
    this.violations = violations;
    this.constructPath = scope.node.path;
  }
}

const INSTANCE_ID = /^[A-Za-z0-9-]{1,100}$/;

/** A number known at synth time; a token (a CloudFormation parameter, say) is not checked here. */
const known = (value: number): value is number => !Token.isUnresolved(value);
/** A duration's seconds when known at synth time. */
const secondsOf = (duration: Duration): number | undefined =>
  duration.isUnresolved() ? undefined : duration.toSeconds();
const wholeIn = (value: number, min: number, max: number) =>
  !known(value) || (Number.isInteger(value) && value >= min && value <= max);

/** One rule: the message of its violation, or `undefined` when it holds (or cannot be checked yet). */
type Rule = (settings: Settings) => string | undefined;

/** Every rule the props must satisfy; all are checked, so one error lists everything to fix. */
const RULES: readonly Rule[] = [
  ({ instanceIds }) => {
    const bad = instanceIds.filter((id) => !Token.isUnresolved(id) && !INSTANCE_ID.test(id));
    return bad.length === 0
      ? undefined
      : `instanceIds must be Amazon Connect instance ids (not ARNs), got ${bad.map((id) => JSON.stringify(id)).join(', ')}`;
  },
  ({ transferCap }) =>
    wholeIn(transferCap, 1, CONNECT_TRANSFER_LIMIT)
      ? undefined
      : `transferCap must be a whole number from 1 to ${CONNECT_TRANSFER_LIMIT} (Connect refuses a 12th transfer), got ${transferCap}`,
  ({ transferRatePerSecond: rate }) =>
    !known(rate) || rate > 0
      ? undefined
      : `transferRatePerSecond must be above 0 (the default quota is 2), got ${rate}`,
  ({ contactReadRatePerSecond: rate }) =>
    !known(rate) || rate > 0
      ? undefined
      : `contactReadRatePerSecond must be above 0 (the reads' default quota is 2), got ${rate}`,
  ({ maxConcurrency }) =>
    wholeIn(maxConcurrency, 2, 1000)
      ? undefined
      : `maxConcurrency must be a whole number from 2 to 1000 (an SQS event source's range), got ${maxConcurrency}`,
  ({ batchSize }) =>
    wholeIn(batchSize, 1, 10) ? undefined : `batchSize must be a whole number from 1 to 10, got ${batchSize}`,
  ({ maxBatchingWindow }) =>
    (secondsOf(maxBatchingWindow) ?? 0) <= 300
      ? undefined
      : `maxBatchingWindow must be at most 5 minutes, got ${maxBatchingWindow.toHumanString()}`,
  ({ maxReceiveCount }) =>
    wholeIn(maxReceiveCount, 1, 1000)
      ? undefined
      : `maxReceiveCount must be a whole number from 1 to 1000, got ${maxReceiveCount}`,
  ({ functionTimeout }) =>
    (secondsOf(functionTimeout) ?? 0) <= 900
      ? undefined
      : `functionTimeout must be at most 15 minutes, got ${functionTimeout.toHumanString()}`,
  (settings) => {
    // Each worker makes one call per (maxConcurrency / rate) seconds: a whole batch must fit in one invocation.
    const { batchSize, maxConcurrency, transferRatePerSecond: rate, functionTimeout } = settings;
    const timeout = secondsOf(functionTimeout);
    if (![batchSize, maxConcurrency, rate].every(known) || timeout === undefined || !(rate > 0)) return;
    const needed = minimumFunctionTimeoutSeconds(settings);
    return needed <= timeout
      ? undefined
      : `a batch of ${batchSize} at ${rate}/s shared by ${maxConcurrency} workers needs ${Math.ceil(needed)} s, ` +
          `more than functionTimeout (${timeout} s): raise functionTimeout, or lower batchSize or maxConcurrency`;
  },
  ({ functionTimeout, visibilityTimeout }) => {
    const timeout = secondsOf(functionTimeout);
    const visibility = secondsOf(visibilityTimeout);
    if (timeout === undefined || visibility === undefined) return;
    const minimum = timeout * DEFAULTS.visibilityTimeoutFactor;
    return visibility >= minimum
      ? undefined
      : `visibilityTimeout must be at least ${DEFAULTS.visibilityTimeoutFactor} times functionTimeout (${minimum} s), got ${visibility} s: raise it or leave it unset`;
  },
  ({ visibilityTimeout }) =>
    (secondsOf(visibilityTimeout) ?? 0) <= 43_200
      ? undefined
      : `visibilityTimeout must be at most 12 hours, got ${secondsOf(visibilityTimeout)} s: lower functionTimeout`,
  ({ idempotencyTtl }) => {
    const ttl = secondsOf(idempotencyTtl);
    return ttl === undefined || (ttl >= 60 && ttl <= 30 * 86_400)
      ? undefined
      : `idempotencyTtl must be from 1 minute to 30 days, got ${idempotencyTtl.toHumanString()}`;
  },
  ({ tokenReplayWindow }) =>
    (secondsOf(tokenReplayWindow) ?? 0) <= 86_400
      ? undefined
      : `tokenReplayWindow must be at most 1 day (Connect's token memory is undocumented), got ${tokenReplayWindow.toHumanString()}`,
  ({ tableBilling }) =>
    tableBilling === 'provisioned' || tableBilling === 'on-demand'
      ? undefined
      : `tableBilling must be 'provisioned' or 'on-demand', got ${JSON.stringify(tableBilling)}`,
  ({ tableBilling, transferRatePerSecond }) =>
    tableBilling !== 'provisioned' || known(transferRatePerSecond)
      ? undefined
      : `tableBilling 'provisioned' sizes capacity to transferRatePerSecond, which is a token here: give a number or use tableBilling 'on-demand'`,
  ({ workerMemorySize }) =>
    wholeIn(workerMemorySize, 128, 10_240)
      ? undefined
      : `workerMemorySize must be a whole number of MB from 128 to 10240 (Lambda's range), got ${workerMemorySize}`,
];

/** The props with the defaults of `DEFAULTS` applied. */
export function withDefaults(props: TransferOrchestratorProps): Settings {
  const functionTimeout = props.functionTimeout ?? Duration.seconds(DEFAULTS.functionTimeoutSeconds);
  return {
    instanceIds: [...new Set(props.instanceIds)],
    transferCap: props.transferCap ?? DEFAULTS.transferCap,
    transferRatePerSecond: props.transferRatePerSecond ?? DEFAULTS.transferRatePerSecond,
    contactReadRatePerSecond: props.contactReadRatePerSecond ?? DEFAULTS.contactReadRatePerSecond,
    maxConcurrency: props.maxConcurrency ?? DEFAULTS.maxConcurrency,
    batchSize: props.batchSize ?? DEFAULTS.batchSize,
    maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(DEFAULTS.maxBatchingWindowSeconds),
    maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
    functionTimeout,
    visibilityTimeout:
      props.visibilityTimeout ??
      (functionTimeout.isUnresolved()
        ? functionTimeout
        : Duration.seconds(functionTimeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor)),
    idempotencyTtl: props.idempotencyTtl ?? Duration.seconds(DEFAULTS.idempotencyTtlSeconds),
    tokenReplayWindow: props.tokenReplayWindow ?? Duration.seconds(DEFAULTS.tokenReplayWindowSeconds),
    workerMemorySize: props.workerMemorySize ?? DEFAULTS.workerMemorySize,
    tableBilling: props.tableBilling ?? DEFAULTS.tableBilling,
    backlogAgeAlarmThreshold:
      props.backlogAgeAlarmThreshold ?? Duration.minutes(DEFAULTS.backlogAgeAlarmMinutes),
  };
}

/**
 * Applies the defaults and checks every rule, throwing one {@link TransferOrchestratorPropsError} that lists
 * every violation. Values that are tokens (unresolved until deploy) are skipped, as aws-cdk does.
 *
 * @example
 * const settings = validateProps(this, props); // throws listing e.g. both a bad transferCap and batchSize
 */
export function validateProps(scope: IConstruct, props: TransferOrchestratorProps): Settings {
  const settings = withDefaults(props);
  const violations = RULES.map((rule) => rule(settings)).filter((v): v is string => v !== undefined);
  if (props.visibilityTimeout === undefined && settings.functionTimeout.isUnresolved()) {
    violations.push(
      `visibilityTimeout must be given when functionTimeout is a token (it defaults to ${DEFAULTS.visibilityTimeoutFactor} times functionTimeout)`,
    );
  }
  if (violations.length > 0) throw new TransferOrchestratorPropsError(scope, violations);
  return settings;
}
