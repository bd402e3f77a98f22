import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../src/contract/defaults.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../src/contract/metrics.js';
import { settingEntries } from '../src/contract/settings.js';
import { WorkerEnv } from '../src/contract/workerEnvironment.js';
import type { TransferOrchestratorProps } from './props.js';
import type { Settings } from './validateProps.js';
import { WORKER_HANDLER, workerCode } from './workerCode.js';

/** What the worker function is wired to. */
export interface WorkerWiring {
  readonly settings: Settings;
  readonly props: TransferOrchestratorProps;
  readonly ledgerTable: dynamodb.ITable;
  readonly idempotencyTable: dynamodb.ITable;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The bus its outcome events go to; none: outcome events off. */
  readonly outcomeBus: events.IEventBus | undefined;
}

/**
 * The numeric settings the worker reads, as the settings table says the construct writes them: a prop's
 * value (durations in seconds), or the default of a setting that is not a prop.
 */
function settingsEnvironment(settings: Settings): Record<string, string> {
  const values = settings as unknown as Record<string, number | Duration>;
  return Object.fromEntries(
    settingEntries().flatMap(([name, setting]) => {
      if (setting.env?.written === 'default') return [[setting.env.name, String(setting.default)]];
      if (setting.env?.written !== 'prop') return [];
      const value = values[name] as number | Duration;
      return [[setting.env.name, String(typeof value === 'number' ? value : value.toSeconds())]];
    }),
  );
}

/**
 * The worker function (Arm, Node.js 24), its log group and its environment: every setting under the name
 * `WorkerEnv` gives it, which the worker's configuration reads.
 */
export function createWorkerFunction(scope: Construct, wiring: WorkerWiring): lambda.Function {
  const { settings, props, outcomeBus } = wiring;
  const env = WorkerEnv;
  const worker = new lambda.Function(scope, 'Worker', {
    code: workerCode(),
    handler: WORKER_HANDLER,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    // X-Ray: the invocation's segment and a subsegment per SDK call (Powertools Tracer); each record's
    // calls carry its producer's trace either way (docs/DESIGN.md, "Tracing").
    tracing: props.activeTracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
    memorySize: settings.workerMemorySize,
    timeout: settings.functionTimeout,
    description: 'Transfers Amazon Connect contacts: capped, idempotent, failures to the DLQ',
    // JSON, so that Lambda filters its own lines by level: every invocation's START, END and REPORT lines
    // are billed log bytes, and there are as many invocations as every second transfer.
    loggingFormat: lambda.LoggingFormat.JSON,
    systemLogLevelV2: props.systemLogLevel ?? lambda.SystemLogLevel[DEFAULTS.systemLogLevel],
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    logGroup: new logs.LogGroup(scope, 'WorkerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Encrypted at rest by CloudWatch Logs; a customer key would need the logs service in its key
      // policy, which an imported key (kmsKeyArn) cannot be given from here.
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    environment: {
      [env.ledgerTableName]: wiring.ledgerTable.tableName,
      [env.idempotencyTableName]: wiring.idempotencyTable.tableName,
      [env.deadLetterQueueUrl]: wiring.deadLetterQueue.queueUrl,
      [env.transferQueueUrl]: wiring.queue.queueUrl,
      [env.allowedInstanceIds]: settings.instanceIds.join(','),
      // The worker loads Powertools Tracer (and the X-Ray SDK's hooks) only when tracing is active.
      [env.traceEnabled]: String(props.activeTracing !== false),
      ...settingsEnvironment(settings),
      ...(outcomeBus && { [env.outcomeEventBusName]: outcomeBus.eventBusName }),
      [env.pacingMode]: props.adaptivePacing === false ? 'fixed' : 'adaptive',
      AWS_MAX_ATTEMPTS: '3',
      [env.serviceName]: SERVICE_NAME,
      [env.metricsNamespace]: METRICS_NAMESPACE,
      [env.logLevel]: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    },
  });
  // SQS stamps what the worker sends with its role's id (SenderId): the worker believes only its own copies.
  const role = worker.role as iam.Role;
  worker.addEnvironment(env.workerRoleId, role.roleId);
  return worker;
}
