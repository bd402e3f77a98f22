import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { settingEntries } from '../src/contract/settings.js';
import type { TableBilling } from './enums.js';
import type { TransferOrchestratorProps, TransferRuleSweep } from './props.js';

/** The numeric settings the app reads from context, with their keys (the settings table's). */
const CONTEXT_SETTINGS = settingEntries().flatMap(([name, setting]) =>
  setting.context ? [{ name, setting, key: setting.context.key }] : [],
);

/** The `cdk -c key=value` context keys the app reads, each mapped to a construct prop. */
export const CONTEXT_KEYS = [
  'instanceIds',
  ...CONTEXT_SETTINGS.map(({ key }) => key),
  'outcomeEvents',
  'adaptivePacing',
  'activeTracing',
  'tableBilling',
  'systemLogLevel',
  'removalPolicy',
] as const;

/** Props the stack builds itself from other context keys (`kmsKeyArn`, `eventBusName`, `alarmTopicArn`). */
export type ContextProps = Omit<TransferOrchestratorProps, 'encryptionKey' | 'eventBus' | 'alarmTopic'>;

/**
 * A context value as a number (`undefined` when unset or empty), or an error naming the key.
 *
 * @example
 * contextNumber('sweepSettleSeconds', '60'); // 60
 */
export const contextNumber = (key: string, value: unknown): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed))
    throw new Error(`context ${key} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
};

/**
 * A context value as a flag (`true`/`false`, strings or JSON; `undefined` when unset or empty), or an error
 * naming the key.
 *
 * @example
 * contextFlag('sweep', 'false'); // false
 */
export const contextFlag = (key: string, value: unknown): boolean | undefined => {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
};

/**
 * Reads the orchestrator's props from CDK context (`-c key=value` or `cdk.json`). Values arrive as strings
 * from the command line and as JSON from `cdk.json`; both are accepted. Ranges are the construct's to check.
 *
 * @example
 * propsFromContext((key) => app.node.tryGetContext(key)); // { instanceIds: ['…'], transferCap: 11, … }
 */
export function propsFromContext(get: (key: string) => unknown): ContextProps {
  const rawIds = get('instanceIds');
  const instanceIds = (Array.isArray(rawIds) ? rawIds.map(String) : String(rawIds ?? '').split(','))
    .map((id) => id.trim())
    .filter(Boolean);
  // Each numeric setting from its key: a duration's key names its unit (seconds unless the table says).
  const numeric = Object.fromEntries(
    CONTEXT_SETTINGS.map(({ name, setting, key }) => {
      const value = contextNumber(key, get(key));
      const seconds = value === undefined ? undefined : value * (setting.context?.unitSeconds ?? 1);
      return [
        name,
        setting.kind === 'duration' && seconds !== undefined ? Duration.seconds(seconds) : seconds,
      ];
    }),
  );
  const billing = get('tableBilling');
  if (billing !== undefined && billing !== 'provisioned' && billing !== 'on-demand') {
    throw new Error(
      `context tableBilling must be 'provisioned' or 'on-demand', got ${JSON.stringify(billing)}`,
    );
  }
  const systemLogLevel = get('systemLogLevel');
  const systemLogLevels: readonly unknown[] = Object.values(lambda.SystemLogLevel);
  if (systemLogLevel !== undefined && !systemLogLevels.includes(systemLogLevel)) {
    throw new Error(
      `context systemLogLevel must be 'DEBUG', 'INFO' or 'WARN', got ${JSON.stringify(systemLogLevel)}`,
    );
  }
  const removal = get('removalPolicy');
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`context removalPolicy must be 'retain' or 'destroy', got ${JSON.stringify(removal)}`);
  }
  return {
    ...numeric,
    instanceIds,
    outcomeEvents: contextFlag('outcomeEvents', get('outcomeEvents')),
    adaptivePacing: contextFlag('adaptivePacing', get('adaptivePacing')),
    activeTracing: contextFlag('activeTracing', get('activeTracing')),
    tableBilling: billing as TableBilling | undefined,
    systemLogLevel: systemLogLevel as lambda.SystemLogLevel | undefined,
    removalPolicy:
      removal === 'destroy' ? RemovalPolicy.DESTROY : removal === 'retain' ? RemovalPolicy.RETAIN : undefined,
  };
}

/**
 * The context keys `examples/escalate-queued-tasks.ts` reads for its rule's sweep (docs/OPERATIONS.md, "The
 * example app's context keys"); the rule's own keys (`escalateFromQueueId`, …) are ids, taken as given.
 */
export const SWEEP_CONTEXT_KEYS = [
  'sweep',
  'sweepInstanceId',
  'sweepSettleSeconds',
  'sweepSearchRatePerSecond',
] as const;

/** A rule's sweep as context sets it: the instance and what `-c` tunes (the rest is the rule's to say). */
export type SweepContext = Pick<TransferRuleSweep, 'instanceId' | 'settle' | 'searchRatePerSecond'>;

/**
 * Reads a rule's sweep from context: none when `sweep` is `false` or no instance is known (`sweepInstanceId`,
 * else the first of `instanceIds`); an unset setting is the construct's default. A value that is not a flag,
 * a number or a settle time fails synth naming its key; ranges are the construct's to check.
 *
 * @example
 * sweepFromContext((key) => app.node.tryGetContext(key), ['i-1']); // { instanceId: 'i-1' }
 */
export function sweepFromContext(
  get: (key: string) => unknown,
  instanceIds: readonly string[],
): SweepContext | undefined {
  const enabled = contextFlag('sweep', get('sweep')) ?? true;
  const settleSeconds = contextNumber('sweepSettleSeconds', get('sweepSettleSeconds'));
  if (settleSeconds !== undefined && settleSeconds < 0)
    throw new Error(`context sweepSettleSeconds must be 0 or more, got ${settleSeconds}`);
  const searchRatePerSecond = contextNumber('sweepSearchRatePerSecond', get('sweepSearchRatePerSecond'));
  const given = get('sweepInstanceId');
  const instanceId = given === undefined || given === '' ? instanceIds[0] : String(given);
  if (!enabled || !instanceId) return undefined;
  return {
    instanceId,
    ...(settleSeconds !== undefined && { settle: Duration.seconds(settleSeconds) }),
    ...(searchRatePerSecond !== undefined && { searchRatePerSecond }),
  };
}
