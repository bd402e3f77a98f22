import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Annotations,
  AssetHashType,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Outcome } from '../src/domain/outcome.js';
import { bundleWorker, WORKER_ENTRY, WORKER_FILE } from './workerBundle.js';

/** The EventBridge detail-type of a transfer request (the worker's message contract). */
export const TRANSFER_REQUESTED_DETAIL_TYPE = 'Transfer Contact Requested';

/** The Connect resource kinds `TransferContact` authorizes against, under an instance ARN. */
const CONNECT_RESOURCE_KINDS = ['contact', 'contact-flow', 'queue', 'agent'] as const;

/** Connect refuses a contact's 12th transfer. */
const CONNECT_TRANSFER_LIMIT = 11;

/** Time the worker keeps in hand before starting a transfer (its DEADLINE_MARGIN_MS). */
const DEADLINE_MARGIN = Duration.seconds(5);

/**
 * Where the worker's code comes from. Installed as a package (compiled JavaScript), the construct deploys the
 * asset `npm run build` bundled into `dist/worker`: a consumer needs neither esbuild, Docker nor this
 * repository's lockfile. Run from this repository's TypeScript sources, it bundles the worker from source
 * at synth time, the same way (`bundleWorker`), so a change is deployed without a build step.
 */
function workerCode(): lambda.Code {
  if (!import.meta.url.endsWith('.ts')) {
    return lambda.Code.fromAsset(fileURLToPath(new URL('../../worker/', import.meta.url)));
  }
  return lambda.Code.fromAsset(dirname(WORKER_ENTRY), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds where this source tree exists.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      local: {
        tryBundle(outputDir) {
          bundleWorker(outputDir);
          return true;
        },
      },
    },
  });
}

/** Properties of a {@link TransferOrchestrator}. */
export interface TransferOrchestratorProps {
  /**
   * Amazon Connect instance ids the orchestrator may transfer contacts in. The worker rejects any other
   * instance as an invalid request, and its IAM policy names only these instances.
   */
  readonly instanceIds: readonly string[];

  /**
   * Successful transfers allowed per contact chain, from 1 to 11 (Connect's own limit).
   * @default 11
   */
  readonly transferCap?: number;

  /**
   * `TransferContact` calls per second the orchestrator may make in total: the share of the account's
   * quota (2 requests/s by default, shared with every other caller) given to it.
   * @default 2
   */
  readonly transferRatePerSecond?: number;

  /**
   * Workers running at once (the event source's `maxConcurrency`, 2 to 1000). They share the rate: each
   * worker paces its calls to `transferRatePerSecond / maxConcurrency`.
   * @default 2
   */
  readonly maxConcurrency?: number;

  /**
   * Records per invocation (1 to 10 for a standard queue).
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long the event source gathers records before invoking the worker.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Deliveries of a message before a transient failure is dead-lettered (the redrive policy's
   * `maxReceiveCount`; the worker dead-letters on that delivery itself, with the reason).
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * The worker's timeout. It must hold a whole batch at the paced rate plus a safety margin.
   * @default Duration.seconds(60)
   */
  readonly functionTimeout?: Duration;

  /**
   * Visibility timeout of the transfer queue: at least 6 times the function timeout, as AWS recommends
   * for an SQS event source.
   * @default - 6 times the function timeout
   */
  readonly visibilityTimeout?: Duration;

  /**
   * A customer-managed KMS key for the queues and the tables. EventBridge is granted its use in the key
   * policy of a key created in the same stack; an imported key's policy must allow `events.amazonaws.com`
   * `kms:GenerateDataKey` and `kms:Decrypt` itself.
   * @default - SQS-managed encryption (SSE-SQS) for the queues, AWS-owned keys for the tables
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The bus whose `Transfer Contact Requested` events become transfer requests.
   * @default - a new custom event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * How long a completed token's outcome is kept and replayed.
   * @default Duration.hours(24)
   */
  readonly idempotencyTtl?: Duration;

