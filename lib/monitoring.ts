import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  HELD_FOR_SLOT_METRIC,
  METRICS_NAMESPACE,
  PACING_RATE_METRIC,
  SERVICE_NAME,
} from '../src/contract/metrics.js';
import { Outcome } from './enums.js';

/** The orchestrator's alarms, by name. */
export interface OrchestratorAlarms {
  /** A request failed and is in the DLQ. */
  readonly deadLetters: cloudwatch.IAlarm;
  /**
   * Requests wait too long: the oldest queued message is older than the threshold, or the queue (with the
   * requests held in it for their slots) would take longer than that to drain at the configured rate.
   */
  readonly backlogAge: cloudwatch.IAlarm;
  /** The worker itself failed (crash, timeout, configuration). */
  readonly workerErrors: cloudwatch.IAlarm;
  /** Lambda throttled the worker. */
  readonly workerThrottles: cloudwatch.IAlarm;
  /** EventBridge could not deliver an event to the transfer queue. */
  readonly undeliveredEvents: cloudwatch.IAlarm;
  /** DynamoDB throttled the ledger or the idempotency table (provisioned capacity short of the load). */
  readonly tableThrottles: cloudwatch.IAlarm;
  /**
   * The pacing rate stayed under half the configured rate for 15 minutes: someone else uses the account's
   * `TransferContact` quota. None when the rate is known only at deploy.
   */
  readonly pacingRateLow?: cloudwatch.IAlarm;
  /**
   * Per transfer rule with a sweep (by rule id, filled by `addTransferRule`): its sweep failed in 3
   * consecutive periods of its schedule, so the contacts its events miss are found by nothing.
   */
  readonly sweepFailures: { [ruleId: string]: cloudwatch.IAlarm };
  /** Any of the others: one alarm to route (it notifies no topic itself, so nothing is paged twice). */
  readonly any: cloudwatch.IAlarm;
}

/**
 * What a later alarm (a rule's sweep) joins, per orchestrator: the alarms the composite and the dashboard
 * list (read at synth, so an alarm added after the constructor is in both), the topic, the map it is exposed in.
 */
interface AlarmRegistry {
  readonly all: cloudwatch.Alarm[];
  /** The dashboard's: all of them and the composite. */
  readonly shown: cloudwatch.IAlarm[];
  readonly topic: sns.ITopic | undefined;
  readonly sweepFailures: Record<string, cloudwatch.IAlarm>;
}
const registries = new WeakMap<Construct, AlarmRegistry>();

/** What the alarms and the dashboard watch. */
export interface MonitoredResources {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventDeadLetterQueue: sqs.IQueue;
  readonly worker: lambda.IFunction;
  readonly ledgerTable: dynamodb.ITable;
  readonly idempotencyTable: dynamodb.ITable;
}

/**
 * One of the worker's outcome metrics, a count per minute unless `options` say otherwise.
 *
 * @example
 * outcomeMetric(Outcome.CAP_REACHED, { period: Duration.minutes(5) }).metricName; // 'CapReached'
 */
export function outcomeMetric(outcome: Outcome, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return workerMetric(outcome, 'Sum', options);
}

/** A metric the worker publishes (namespace and `service` dimension of the contract), per minute. */
function workerMetric(
  metricName: string,
  statistic: string,
  options: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: Duration.minutes(1),
    ...options,
  });
}

/**
 * The rate the deployment paces `TransferContact` to (calls/s), averaged per minute unless `options` say
 * otherwise.
 *
 * @example
 * pacingRateMetric().metricName; // 'PacingRate'
 */
export function pacingRateMetric(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return workerMetric(PACING_RATE_METRIC, 'Average', options);
}

/**
 * How long requests wait (s): the age of the oldest queued message, or the time the queue would take to
 * drain at `ratePerSecond`, whichever is longer. A request held for its slot is a new message each time it
 * is held, so the age alone no longer shows a backlog that waits; the drain time does (held requests are
 * delayed messages). With a rate known only at deploy, the age alone.
 */
function backlogWait(queue: sqs.IQueue, ratePerSecond: number): cloudwatch.IMetric {
  const minute = Duration.minutes(1);
  const age = queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' });
  if (Token.isUnresolved(ratePerSecond)) return age;
  return new cloudwatch.MathExpression({
    expression: `MAX([age, (visible + delayed) / ${ratePerSecond}])`,
    usingMetrics: {
      age,
      visible: queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      delayed: queue.metric('ApproximateNumberOfMessagesDelayed', { period: minute, statistic: 'Maximum' }),
    },
    label: 'Seconds requests wait (oldest message, or the queue drained at the rate)',
    period: minute,
  });
}

