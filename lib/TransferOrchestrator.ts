import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  AUTO_SCALING_TARGET_PERCENT,
  provisionedCapacity,
  type TableCapacity,
} from '../src/contract/capacity.js';
import { DEFAULTS } from '../src/contract/defaults.js';
import { TRANSFER_REQUESTED_DETAIL_TYPE } from '../src/contract/events.js';
import { LEDGER_TTL_ATTRIBUTE } from '../src/contract/ledgerKeys.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../src/contract/metrics.js';
import { connectPolicyStatements } from './connectPermissions.js';
import { createContactSweep, sweepProblems } from './contactSweep.js';
import { Outcome } from './enums.js';
import {
  createAlarms,
  createDashboard,
  type OrchestratorAlarms,
  outcomeMetric,
  pacingRateMetric,
} from './monitoring.js';
import { acknowledgeNagFindings } from './nagAcknowledgements.js';
import {
  grantReadStatus,
  grantRedrive,
  grantSendRequests,
  ImportedTransferOrchestrator,
  type ITransferOrchestrator,
  type TransferOrchestratorAttributes,
} from './orchestratorGrants.js';
import type { TransferOrchestratorProps, TransferRuleOptions } from './props.js';
import {
  destinationProblems,
  eventDelivery,
  transferRequestInput,
  transferRulePattern,
} from './transferRule.js';
import { type Settings, TransferOrchestratorPropsError, validateProps } from './validateProps.js';
import { createWorkerFunction } from './workerFunction.js';

/**
 * A serverless orchestrator for the Amazon Connect `TransferContact` API: a transfer queue (with its DLQ)
 * fed by producers and an EventBridge rule, a worker Lambda that transfers each request at most once per
 * `ClientToken` and never past the cap of its contact chain, its DynamoDB ledger and idempotency tables,
 * alarms and a dashboard. Secure by default: encrypted queues and tables, TLS-only queue policies,
 * point-in-time recovery, IAM scoped to the configured instances. Props are checked all at once
 * ({@link TransferOrchestratorPropsError} lists every violation).
 *
 * @example
 * const orchestrator = new TransferOrchestrator(this, 'Transfers', { instanceIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'] });
 * orchestrator.grantSendRequests(crmFunction);
 */
export class TransferOrchestrator extends Construct implements ITransferOrchestrator {
  /**
   * An orchestrator deployed elsewhere (another stack or app), from its stack's outputs, so that producers,
   * status readers and operators here are granted as with one made here.
   *
   * @example
   * const transfers = TransferOrchestrator.fromAttributes(this, 'Transfers', { queueArn, deadLetterQueueArn, eventBusArn, ledgerTableArn, idempotencyTableArn });
   * transfers.grantSendRequests(crmFunction);
   */
  static fromAttributes(
    scope: Construct,
    id: string,
    attributes: TransferOrchestratorAttributes,
  ): ITransferOrchestrator {
    return new ImportedTransferOrchestrator(scope, id, attributes);
  }

  /** Producers send transfer requests here (grant with {@link grantSendRequests}). */
  public readonly queue: sqs.IQueue;
  /** Failed requests, with their reason as message attributes (grant with {@link grantRedrive}). */
  public readonly deadLetterQueue: sqs.IQueue;
  /**
   * Contact chains (`chain#…`, a String Set of tokens), aliases of transferred contacts (`contact#…`), each
   * token's durable request record (`request#…`) and rejection records (`token#…`, expiring after 30 days).
   */
  public readonly ledgerTable: dynamodb.ITable;
  /** Powertools idempotency records, keyed `TransferContact#<md5 of the ClientToken>`. */
  public readonly idempotencyTable: dynamodb.ITable;
  /** The worker Lambda. */
  public readonly worker: lambda.IFunction;
  /** The bus whose `Transfer Contact Requested` events are enqueued. */
  public readonly eventBus: events.IEventBus;
  /** The rule that enqueues `Transfer Contact Requested` events. */
  public readonly requestRule: events.IRule;
  /**
   * Events EventBridge could not deliver to the transfer queue after its retries (from the request rule and
   * every `addTransferRule`), kept 14 days with EventBridge's error attributes, instead of dropped.
   */
  public readonly eventDeadLetterQueue: sqs.IQueue;
  /** Alarms, by name (see {@link OrchestratorAlarms}). */
  public readonly alarms: OrchestratorAlarms;
  /** The operations dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The CloudWatch namespace of the worker's outcome metrics. */
  public readonly metricsNamespace: string = METRICS_NAMESPACE;
  /** The `service` dimension of the worker's outcome metrics. */
  public readonly serviceName: string = SERVICE_NAME;

  /** The instances the worker may touch: a rule's sweep must search one of them. */
  private readonly allowedInstanceIds: readonly string[];