  /**
   * How long after a `TransferContact` attempt whose answer was lost the worker still retries with the same
   * token (Connect then replays it). Past it the worker asks Connect's record (`DescribeContact`) instead of
   * calling again, since Connect may have forgotten the token: its memory is undocumented (sibling Connect
   * APIs keep tokens 7 days). Keep it well below that. `Duration.seconds(0)`: always reconcile.
   * @default Duration.hours(1)
   */
  readonly tokenReplayWindow?: Duration;

  /**
   * The worker's memory, in MB (Lambda gives CPU in proportion). The worker is I/O-bound: it waits for its
   * paced turn and for Connect.
   * @default 256
   */
  readonly workerMemorySize?: number;

  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the worker's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Age of the oldest queued request that raises the backlog alarm.
   * @default Duration.minutes(15)
   */
  readonly backlogAgeAlarmThreshold?: Duration;

  /**
   * Where alarms send their notifications.
   * @default - the alarms have no action
   */
  readonly alarmTopic?: sns.ITopic;
}

/** Destination of a transfer rule: a queue or a user (agent), never both, and the flow that routes to it. */
export type TransferDestination =
  | { readonly queueId: string; readonly userId?: never; readonly contactFlowId: string }
  | { readonly userId: string; readonly queueId?: never; readonly contactFlowId: string };

/** Options of {@link TransferOrchestrator.addTransferRule}. */
export interface TransferRuleOptions {
  /** The events that trigger a transfer, for instance `aws.connect` `Amazon Connect Contact Event`s. */
  readonly eventPattern: events.EventPattern;
  /** Where matching contacts are transferred. */
  readonly destination: TransferDestination;
  /**
   * The bus the events arrive on.
   * @default - the account's default bus, where Amazon Connect publishes its contact events
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Also match contacts that a transfer started (`detail.initiationMethod` `TRANSFER`). Off, the rule never
   * re-triggers on the contacts its own transfers create, which would otherwise transfer each task again
   * until its chain reaches the cap. A pattern that names `detail.initiationMethod` itself is left as it is.
   * @default false
   */
  readonly includeTransferredContacts?: boolean;
}

/**
 * A contact-event pattern that leaves out contacts a transfer started, unless it names
 * `detail.initiationMethod` itself.
 */
function withoutTransferredContacts(pattern: events.EventPattern): events.EventPattern {
  const detail = (pattern.detail ?? {}) as Record<string, unknown>;
  if ('initiationMethod' in detail) return pattern;
  return { ...pattern, detail: { ...detail, initiationMethod: [{ 'anything-but': ['TRANSFER'] }] } };
}

const fail = (message: string): never => {
  throw new Error(`TransferOrchestrator: ${message}`);
};

/**
 * A serverless orchestrator for the Amazon Connect `TransferContact` API: a transfer queue (with its DLQ)
 * fed by producers and an EventBridge rule, a worker Lambda that transfers each request at most once per
 * `ClientToken` and never past the cap of its contact chain, its DynamoDB ledger and idempotency tables,
 * alarms and a dashboard. Secure by default: encrypted queues and tables, TLS-only queue policies,
 * point-in-time recovery, IAM scoped to the configured instances.
 *
 * @example
 * new TransferOrchestrator(this, 'Transfers', { instanceIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'] });
 */