/**
 * The alarms, each with a description that says what to do, notifying `topic` when given, and one composite
 * alarm of them all (which notifies no topic itself).
 */
export function createAlarms(
  scope: Construct,
  watched: MonitoredResources,
  settings: { readonly backlogAgeAlarmThreshold: Duration; readonly transferRatePerSecond: number },
  topic: sns.ITopic | undefined,
): OrchestratorAlarms {
  const { backlogAgeAlarmThreshold: backlogAge, transferRatePerSecond: ratePerSecond } = settings;
  const minute = Duration.minutes(1);
  const alarm = (
    id: string,
    alarmDescription: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    periods = 1,
  ) =>
    new cloudwatch.Alarm(scope, id, {
      alarmDescription,
      metric,
      threshold,
      evaluationPeriods: periods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  const visibleMax = (queue: sqs.IQueue) =>
    queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' });
  const alarms = {
    deadLetters: alarm(
      'DeadLettersAlarm',
      'Transfer requests failed and are in the DLQ: read their ErrorClass/ErrorCode attributes, fix, redrive',
      visibleMax(watched.deadLetterQueue),
      1,
    ),
    backlogAge: alarm(
      'BacklogAgeAlarm',
      'Transfer requests wait too long: the rate is below the inflow, or the worker keeps failing',
      backlogWait(watched.queue, ratePerSecond),
      backlogAge.toSeconds(),
      3,
    ),
    workerErrors: alarm(
      'WorkerErrorsAlarm',
      'The worker itself failed (crash, timeout, bad configuration): read its logs',
      watched.worker.metricErrors({ period: minute, statistic: 'Sum' }),
      1,
    ),
    workerThrottles: alarm(
      'WorkerThrottlesAlarm',
      'Lambda throttled the worker: the account concurrency is exhausted',
      watched.worker.metricThrottles({ period: minute, statistic: 'Sum' }),
      1,
    ),
    undeliveredEvents: alarm(
      'UndeliveredEventsAlarm',
      'EventBridge could not deliver transfer events to the queue (queue policy, KMS key, or a deleted queue): read the ERROR_CODE attributes of the event DLQ, fix, send them again',
      visibleMax(watched.eventDeadLetterQueue),
      1,
    ),
    tableThrottles: alarm(
      'TableThrottlesAlarm',
      'DynamoDB throttled the ledger or the idempotency table: raise transferRatePerSecond-sized capacity, or use tableBilling on-demand',
      bothTablesThrottles(watched),
      1,
    ),
    ...(!Token.isUnresolved(ratePerSecond) && { pacingRateLow: pacingRateLowAlarm(scope, ratePerSecond) }),
  };
  return notifying(scope, alarms, topic);
}

/** Sends each alarm to `topic` (when given), and adds the composite alarm of them all. */
function notifying<T extends Record<string, cloudwatch.Alarm>>(
  scope: Construct,
  alarms: T,
  topic: sns.ITopic | undefined,
): T & Pick<OrchestratorAlarms, 'sweepFailures' | 'any'> {
  const registry: AlarmRegistry = { all: [], shown: [], topic, sweepFailures: {} };
  registries.set(scope, registry);
  for (const each of Object.values(alarms)) register(registry, each);
  const any = new cloudwatch.CompositeAlarm(scope, 'AnyAlarm', {
    alarmDescription:
      "One of the transfer orchestrator's alarms is in ALARM: see which in this alarm's reason",
    // Rendered at synth: a rule's sweep adds its alarm after the constructor, and must be in it too.
    alarmRule: cloudwatch.AlarmRule.fromString(
      Lazy.string({ produce: () => cloudwatch.AlarmRule.anyOf(...registry.all).renderAlarmRule() }),
    ),
  });
  registry.shown.push(any);
  return { ...alarms, sweepFailures: registry.sweepFailures, any };
}

/** An alarm joins the topic, the composite alarm and the dashboard's alarm widget. */
function register(registry: AlarmRegistry, alarm: cloudwatch.Alarm): void {
  if (registry.topic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(registry.topic));
  registry.all.push(alarm);
  registry.shown.push(alarm);
}

/** How many consecutive periods of its schedule with a failed run fire a sweep's alarm. */
export const SWEEP_FAILED_RUNS = 3;
/** The longest alarm period CloudWatch takes for 3 periods (7 days at most in all): 56 hours. */
const MAX_SWEEP_ALARM_PERIOD_SECONDS = 604_800 / SWEEP_FAILED_RUNS;

/**
 * The alarm on a rule's sweep: its function failed (an error, a timeout, a crash; a run stopped at its
 * deadline is no failure) in each of 3 consecutive periods of the schedule. A period with no run (the
 * schedule's runs and CloudWatch's periods drift apart) neither fails nor clears it. It joins the
 * orchestrator's topic, composite alarm and dashboard, and `alarms.sweepFailures[ruleId]`.
 */
export function addSweepFailureAlarm(
  scope: Construct,
  ruleId: string,
  sweep: lambda.IFunction,
  schedule: Duration,
): cloudwatch.Alarm {
  const registry = registries.get(scope);
  if (!registry) throw new Error(`addSweepFailureAlarm: ${scope.node.path} has no alarms`);
  const scheduleSeconds = Token.isUnresolved(schedule.toSeconds()) ? 300 : schedule.toSeconds();
  // The schedule is whole minutes (a rate), as a period of Lambda's per-minute metrics must be.
  const period = Math.min(MAX_SWEEP_ALARM_PERIOD_SECONDS, Math.max(60, Math.ceil(scheduleSeconds / 60) * 60));
  const alarm = new cloudwatch.Alarm(scope, `${ruleId}SweepFailingAlarm`, {
    alarmDescription: `Transfer rule ${ruleId}'s sweep failed in ${SWEEP_FAILED_RUNS} consecutive periods of its schedule: the contacts its events miss are not found. Read the logs of its function (${ruleId}Sweep): SearchContacts access, the ledger, the queue`,
    metric: sweep.metricErrors({ period: Duration.seconds(period), statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: SWEEP_FAILED_RUNS,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
  });
  register(registry, alarm);
  registry.sweepFailures[ruleId] = alarm;
  return alarm;
}

/**
 * Read and write throttle events on either table, per minute: four metrics (a metric-math alarm takes ten at
 * most, which a metric per table and operation would fill).
 */
function bothTablesThrottles(watched: MonitoredResources): cloudwatch.IMetric {
  const period = Duration.minutes(1);
  const tables: [string, dynamodb.ITable][] = [
    ['ledger', watched.ledgerTable],
    ['idempotency', watched.idempotencyTable],
  ];
  const usingMetrics = Object.fromEntries(
    tables.flatMap(([name, table]) =>
      (['Read', 'Write'] as const).map((kind) => [
        `${name}${kind.toLowerCase()}`,
        table.metric(`${kind}ThrottleEvents`, { statistic: 'Sum', period }),
      ]),
    ),
  );
  return new cloudwatch.MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    label: 'Throttle events, both tables',
    period,
  });
}

/** The pacing rate held under half the configured rate for 15 minutes (idle minutes count as fine). */
const pacingRateLowAlarm = (scope: Construct, ratePerSecond: number): cloudwatch.Alarm =>
  new cloudwatch.Alarm(scope, 'PacingRateLowAlarm', {
    alarmDescription:
      "The pacing rate stayed under half of transferRatePerSecond for 15 minutes: another caller uses the account's TransferContact quota (agent desktops, flows, another deployment); share it, or raise the quota",
    metric: pacingRateMetric(),
    threshold: ratePerSecond / 2,
    evaluationPeriods: 15,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

/** The operations dashboard: every outcome, the queues, the worker, the alarms. */
export function createDashboard(
  scope: Construct,
  watched: MonitoredResources,
  alarms: OrchestratorAlarms,
): cloudwatch.Dashboard {
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    widgets: [
      [
        new cloudwatch.GraphWidget({
          title: 'Outcomes per minute',
          left: Object.values(Outcome).map((outcome) => outcomeMetric(outcome)),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Queue depth (visible, held for their slots) and DLQ',
          left: [
            watched.queue.metricApproximateNumberOfMessagesVisible(),
            watched.queue.metric('ApproximateNumberOfMessagesDelayed'),
            watched.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
          ],
          right: [watched.queue.metricApproximateAgeOfOldestMessage()],
          width: 12,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Worker',
          left: [
            watched.worker.metricInvocations(),
            watched.worker.metricErrors(),
            watched.worker.metricThrottles(),
          ],
          right: [watched.worker.metricDuration({ statistic: 'p99' })],
          width: 12,
        }),
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms',
          alarms: registries.get(scope)?.shown ?? [alarms.any],
          width: 12,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'TransferContact pacing rate (calls/s, shared with other callers)',
          left: [pacingRateMetric(), pacingRateMetric({ statistic: 'Minimum' })],
          right: [workerMetric(HELD_FOR_SLOT_METRIC, 'Sum', {})],
          width: 12,
        }),
      ],
    ],
  });
}
