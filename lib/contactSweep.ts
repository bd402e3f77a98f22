import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../src/contract/metrics.js';
import {
  SEARCH_CONTACTS_MAX_RANGE_SECONDS,
  SWEEP_HANDLER,
  SWEEP_SERVICE_NAME,
  SWEEP_TIMESTAMPS,
  SweepEnv,
  type SweepInput,
} from '../src/contract/sweep.js';
import { SweepTimestamp } from './enums.js';
import { addSweepFailureAlarm } from './monitoring.js';
import { acknowledgeFunctionFindings } from './nagAcknowledgements.js';
import type { TransferRuleOptions, TransferRuleSweep } from './props.js';
import { hasAttributes } from './transferRule.js';
import { workerCode } from './workerCode.js';

/** The sweep's defaults: a timestamp, a window, a schedule, a settle time, a SearchContacts rate. */
export const SWEEP_DEFAULTS = {
  timestamp: SweepTimestamp.INITIATION,
  window: Duration.hours(1),
  schedule: Duration.minutes(5),
  settle: Duration.minutes(1),
  searchRatePerSecond: 0.5,
} as const;

/** The longest a run may take: Lambda's limit. */
const MAX_RUN_SECONDS = 900;

/** What the sweep is wired to: the orchestrator's queue, ledger, event DLQ and worker (whose settings it takes). */
export interface SweepWiring {
  readonly queue: sqs.IQueue;
  readonly ledgerTable: dynamodb.ITable;
  readonly eventDeadLetterQueue: sqs.IQueue;
  readonly worker: lambda.IFunction;
}

const seconds = (duration: Duration): number | undefined =>
  Token.isUnresolved(duration.toSeconds()) ? undefined : duration.toSeconds();

/**
 * The problems of a rule's sweep settings, each naming the fix; empty when they are valid. A window wider
 * than SearchContacts allows is refused by Connect; one narrower than schedule + settle leaves contacts no
 * run ever looks at.
 */
export function sweepProblems(id: string, sweep: TransferRuleSweep): string[] {
  const problems: string[] = [];
  const at = `addTransferRule('${id}') sweep`;
  const window = seconds(sweep.window ?? SWEEP_DEFAULTS.window) ?? 0;
  const schedule = seconds(sweep.schedule ?? SWEEP_DEFAULTS.schedule) ?? 0;
  const settle = seconds(sweep.settle ?? SWEEP_DEFAULTS.settle) ?? 0;
  const rate = sweep.searchRatePerSecond ?? SWEEP_DEFAULTS.searchRatePerSecond;
  if (!sweep.instanceId) problems.push(`${at} needs instanceId, got ${JSON.stringify(sweep.instanceId)}`);
  // JavaScript callers can pass any string: SearchContacts would refuse it on every run.
  const timestamp: string = sweep.timestamp ?? SWEEP_DEFAULTS.timestamp;
  if (!(SWEEP_TIMESTAMPS as readonly string[]).includes(timestamp))
    problems.push(
      `${at}.timestamp must be SweepTimestamp.INITIATION or SweepTimestamp.ENQUEUE, got ${JSON.stringify(timestamp)}`,
    );
  if (window > SEARCH_CONTACTS_MAX_RANGE_SECONDS)
    problems.push(`${at}.window must be at most 8 weeks (SearchContacts' widest range), got ${window} s`);
  if (schedule < 60) problems.push(`${at}.schedule must be at least 1 minute, got ${schedule} s`);
  // A rate() schedule is whole minutes, and so are the periods of the alarm on failed runs.
  else if (schedule % 60 !== 0)
    problems.push(`${at}.schedule must be a whole number of minutes, got ${schedule} s`);
  if (window < schedule + settle)
    problems.push(
      `${at}.window must be at least schedule + settle (${schedule + settle} s), or contacts fall between runs; got ${window} s`,
    );
  if (!(rate > 0 && rate <= 2))
    problems.push(
      `${at}.searchRatePerSecond must be above 0 and at most 2 (the account's default quota), got ${rate}`,
    );
  for (const [name, list] of [
    ['channels', sweep.channels],
    ['queueIds', sweep.queueIds],
    ['initiationMethods', sweep.initiationMethods],
  ] as const) {
    if (list !== undefined && list.length === 0)
      problems.push(`${at}.${name} must not be empty: leave it out to match any`);
  }
  // TransferContact moves tasks and emails only: a sweep finding calls or chats would fill the DLQ.
  const others = (sweep.channels ?? []).filter((channel) => channel !== 'TASK' && channel !== 'EMAIL');
  if (others.length > 0)
    problems.push(
      `${at}.channels may name TASK and EMAIL only (what TransferContact moves), got ${others.join(', ')}`,
    );
  return problems;
}

