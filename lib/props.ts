import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { SweepTimestamp, TableBilling } from './enums.js';

/** Properties of a {@link TransferOrchestrator}. */
export interface TransferOrchestratorProps {
  /**
   * Amazon Connect instance ids the orchestrator may transfer contacts in. The worker rejects any other
   * instance as an invalid request, and its IAM policy names only these instances.
   */
  readonly instanceIds: string[];

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
   * `DescribeContact` and `ListAssociatedContacts` calls per second (each) the orchestrator may make in
   * total: Connect's reads have account-wide quotas of their own (2/s, burst 5, for APIs that publish none).
   * The worker reads a contact the ledger has not seen (one read) and reconciles lost answers with them;
   * raise it with the reads' quota when `transferRatePerSecond` is raised.
   * @default 2
   */
  readonly contactReadRatePerSecond?: number;

  /**
   * `UpdateContactAttributes` calls per second the orchestrator may make in total, for requests that carry
   * `Attributes` (one call per such request, before its transfer). The API has an account-wide quota of its
   * own (2/s, burst 5, by default), shared with every flow and integration that sets attributes through it.
   * @default 2
   */
  readonly attributesRatePerSecond?: number;

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
   * The worker's timeout. It must fit a whole batch at the paced rate plus a safety margin.
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
   * A transfer queue of your own (a platform team's, with its tags, key and policies) instead of a new one.
   * The worker relies on it: it must redrive to `deadLetterQueue` after `maxReceiveCount` deliveries, hide a
   * message for at least `visibilityTimeout`, and take messages of 262,144 bytes. A queue defined in the same
   * app is checked at synth; an imported one is trusted, with a warning that says what it must have (and its
   * policy must let the orchestrator's rules send to it, its key let EventBridge and the worker use it).
   * @default - a new queue (SSE-SQS, or `encryptionKey`), TLS only
   */
  readonly transferQueue?: sqs.IQueue;

  /**
   * The dead-letter queue of your own, given with `transferQueue` (and only with it): the worker sends every
   * failed request here with its reason, and the transfer queue redrives here.
   * @default - a new queue (14 days), with the new transfer queue
   */
  readonly deadLetterQueue?: sqs.IQueue;

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
   * Share the account's `TransferContact` quota as a good neighbour: `transferRatePerSecond` becomes a
   * ceiling; a throttle lowers the rate by 30 % for every worker (one shared item in the ledger table),
   * which then climbs back to under the throttled rate and probes slowly upwards. Off: each worker paces to
   * `transferRatePerSecond / maxConcurrency` whatever Connect answers.
   * @default true
   */
  readonly adaptivePacing?: boolean;

  /**
   * Publish each request's outcome on the orchestrator's bus: `Transfer Contact Completed` (the new ContactId
   * and ContactArn) or `Transfer Contact Failed` (the reason; the request is in the DLQ), source
   * `connect-transfer-orchestrator`, at least once (dedupe on `ClientToken`). One `PutEvents` entry per
   * request ($1 per million).
   * @default true
   */
  readonly outcomeEvents?: boolean;

  /**
   * Active X-Ray tracing on the worker: Lambda samples invocations (by default the first each second and 5%
   * of the rest) and Powertools Tracer records each SDK call. Off, each record's calls still carry its
   * producer's trace header, but the worker records no segments of its own.
   * @default true
   */
  readonly activeTracing?: boolean;
  /**
   * The worker's memory, in MB (Lambda gives CPU in proportion). The worker is I/O-bound: it waits for its
   * paced turn and for Connect.
   * @default 256
   */
  readonly workerMemorySize?: number;

  /**
   * How the ledger and idempotency tables are billed. `provisioned`: capacity sized to
   * `transferRatePerSecond` (what a transfer writes and reads at that rate, with 25 % headroom; 8 and 5
   * write units at 2/s), auto scaled up to 4 times that for bursts, about $6.64 a month whether used or not
   * and $1.26 per million transfers at full use. `on-demand`: nothing when idle, $3.25 per million
   * transfers: cheaper below about 2 million transfers a month (0.8/s on average at the default rate).
   * @default TableBilling.PROVISIONED
   */
  readonly tableBilling?: TableBilling;

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
   * The least severe of Lambda's own lines (its system log) the worker's log group receives; the function
   * logs in JSON. At `WARN` Lambda writes no START, END or REPORT line per invocation (about 400 bytes each,
   * $0.10 per million transfers at the default rate) and still writes its warnings; `INFO` keeps the
   * per-invocation lines (duration and memory used are also the function's CloudWatch metrics).
   * @default lambda.SystemLogLevel.WARN
   */
  readonly systemLogLevel?: lambda.SystemLogLevel;

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

/**
 * Destination of a transfer rule: a queue or a user (agent), exactly one of them (checked when the rule is
 * added), and the flow that routes to it.
 */
export interface TransferDestination {
  /**
   * The queue to transfer to (`QueueId`); give this or `userId`, not both.
   * @default - none: `userId` is given
   */
  readonly queueId?: string;
  /**
   * The user (agent) to transfer to (`UserId`); give this or `queueId`, not both.
   * @default - none: `queueId` is given
   */
  readonly userId?: string;
  /** The flow that routes the contact to the queue or user: a transfer-to-queue or transfer-to-agent flow. */
  readonly contactFlowId: string;
  /**
   * Contact attributes every transfer of the rule sets first (the request's `Attributes`), so the receiving
   * flow or agent can tell why the contact came: for instance `{ EscalatedBy: 'EscalateQueuedTasks' }`. Keys
   * of letters, digits, `-` and `_`; 32,768 UTF-8 bytes in all; no value holding `<…>` (EventBridge's input
   * template would read it as a placeholder).
   * @default - none: the contact's attributes are left as they are
   */
  readonly attributes?: { [key: string]: string };
}

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
  /**
   * A scheduled sweep for the contacts this rule missed: Amazon Connect documents contact events as best
   * effort. It finds, with `SearchContacts`, the contacts the criteria match and enqueues those with no
   * request yet, with the rule's token (`rule-<id>-<contactId>`): a late event and the sweep make one transfer.
   * @default - none: the rule relies on contact events alone
   */
  readonly sweep?: TransferRuleSweep;
}

/**
 * A transfer rule's sweep (see {@link TransferRuleOptions.sweep}). It cannot derive what to search for from
 * an arbitrary event pattern: give the `SearchContacts` criteria that stand for the rule's pattern (a
 * contact must match every list given). Contacts already disconnected are skipped, and those a transfer
 * started unless the rule includes them (or `initiationMethods` is given). A failed run is repeated by the
 * next one; enqueueing a contact twice is harmless (one token, one transfer).
 */
export interface TransferRuleSweep {
  /** The Amazon Connect instance whose contacts are searched (an id, one of `instanceIds`). */
  readonly instanceId: string;
  /**
   * The channels the rule matches (`TASK`, `EMAIL`), as `SearchContacts` criteria: only those
   * `TransferContact` moves.
   * @default - TASK and EMAIL
   */
  readonly channels?: string[];
  /**
   * The queues the rule matches (ids), as `SearchContacts` criteria: only contacts queued there.
   * @default - any queue, and contacts never queued
   */
  readonly queueIds?: string[];
  /**
   * The initiation methods the rule matches (`API`, `INBOUND`, `TRANSFER`, …). Given, they replace the
   * rule's default of leaving out contacts a transfer started.
   * @default - any, but `TRANSFER` unless `includeTransferredContacts`
   */
  readonly initiationMethods?: string[];
  /**
   * The contact timestamp each run's window ranges over. A rule on `QUEUED` events should sweep by
   * `SweepTimestamp.ENQUEUE`: by initiation, a contact queued more than `window` after it started is never
   * found. By enqueue time, a contact never queued is never found.
   * @default SweepTimestamp.INITIATION
   */
  readonly timestamp?: SweepTimestamp;
  /**
   * How far back each run looks (by `timestamp`); at most 8 weeks (`SearchContacts`' widest range), and at
   * least `schedule` + `settle` so that no contact falls between two runs.
   * @default Duration.hours(1)
   */
  readonly window?: Duration;
  /**
   * How often the sweep runs (at least a minute).
   * @default Duration.minutes(5)
   */
  readonly schedule?: Duration;
  /**
   * Contacts younger than this are left to the event path.
   * @default Duration.minutes(1)
   */
  readonly settle?: Duration;
  /**
   * `SearchContacts` calls per second. The API has no published quota of its own: the account's default
   * for such Connect APIs is 2/s, burst 5, shared with every other caller; keep well below it.
   * @default 0.5
   */
  readonly searchRatePerSecond?: number;
}