export class TransferOrchestrator extends Construct {
  /** Producers send transfer requests here. */
  public readonly queue: sqs.Queue;
  /** Failed requests, with their reason as message attributes. */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * Contact chains (`chain#…`, a String Set of tokens), aliases of transferred contacts (`contact#…`) and
   * rejection records (`token#…`, expiring after 30 days).
   */
  public readonly ledgerTable: dynamodb.Table;
  /** Powertools idempotency records, keyed `TransferContact#<md5 of the ClientToken>`. */
  public readonly idempotencyTable: dynamodb.Table;
  /** The worker Lambda. */
  public readonly worker: lambda.Function;
  /** The bus whose `Transfer Contact Requested` events are enqueued. */
  public readonly eventBus: events.IEventBus;
  /** The rule that enqueues `Transfer Contact Requested` events. */
  public readonly requestRule: events.Rule;
  /**
   * Events EventBridge could not deliver to the transfer queue after its retries (from the request rule and
   * every `addTransferRule`), kept 14 days with EventBridge's error attributes, instead of dropped.
   */
  public readonly eventDeadLetterQueue: sqs.Queue;
  /**
   * Alarms, by name: `deadLetters`, `backlogAge`, `workerErrors`, `workerThrottles`, and
   * `undeliveredEvents` (an event EventBridge could not deliver).
   */
  public readonly alarms: Readonly<
    Record<
      'deadLetters' | 'backlogAge' | 'workerErrors' | 'workerThrottles' | 'undeliveredEvents',
      cloudwatch.Alarm
    >
  >;
  /** The operations dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly hasCustomerKey: boolean;
  /** The CloudWatch namespace of the worker's outcome metrics. */
  public readonly metricsNamespace = 'ConnectTransferOrchestrator';
  /** The `service` dimension of the worker's outcome metrics. */
  public readonly serviceName = 'transfer-worker';