/** What the schedule passes each run: the rule's settings, resolved. */
export function sweepInput(id: string, options: TransferRuleOptions, sweep: TransferRuleSweep): SweepInput {
  const { destination } = options;
  return {
    ruleId: id,
    instanceId: sweep.instanceId,
    destination: {
      ContactFlowId: destination.contactFlowId,
      ...(destination.queueId ? { QueueId: destination.queueId } : { UserId: destination.userId }),
      // The same request as the rule's events make (attributes are part of what a token asks).
      ...(hasAttributes(destination) && { Attributes: { ...destination.attributes } }),
    },
    criteria: {
      // Only what TransferContact moves, whatever the rule's pattern says.
      Channels: sweep.channels ?? ['TASK', 'EMAIL'],
      ...(sweep.queueIds && { QueueIds: sweep.queueIds }),
      ...(sweep.initiationMethods && { InitiationMethods: sweep.initiationMethods }),
    },
    includeTransferredContacts: options.includeTransferredContacts ?? false,
    timestamp: sweep.timestamp ?? SWEEP_DEFAULTS.timestamp,
    windowSeconds: (sweep.window ?? SWEEP_DEFAULTS.window).toSeconds(),
    settleSeconds: (sweep.settle ?? SWEEP_DEFAULTS.settle).toSeconds(),
    searchRatePerSecond: sweep.searchRatePerSecond ?? SWEEP_DEFAULTS.searchRatePerSecond,
  };
}

/**
 * A transfer rule's sweep: a function (the worker asset's `sweep.mjs`, Arm, Node.js 24, the worker's
 * tracing) fired by a schedule rule whose input is the rule's settings, allowed `connect:SearchContacts` on
 * the one instance, sending to the transfer queue and reading the ledger. A run no longer than the
 * schedule, so runs do not overlap; the schedule's delivery failures go to the event DLQ. An alarm fires when
 * it fails 3 runs in a row: a sweep that always fails would otherwise go unnoticed, as the missed contacts do.
 */
export function createContactSweep(
  scope: Construct,
  id: string,
  options: TransferRuleOptions,
  sweep: TransferRuleSweep,
  wiring: SweepWiring,
): { readonly function: lambda.Function; readonly rule: events.Rule; readonly alarm: cloudwatch.Alarm } {
  const schedule = sweep.schedule ?? SWEEP_DEFAULTS.schedule;
  const workerTracing = (wiring.worker.node.defaultChild as lambda.CfnFunction | undefined)?.tracingConfig as
    | lambda.CfnFunction.TracingConfigProperty
    | undefined;
  const activeTracing = workerTracing?.mode === lambda.Tracing.ACTIVE;
  const fn = new lambda.Function(scope, `${id}Sweep`, {
    code: workerCode(),
    handler: SWEEP_HANDLER,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    tracing: activeTracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    memorySize: 256,
    timeout: Duration.seconds(Math.min(MAX_RUN_SECONDS, seconds(schedule) ?? MAX_RUN_SECONDS)),
    // Lambda takes 256 characters: a rule id may have 238.
    description: `Sweeps for the contacts transfer rule ${id.length > 100 ? `${id.slice(0, 99)}…` : id} missed (contact events are best effort)`,
    loggingFormat: lambda.LoggingFormat.JSON,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    // The next scheduled run repeats a failed one: Lambda's own retries would only add runs.
    retryAttempts: 0,
    logGroup: new logs.LogGroup(scope, `${id}SweepLogs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    environment: {
      [SweepEnv.ledgerTableName]: wiring.ledgerTable.tableName,
      [SweepEnv.transferQueueUrl]: wiring.queue.queueUrl,
      [SweepEnv.serviceName]: SWEEP_SERVICE_NAME,
      [SweepEnv.metricsNamespace]: METRICS_NAMESPACE,
    },
  });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'SearchContactsOfTheRulesInstance',
      actions: ['connect:SearchContacts'],
      resources: [
        Stack.of(scope).formatArn({
          service: 'connect',
          resource: 'instance',
          resourceName: sweep.instanceId,
        }),
      ],
    }),
  );
  wiring.queue.grantSendMessages(fn);
  wiring.ledgerTable.grantReadData(fn);

  const rule = new events.Rule(scope, `${id}SweepSchedule`, {
    schedule: events.Schedule.rate(schedule),
    description: `Runs transfer rule ${id}'s sweep for contacts its events missed`,
    targets: [
      new targets.LambdaFunction(fn, {
        event: events.RuleTargetInput.fromObject(sweepInput(id, options, sweep)),
        deadLetterQueue: wiring.eventDeadLetterQueue,
        // A run not delivered in time is replaced by the next one.
        maxEventAge: Duration.seconds(Math.max(60, seconds(schedule) ?? 60)),
        retryAttempts: 2,
      }),
    ],
  });
  acknowledgeSweepFindings(fn, activeTracing, wiring);
  const alarm = addSweepFailureAlarm(scope, id, fn, schedule);
  return { function: fn, rule, alarm };
}

/** The AwsSolutions and Serverless findings on the sweep's function, each with its reason. */
function acknowledgeSweepFindings(fn: lambda.Function, activeTracing: boolean, wiring: SweepWiring): void {
  acknowledgeFunctionFindings(fn, {
    name: 'the sweep',
    activeTracing,
    hasCustomerKey: Boolean(wiring.queue.encryptionMasterKey || wiring.ledgerTable.encryptionKey),
  });
  const ack = (findingId: string, reason: string) =>
    Validations.of(fn).acknowledge({ id: findingId, reason });
  ack(
    'Serverless-LambdaDLQ',
    'The sweep is invoked only by its schedule, whose event carries nothing to keep: a failed run is repeated by the next scheduled one. Undelivered invocations go to the event DLQ.',
  );
  ack(
    'Serverless-LambdaAsyncFailureDestination',
    'A failed run has nothing to hand on: the next scheduled run searches the same window again (Lambda retries are off for that reason).',
  );
}
