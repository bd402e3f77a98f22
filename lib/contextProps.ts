import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { settingEntries } from '../src/contract/settings.js';
import type { TableBilling } from './enums.js';
import type { TransferOrchestratorProps } from './props.js';

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

const number = (key: string, value: unknown): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed))
    throw new Error(`context ${key} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
};

const flag = (key: string, value: unknown): boolean | undefined => {
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
      const value = number(key, get(key));
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
    outcomeEvents: flag('outcomeEvents', get('outcomeEvents')),
    adaptivePacing: flag('adaptivePacing', get('adaptivePacing')),
    activeTracing: flag('activeTracing', get('activeTracing')),
    tableBilling: billing as TableBilling | undefined,
    systemLogLevel: systemLogLevel as lambda.SystemLogLevel | undefined,
    removalPolicy:
      removal === 'destroy' ? RemovalPolicy.DESTROY : removal === 'retain' ? RemovalPolicy.RETAIN : undefined,
  };
}