  constructor(scope: Construct, id: string, props: TransferOrchestratorProps) {
    super(scope, id);
    const settings = validate(props);

    const encryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...encryption,
      enforceSSL: true,
      visibilityTimeout: settings.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });

    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    };
    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      ...tableDefaults,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      // Only rejection records (`token#…`, read by `transfer-contact status`) expire; chains never do.
      timeToLiveAttribute: 'expiresAt',
    });
    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      ...tableDefaults,
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });

    this.worker = new lambda.Function(this, 'Worker', {
      code: workerCode(),
      handler: `${WORKER_FILE.replace(/\.mjs$/, '')}.handler`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.workerMemorySize,
      timeout: settings.functionTimeout,
      description: 'Transfers Amazon Connect contacts: capped, idempotent, failures to the DLQ',
      logGroup: new logs.LogGroup(this, 'WorkerLogs', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        // Encrypted at rest by CloudWatch Logs; a customer key would need the logs service in its key
        // policy, which an imported key (kmsKeyArn) cannot be given from here.
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      environment: {
        LEDGER_TABLE_NAME: this.ledgerTable.tableName,
        IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        TRANSFER_QUEUE_URL: this.queue.queueUrl,
        ALLOWED_INSTANCE_IDS: settings.instanceIds.join(','),
        TRANSFER_CAP: String(settings.transferCap),
        TRANSFER_RATE_PER_SECOND: String(settings.transferRatePerSecond),
        MAX_CONCURRENCY: String(settings.maxConcurrency),
        MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
        IDEMPOTENCY_TTL_SECONDS: String(settings.idempotencyTtl.toSeconds()),
        DEADLINE_MARGIN_MS: String(DEADLINE_MARGIN.toMilliseconds()),
        TOKEN_REPLAY_WINDOW_SECONDS: String(settings.tokenReplayWindow.toSeconds()),
        AWS_MAX_ATTEMPTS: '3',
        POWERTOOLS_SERVICE_NAME: this.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: settings.maxBatchingWindow,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.ledgerTable.grantReadWriteData(this.worker);
    this.idempotencyTable.grantReadWriteData(this.worker);
    this.deadLetterQueue.grantSendMessages(this.worker);
    // A request throttled on its last allowed delivery is sent back to the queue rather than the DLQ.
    this.queue.grantSendMessages(this.worker);
    if (settings.instanceIds.length > 0) {
      this.worker.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'TransferContactsOfConfiguredInstances',
          actions: ['connect:TransferContact'],
          resources: settings.instanceIds.flatMap((instanceId) => this.connectResourceArns(instanceId)),
        }),
      );
      // Reading contacts (never changing them): the chain of a contact the ledger never saw, and what an
      // attempt whose answer was lost did, are asked of Connect's own record.
      this.worker.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadContactsOfConfiguredInstances',
          actions: ['connect:DescribeContact', 'connect:ListAssociatedContacts'],
          resources: settings.instanceIds.flatMap((instanceId) => [
            Stack.of(this).formatArn({
              service: 'connect',
              resource: 'instance',
              resourceName: `${instanceId}/contact/*`,
            }),
          ]),
        }),
      );
    } else {
      Annotations.of(this).addWarningV2(
        'connect-transfer-orchestrator:no-instances',
        'No instanceIds: the worker may touch no Connect instance and rejects every request. Deploy with -c instanceIds=<id>[,<id>...]',
      );
    }

    if (props.encryptionKey) {
      // EventBridge must encrypt what it delivers to a KMS-encrypted queue. For a key of this stack the
      // grant goes into its key policy; an imported key's policy must allow events.amazonaws.com itself.
      props.encryptionKey.grant(
        new iam.ServicePrincipal('events.amazonaws.com'),
        'kms:GenerateDataKey',
        'kms:Decrypt',
      );
    }
    this.eventDeadLetterQueue = new sqs.Queue(this, 'EventDeadLetterQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');
    this.requestRule = new events.Rule(this, 'TransferRequestedRule', {
      eventBus: this.eventBus,
      description: `Enqueues '${TRANSFER_REQUESTED_DETAIL_TYPE}' events as transfer requests`,
      eventPattern: { detailType: [TRANSFER_REQUESTED_DETAIL_TYPE] },
      // The queue policy the target adds is scoped to this rule (aws:SourceArn).
      targets: [new targets.SqsQueue(this.queue, this.eventDelivery())],
    });

    this.alarms = this.createAlarms(settings.backlogAgeAlarmThreshold, props.alarmTopic);
    this.dashboard = this.createDashboard();
    this.hasCustomerKey = props.encryptionKey !== undefined;
    this.acknowledgeNagFindings(settings.instanceIds);
  }

  /**
   * Turns matching events, such as `aws.connect` `Amazon Connect Contact Event`s, into transfer requests
   * with no code: an input transformer takes the contact id and instance ARN from the event (`detail.contactId`,
   * `detail.instanceArn`) and the client token from the event id, so a redelivered event never transfers twice.
   * A rule that matches the transferred contact's own events cannot loop: the transferred contact counts
   * against the same chain, which stops at the cap.
   *
   * @example
   * orchestrator.addTransferRule('EscalateTasks', {
   *   eventPattern: { source: ['aws.connect'], detailType: ['Amazon Connect Contact Event'], detail: { channel: ['TASK'], eventType: ['QUEUED'] } },
   *   destination: { queueId: 'escalations-queue-id', contactFlowId: 'transfer-to-queue-flow-id' },
   * });
   */
  addTransferRule(id: string, options: TransferRuleOptions): events.Rule {
    const { destination } = options;
    if ((destination.queueId === undefined) === (destination.userId === undefined)) {
      fail(
        `addTransferRule('${id}') needs exactly one of destination.queueId or destination.userId, got ${JSON.stringify(destination)}`,
      );
    }
    if (!destination.contactFlowId) {
      fail(
        `addTransferRule('${id}') needs destination.contactFlowId, got ${JSON.stringify(destination.contactFlowId)}`,
      );
    }
    const eventBus = options.eventBus ?? events.EventBus.fromEventBusName(this, `${id}DefaultBus`, 'default');
    return new events.Rule(this, id, {
      eventBus,
      eventPattern: options.includeTransferredContacts
        ? options.eventPattern
        : withoutTransferredContacts(options.eventPattern),
      description: `Transfers contacts matching the rule's pattern to ${destination.queueId ? `queue ${destination.queueId}` : `user ${destination.userId}`}`,
      targets: [
        new targets.SqsQueue(this.queue, {
          ...this.eventDelivery(),
          message: events.RuleTargetInput.fromObject({
            id: events.EventField.eventId,
            'detail-type': TRANSFER_REQUESTED_DETAIL_TYPE,
            source: events.EventField.source,
            detail: {
              InstanceId: events.EventField.fromPath('$.detail.instanceArn'),
              ContactId: events.EventField.fromPath('$.detail.contactId'),
              ContactFlowId: destination.contactFlowId,
              ...(destination.queueId ? { QueueId: destination.queueId } : { UserId: destination.userId }),
              // One transfer per contact and rule, however often its events repeat (a contact that keeps its
              // id after a transfer is QUEUED again): the same contact through the same rule is one request.
              ClientToken: `rule-${id}-${events.EventField.fromPath('$.detail.contactId')}`,
            },
          }),
        }),
      ],
    });
  }

  /**
   * How EventBridge delivers to the transfer queue: EventBridge's own retry policy made explicit (24 hours,
   * 185 attempts), then the event DLQ rather than a silent drop.
   */
  private eventDelivery(): targets.SqsQueueProps {
    return {
      deadLetterQueue: this.eventDeadLetterQueue,
      maxEventAge: Duration.hours(24),
      retryAttempts: 185,
    };
  }

  /** The ARNs `connect:TransferContact` is granted on for one instance: never `*`. */
  private connectResourceArns(instanceId: string): string[] {
    const instanceArn = Stack.of(this).formatArn({
      service: 'connect',
      resource: 'instance',
      resourceName: instanceId,
    });
    return [instanceArn, ...CONNECT_RESOURCE_KINDS.map((kind) => `${instanceArn}/${kind}/*`)];
  }

  private createAlarms(backlogAge: Duration, topic: sns.ITopic | undefined): TransferOrchestrator['alarms'] {
    const minute = Duration.minutes(1);
    const alarm = (
      id: string,
      alarmDescription: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      evaluationPeriods = 1,
    ) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const alarms = {
      deadLetters: alarm(
        'DeadLettersAlarm',
        'Transfer requests failed and are in the DLQ: read their ErrorClass/ErrorCode attributes, fix, redrive',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
        }),
        1,
      ),
      backlogAge: alarm(
        'BacklogAgeAlarm',
        'Transfer requests wait too long: the rate is below the inflow, or the worker keeps failing',
        this.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
        backlogAge.toSeconds(),
        3,
      ),
      workerErrors: alarm(
        'WorkerErrorsAlarm',
        'The worker itself failed (crash, timeout, bad configuration): read its logs',
        this.worker.metricErrors({ period: minute, statistic: 'Sum' }),
        1,
      ),
      workerThrottles: alarm(
        'WorkerThrottlesAlarm',
        'Lambda throttled the worker: the account concurrency is exhausted',
        this.worker.metricThrottles({ period: minute, statistic: 'Sum' }),
        1,
      ),
      undeliveredEvents: alarm(
        'UndeliveredEventsAlarm',
        'EventBridge could not deliver transfer events to the queue (queue policy, KMS key, or a deleted queue): read the ERROR_CODE attributes of the event DLQ, fix, send them again',
        this.eventDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
        }),
        1,
      ),
    };
    if (topic) {
      for (const alarm of Object.values(alarms)) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    }
    return alarms;
  }

  /**
   * One of the worker's outcome metrics, a count per period: `Transferred`, `Duplicate`, `InvalidRequest`,
   * `CapReached`, `ConnectRejected`, `AmbiguousTransfer`, `RetryScheduled`, `RetriesExhausted`, `Requeued`.
   *
   * @example
   * orchestrator.metricOutcome(Outcome.AmbiguousTransfer, { period: Duration.minutes(5) });
   */
  metricOutcome(outcome: Outcome, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: outcome,
      dimensionsMap: { service: this.serviceName },
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...options,
    });
  }

  /**
   * Lets a producer request transfers: send to the transfer queue and put events on the orchestrator's bus.
   *
   * @example
   * orchestrator.grantSendRequests(crmFunction);
   */
  grantSendRequests(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantSendMessages(grantee).combine(this.eventBus.grantPutEventsTo(grantee));
  }

  /**
   * Lets a reader answer `transfer-contact status`: read (only) the idempotency and ledger tables.
   *
   * @example
   * orchestrator.grantReadStatus(supportTool);
   */
  grantReadStatus(grantee: iam.IGrantable): iam.Grant {
    const actions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
    return this.idempotencyTable
      .grant(grantee, ...actions)
      .combine(this.ledgerTable.grant(grantee, ...actions));
  }

  /**
   * Lets an operator work the DLQ: list it (`transfer-contact dlq list`) and redrive it to the transfer queue
   * (`StartMessageMoveTask`, or a copy where that is missing).
   *
   * @example
   * orchestrator.grantRedrive(operatorsRole);
   */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return this.deadLetterQueue
      .grantConsumeMessages(grantee)
      .combine(
        this.deadLetterQueue.grant(
          grantee,
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
        ),
      )
      .combine(this.queue.grantSendMessages(grantee));
  }

  private createDashboard(): cloudwatch.Dashboard {
    const outcomes = Object.values(Outcome);
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Outcomes per minute',
            left: outcomes.map((outcome) => this.metricOutcome(outcome)),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Queue depth and DLQ',
            left: [
              this.queue.metricApproximateNumberOfMessagesVisible(),
              this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
            ],
            right: [this.queue.metricApproximateAgeOfOldestMessage()],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Worker',
            left: [
              this.worker.metricInvocations(),
              this.worker.metricErrors(),
              this.worker.metricThrottles(),
            ],
            right: [this.worker.metricDuration({ statistic: 'p99' })],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(this.alarms),
            width: 12,
          }),
        ],
      ],
    });
  }

  /** Each finding the AwsSolutions pack raises on this construct, acknowledged with its reason. */
  private acknowledgeNagFindings(instanceIds: readonly string[]): void {
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    ack(
      this.worker,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The AWS-managed basic execution role only lets the worker write its own CloudWatch logs.',
    );
    ack(
      this.eventDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: EventBridge rule targets send what they cannot deliver here.',
    );
    if (this.hasCustomerKey) {
      // aws-cdk's grants on a KMS-encrypted queue or table name these action families; each is scoped to the
      // one key given as encryptionKey.
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        ack(
          this.worker,
          `AwsSolutions-IAM5[Action::${action}]`,
          `${action} comes from aws-cdk's grants on the customer key of the queues and tables, on that key only.`,
        );
      }
    }
    // Each Connect wildcard is a kind of resource inside one configured instance: contacts are created at run
    // time, and the request names the flow, queue or agent. Named as cdk-nag renders the ARN.
    const stack = Stack.of(this);
    const rendered = (value: string, pseudo: string) =>
      Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
    const arnPrefix = `arn:${rendered(stack.partition, 'Partition')}:connect:${rendered(stack.region, 'Region')}:${rendered(stack.account, 'AccountId')}`;
    for (const instanceId of instanceIds) {
      for (const kind of CONNECT_RESOURCE_KINDS) {
        ack(
          this.worker,
          `AwsSolutions-IAM5[Resource::${arnPrefix}:instance/${instanceId}/${kind}/*]`,
          `TransferContact acts on ${kind} resources created or chosen at run time, only inside configured instance ${instanceId}.`,
        );
      }
    }
  }
}

