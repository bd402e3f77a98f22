import type { TargetInputSpec } from './targetInput.js';

/** An SQS queue a rule delivers to, and whether its queue policy lets EventBridge deliver for the rule. */
export interface LocalQueueTarget {
  readonly arn: string;
  readonly url: string;
  /** The queue policy allows `events.amazonaws.com` to send for this rule. */
  readonly allowed: boolean;
}

/** A rule's target on the local engines. */
export interface LocalRuleTarget extends TargetInputSpec {
  readonly id: string;
  readonly queue: LocalQueueTarget;
  readonly deadLetter?: LocalQueueTarget;
  /** @default 185 */
  readonly retryAttempts?: number;
}

/** A rule on the local bus. */
export interface LocalRule {
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  readonly eventPattern: unknown;
  readonly enabled: boolean;
  readonly targets: readonly LocalRuleTarget[];
}

/** One entry of `PutEvents`. */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  readonly Time?: number | string;
  /** The X-Ray trace the event continues (1 to 500 characters), passed on to its targets. */
  readonly TraceHeader?: string;
}

/** An entry's result, as `PutEvents` answers it. */
export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** An event as EventBridge delivers it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** How the local EventBridge behaves; harsh switches default to the kind side. */
export interface LocalEventBridgeOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Where the target queues live (the local SQS). */
  readonly sqsEndpoint: string;
  /**
   * EventBridge delivers at least once: this share of deliveries (drawn from a seeded PRNG) is made twice.
   * @default 0
   */
  readonly duplicateDeliveryRate?: number;
  /**
   * Retries of a failed delivery before the target's dead-letter queue, at most (the template's retry policy
   * says 185 over 24 hours; locally they are compressed). @default 3
   */
  readonly maxRetryAttempts?: number;
  /** The first retry's delay; each next one doubles it. @default 100 */
  readonly retryDelayMs?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** A message a rule's target put on its queue. */
export interface Delivery {
  readonly rule: string;
  readonly queueUrl: string;
  readonly messageId: string;
  readonly body: string;
  /** The trace header the message was sent with (`AWSTraceHeader`), if the event had one. */
  readonly traceHeader?: string;
}

/** What the bus did, for reports and tests. */
export interface EventBridgeCounts {
  putEvents: number;
  matched: number;
  delivered: number;
  duplicated: number;
  retried: number;
  deadLettered: number;
  /** Events neither delivered nor accepted by a dead-letter queue: lost, as EventBridge loses them. */
  lost: number;
}

/** An error the API answers with its `__type`. */
export const apiError = (type: string, message: string) => Object.assign(new Error(message), { type });

/** A bus name from a name or an ARN; none is the default bus. */
export const busNameOf = (nameOrArn: string | undefined): string =>
  !nameOrArn
    ? 'default'
    : nameOrArn.startsWith('arn:')
      ? (nameOrArn.split('/').at(-1) ?? 'default')
      : nameOrArn;

/** An entry's `Time` (epoch seconds or ISO) as an event's `time`, to the second. */
export const eventTime = (time: number | string | undefined): string =>
  new Date(time === undefined ? Date.now() : typeof time === 'number' ? time * 1000 : time)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

/** Why `PutEvents` refuses an entry, as EventBridge words it; `undefined` when it is accepted. */
export function entryProblem(entry: PutEventsEntry, asService: boolean): PutEventsResultEntry | undefined {
  if (!entry.Source)
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    };
  if (!entry.DetailType)
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    };
  if (!asService && entry.Source.startsWith('aws.'))
    return {
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: `Not authorized for the source ${entry.Source}.`,
    };
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail ?? '');
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  if (entry.TraceHeader !== undefined && (entry.TraceHeader.length < 1 || entry.TraceHeader.length > 500))
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter TraceHeader is not valid. Reason: it must be 1 to 500 characters.',
    };
  // The trace header does not count toward the entry's size, as EventBridge computes it.
  const { TraceHeader: _trace, ...counted } = entry;
  if (Buffer.byteLength(JSON.stringify(counted)) > 256 * 1024)
    return { ErrorCode: 'EntrySizeLimitExceeded', ErrorMessage: 'The entry exceeds 256 KB.' };
  return undefined;
}