  constructor(scope: Construct, id: string, props: TransferOrchestratorProps) {
    super(scope, id);
    const settings = validateProps(this, props);
    this.allowedInstanceIds = settings.instanceIds;
    const encryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } =
      props.transferQueue && props.deadLetterQueue
        ? { queue: props.transferQueue, deadLetterQueue: props.deadLetterQueue }
        : this.createQueues(encryption, settings));

    ({ ledgerTable: this.ledgerTable, idempotencyTable: this.idempotencyTable } = this.createTables(
      props,
      settings,
    ));

    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');
    const outcomeEvents = props.outcomeEvents ?? true;
    this.worker = createWorkerFunction(this, {
      settings,
      props,
      ledgerTable: this.ledgerTable,
      idempotencyTable: this.idempotencyTable,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      outcomeBus: outcomeEvents ? this.eventBus : undefined,
    });
    if (outcomeEvents) this.eventBus.grantPutEventsTo(this.worker);
    this.connectWorker(settings);

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
    this.requestRule = new events.Rule(this, 'TransferRequestedRule', {
      eventBus: this.eventBus,
      description: `Enqueues '${TRANSFER_REQUESTED_DETAIL_TYPE}' events as transfer requests`,
      eventPattern: { detailType: [TRANSFER_REQUESTED_DETAIL_TYPE] },
      // The queue policy the target adds is scoped to this rule (aws:SourceArn).
      targets: [new targets.SqsQueue(this.queue, eventDelivery(this.eventDeadLetterQueue))],
    });

    this.alarms = createAlarms(this, this, settings, props.alarmTopic);
    this.dashboard = createDashboard(this, this, this.alarms);
    acknowledgeNagFindings({
      worker: this.worker,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
      deadLetterQueue: this.deadLetterQueue,
      activeTracing: props.activeTracing !== false,
      instanceIds: settings.instanceIds,
      // aws-cdk grants the worker a customer key's actions for the construct's key and for a brought queue's.
      hasCustomerKey: [
        props.encryptionKey,
        this.queue.encryptionMasterKey,
        this.deadLetterQueue.encryptionMasterKey,
      ].some((key) => key !== undefined),
    });
  }

  /**
   * Turns matching events, such as `aws.connect` `Amazon Connect Contact Event`s, into transfer requests
   * with no code: an input transformer takes the contact id and instance ARN from the event (`detail.contactId`,
   * `detail.instanceArn`) and tokens the request `rule-<id>-<contactId>`, so a repeated event never transfers
   * twice. Contacts a transfer started are left out unless `includeTransferredContacts`; a rule that matches
   * them anyway cannot loop past the cap, since a transferred contact counts against the same chain.
   *
   * @example
   * orchestrator.addTransferRule('EscalateTasks', {
   *   eventPattern: { source: ['aws.connect'], detailType: ['Amazon Connect Contact Event'], detail: { channel: ['TASK'], eventType: ['QUEUED'] } },
   *   destination: { queueId: 'escalations-queue-id', contactFlowId: 'transfer-to-queue-flow-id' },
   * });
   */
  addTransferRule(id: string, options: TransferRuleOptions): events.Rule {
    const { destination } = options;
    const problems = [
      ...destinationProblems(id, destination),
      ...(options.sweep ? sweepProblems(id, options.sweep) : []),
      ...(options.sweep &&
      !Token.isUnresolved(options.sweep.instanceId) &&
      !this.allowedInstanceIds.includes(options.sweep.instanceId)
        ? [
            `addTransferRule('${id}').sweep.instanceId must be one of instanceIds (the worker refuses any other instance), got ${JSON.stringify(options.sweep.instanceId)}`,
          ]
        : []),
    ];
    if (problems.length > 0) throw new TransferOrchestratorPropsError(this, problems);
    if (options.sweep) {
      createContactSweep(this, id, options, options.sweep, {
        queue: this.queue,
        ledgerTable: this.ledgerTable,
        eventDeadLetterQueue: this.eventDeadLetterQueue,
        worker: this.worker,
      });
    }
    return new events.Rule(this, id, {
      eventBus: options.eventBus ?? events.EventBus.fromEventBusName(this, `${id}DefaultBus`, 'default'),
      eventPattern: transferRulePattern(options),
      description: `Transfers contacts matching the rule's pattern to ${destination.queueId ? `queue ${destination.queueId}` : `user ${destination.userId}`}`,
      targets: [
        new targets.SqsQueue(this.queue, {
          ...eventDelivery(this.eventDeadLetterQueue),
          message: transferRequestInput(id, destination),
        }),
      ],
    });
  }

  /**
   * One of the worker's outcome metrics, a count per minute unless `options` say otherwise.
   *
   * @example
   * orchestrator.metricOutcome(Outcome.AMBIGUOUS_TRANSFER, { period: Duration.minutes(5) });
   */
  metricOutcome(outcome: Outcome, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    // JavaScript callers (and the names before jsii, `Outcome.AmbiguousTransfer`) can pass anything: an
    // outcome the worker never publishes would chart nothing, or fail only at deploy.
    if (!(Object.values(Outcome) as string[]).includes(outcome))
      throw new Error(
        `metricOutcome takes one of ${Object.values(Outcome).join(', ')} (Outcome.…), got ${JSON.stringify(outcome)}`,
      );
    return outcomeMetric(outcome, options);
  }

  /**
   * The `TransferContact` rate the deployment paces to (calls/s, the workers' view, averaged per period):
   * the ceiling alone on the quota, lower while other callers use it.
   *
   * @example
   * orchestrator.metricPacingRate({ statistic: 'Minimum' });
   */
  metricPacingRate(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return pacingRateMetric(options);
  }

  /**
   * Lets a producer request transfers: send to the transfer queue and put events on the orchestrator's bus.
   *
   * @example
   * orchestrator.grantSendRequests(crmFunction);
   */
  grantSendRequests(grantee: iam.IGrantable): iam.Grant {
    return grantSendRequests(this, grantee);
  }

  /**
   * Lets a reader answer `transfer-contact status`: read (only) the idempotency and ledger tables.
   *
   * @example
   * orchestrator.grantReadStatus(supportTool);
   */
  grantReadStatus(grantee: iam.IGrantable): iam.Grant {
    return grantReadStatus(this, grantee);
  }

  /**
   * Lets an operator work the DLQ: list it (`transfer-contact dlq list`) and redrive it to the transfer queue
   * (`StartMessageMoveTask`, or a copy where that is missing).
   *
   * @example
   * orchestrator.grantRedrive(operatorsRole);
   */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return grantRedrive(this, grantee);
  }

  /** The transfer queue and its DLQ, when the deployer brought none. */
  private createQueues(
    encryption: Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'>,
    settings: Settings,
  ): { queue: sqs.IQueue; deadLetterQueue: sqs.IQueue } {
    // Both queues' size is set, not left to SQS's default: the worker fits every copy it sends in it.
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: DEFAULTS.maxMessageBytes,
    });
    const queue = new sqs.Queue(this, 'Queue', {
      ...encryption,
      enforceSSL: true,
      maxMessageSizeBytes: DEFAULTS.maxMessageBytes,
      visibilityTimeout: settings.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });
    return { queue, deadLetterQueue };
  }

  /**
   * The ledger and the idempotency table: point-in-time recovery, encrypted, and billed as `tableBilling`
   * says (by default provisioned capacity sized to the rate, auto scaled for bursts).
   */
  private createTables(
    props: TransferOrchestratorProps,
    settings: Settings,
  ): {
    ledgerTable: dynamodb.ITable;
    idempotencyTable: dynamodb.ITable;
  } {
    const provisioned = settings.tableBilling === 'provisioned';
    const capacity = provisionedCapacity(settings.transferRatePerSecond);
    const tableDefaults = {
      billingMode: provisioned ? dynamodb.BillingMode.PROVISIONED : dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    };
    const sized = (units: TableCapacity) =>
      provisioned ? { readCapacity: units.readUnits, writeCapacity: units.writeUnits } : {};
    const ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      ...tableDefaults,
      ...sized(capacity.ledger),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      // Only rejection records and dead-letter markers expire; chains and request records never do.
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
    });
    const idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      ...tableDefaults,
      ...sized(capacity.idempotency),
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });
    if (provisioned) {
      autoScale(ledgerTable, capacity.ledger);
      autoScale(idempotencyTable, capacity.idempotency);
    }
    return { ledgerTable, idempotencyTable };
  }

  /** The worker's event source, and what it may read and write: its tables, its queues, Connect. */
  private connectWorker(settings: Settings): void {
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
    this.grantConnect(settings.instanceIds);
  }

  /** The worker's Connect permissions on the configured instances, or a warning that it has none. */
  private grantConnect(instanceIds: readonly string[]): void {
    if (instanceIds.length === 0) {
      Annotations.of(this).addWarningV2(
        'connect-transfer-orchestrator:no-instances',
        'No instanceIds: the worker may touch no Connect instance and rejects every request. Deploy with -c instanceIds=<id>[,<id>...]',
      );
      return;
    }
    for (const statement of connectPolicyStatements(this, instanceIds))
      this.worker.addToRolePolicy(statement);
  }
}

/**
 * Lets a provisioned table's capacity grow for bursts the sized capacity does not cover (a redrive of
 * malformed messages, many status readers), from the sized capacity up to its maximum, and back.
 */
function autoScale(table: dynamodb.Table, capacity: TableCapacity): void {
  table
    .autoScaleWriteCapacity({ minCapacity: capacity.writeUnits, maxCapacity: capacity.maxWriteUnits })
    .scaleOnUtilization({ targetUtilizationPercent: AUTO_SCALING_TARGET_PERCENT });
  table
    .autoScaleReadCapacity({ minCapacity: capacity.readUnits, maxCapacity: capacity.maxReadUnits })
    .scaleOnUtilization({ targetUtilizationPercent: AUTO_SCALING_TARGET_PERCENT });
}