interface Settings {
  instanceIds: readonly string[];
  transferCap: number;
  transferRatePerSecond: number;
  maxConcurrency: number;
  batchSize: number;
  maxBatchingWindow: Duration;
  maxReceiveCount: number;
  functionTimeout: Duration;
  visibilityTimeout: Duration;
  idempotencyTtl: Duration;
  tokenReplayWindow: Duration;
  workerMemorySize: number;
  backlogAgeAlarmThreshold: Duration;
}

const INSTANCE_ID = /^[A-Za-z0-9-]{1,100}$/;

/** Applies defaults and checks every prop, with an error that shows the value received and the fix. */
function validate(props: TransferOrchestratorProps): Settings {
  const instanceIds = [...new Set(props.instanceIds)];
  for (const instanceId of instanceIds) {
    if (!INSTANCE_ID.test(instanceId)) {
      fail(`instanceIds must be Amazon Connect instance ids (not ARNs), got ${JSON.stringify(instanceId)}`);
    }
  }
  const transferCap = props.transferCap ?? CONNECT_TRANSFER_LIMIT;
  if (!Number.isInteger(transferCap) || transferCap < 1 || transferCap > CONNECT_TRANSFER_LIMIT) {
    fail(
      `transferCap must be a whole number from 1 to ${CONNECT_TRANSFER_LIMIT} (Connect refuses a 12th transfer), got ${transferCap}`,
    );
  }
  const transferRatePerSecond = props.transferRatePerSecond ?? 2;
  if (!(transferRatePerSecond > 0)) {
    fail(`transferRatePerSecond must be above 0 (the default quota is 2), got ${transferRatePerSecond}`);
  }
  const maxConcurrency = props.maxConcurrency ?? 2;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
    fail(
      `maxConcurrency must be a whole number from 2 to 1000 (an SQS event source's range), got ${maxConcurrency}`,
    );
  }
  const batchSize = props.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    fail(`batchSize must be a whole number from 1 to 10, got ${batchSize}`);
  }
  const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
  if (maxBatchingWindow.toSeconds() > 300) {
    fail(`maxBatchingWindow must be at most 5 minutes, got ${maxBatchingWindow.toHumanString()}`);
  }
  const maxReceiveCount = props.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    fail(`maxReceiveCount must be a whole number from 1 to 1000, got ${maxReceiveCount}`);
  }
  const functionTimeout = props.functionTimeout ?? Duration.seconds(60);
  if (functionTimeout.toSeconds() > 900)
    fail(`functionTimeout must be at most 15 minutes, got ${functionTimeout.toHumanString()}`);
  // Each worker makes one call per (maxConcurrency / rate) seconds: a whole batch must fit in one invocation.
  const batchSeconds = (batchSize * maxConcurrency) / transferRatePerSecond + DEADLINE_MARGIN.toSeconds();
  if (batchSeconds > functionTimeout.toSeconds()) {
    fail(
      `a batch of ${batchSize} at ${transferRatePerSecond}/s shared by ${maxConcurrency} workers needs ${Math.ceil(batchSeconds)} s, ` +
        `more than functionTimeout (${functionTimeout.toSeconds()} s): raise functionTimeout, or lower batchSize or maxConcurrency`,
    );
  }
  const minimumVisibility = functionTimeout.toSeconds() * 6;
  const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(minimumVisibility);
  if (visibilityTimeout.toSeconds() < minimumVisibility) {
    fail(
      `visibilityTimeout must be at least 6 times functionTimeout (${minimumVisibility} s), got ${visibilityTimeout.toSeconds()} s: ` +
        'raise it or leave it unset',
    );
  }
  if (visibilityTimeout.toSeconds() > 43_200) {
    fail(
      `visibilityTimeout must be at most 12 hours, got ${visibilityTimeout.toSeconds()} s: lower functionTimeout`,
    );
  }
  const idempotencyTtl = props.idempotencyTtl ?? Duration.hours(24);
  if (idempotencyTtl.toSeconds() < 60 || idempotencyTtl.toSeconds() > 30 * 86_400) {
    fail(`idempotencyTtl must be from 1 minute to 30 days, got ${idempotencyTtl.toHumanString()}`);
  }
  const tokenReplayWindow = props.tokenReplayWindow ?? Duration.hours(1);
  if (tokenReplayWindow.toSeconds() > 86_400) {
    fail(
      `tokenReplayWindow must be at most 1 day (Connect's token memory is undocumented), got ${tokenReplayWindow.toHumanString()}`,
    );
  }
  const workerMemorySize = props.workerMemorySize ?? 256;
  if (!Number.isInteger(workerMemorySize) || workerMemorySize < 128 || workerMemorySize > 10_240) {
    fail(
      `workerMemorySize must be a whole number of MB from 128 to 10240 (Lambda's range), got ${workerMemorySize}`,
    );
  }
  return {
    workerMemorySize,
    tokenReplayWindow,
    instanceIds,
    transferCap,
    transferRatePerSecond,
    maxConcurrency,
    batchSize,
    maxBatchingWindow,
    maxReceiveCount,
    functionTimeout,
    visibilityTimeout,
    idempotencyTtl,
    backlogAgeAlarmThreshold: props.backlogAgeAlarmThreshold ?? Duration.minutes(15),
  };
}
