import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { TransferOrchestratorProps } from './props.js';

/** The `cdk -c key=value` context keys the app reads, each mapped to a construct prop. */
export const CONTEXT_KEYS = [
  'instanceIds',
  'transferCap',
  'transferRatePerSecond',
  'contactReadRatePerSecond',
  'maxConcurrency',
  'batchSize',
  'maxBatchingWindowSeconds',
  'maxReceiveCount',
  'functionTimeoutSeconds',
  'idempotencyTtlHours',
  'tokenReplayWindowSeconds',
  'outcomeEvents',
  'adaptivePacing',
  'workerMemorySize',
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
  const seconds = (key: string) => {
    const value = number(key, get(key));
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const hours = number('idempotencyTtlHours', get('idempotencyTtlHours'));
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
    instanceIds,
    transferCap: number('transferCap', get('transferCap')),
    transferRatePerSecond: number('transferRatePerSecond', get('transferRatePerSecond')),
    contactReadRatePerSecond: number('contactReadRatePerSecond', get('contactReadRatePerSecond')),
    maxConcurrency: number('maxConcurrency', get('maxConcurrency')),
    batchSize: number('batchSize', get('batchSize')),
    maxBatchingWindow: seconds('maxBatchingWindowSeconds'),
    maxReceiveCount: number('maxReceiveCount', get('maxReceiveCount')),
    functionTimeout: seconds('functionTimeoutSeconds'),
    idempotencyTtl: hours === undefined ? undefined : Duration.hours(hours),
    tokenReplayWindow: seconds('tokenReplayWindowSeconds'),
    outcomeEvents: flag('outcomeEvents', get('outcomeEvents')),
    adaptivePacing: flag('adaptivePacing', get('adaptivePacing')),
    workerMemorySize: number('workerMemorySize', get('workerMemorySize')),
    tableBilling: billing,
    systemLogLevel: systemLogLevel as lambda.SystemLogLevel | undefined,
    removalPolicy:
      removal === 'destroy' ? RemovalPolicy.DESTROY : removal === 'retain' ? RemovalPolicy.RETAIN : undefined,
  };
}
