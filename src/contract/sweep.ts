/**
 * What the construct and the contact sweep (`lambdas/contact-sweep`) share: the sweep's file in the worker
 * asset, its environment, and the input its schedule passes (the transfer rule's settings). No CDK and no
 * runtime module here: both sides import it.
 */

/** The sweep's file in the worker asset, bundled beside the worker's `index.mjs`. */
export const SWEEP_FILE = 'sweep.mjs';

/** The sweep's Lambda handler name in the worker asset (`sweep.handler`). */
export const SWEEP_HANDLER = `${SWEEP_FILE.replace(/\.mjs$/, '')}.handler`;

/** The sweep's environment variables: where it reads the ledger and sends requests. */
export const SweepEnv = {
  ledgerTableName: 'LEDGER_TABLE_NAME',
  transferQueueUrl: 'TRANSFER_QUEUE_URL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The sweep's Powertools service name: the `service` dimension of its metrics. */
export const SWEEP_SERVICE_NAME = 'contact-sweep';

/** The sweep's metrics (counts per run), in the orchestrator's namespace. */
export const SweepMetric = {
  /** Contacts the search returned in the run's range that the rule should have matched. */
  found: 'SweepFound',
  /** Of those, the ones whose token already has a request record in the ledger: nothing to do. */
  alreadyRequested: 'SweepAlreadyRequested',
  /** Requests the sweep put on the transfer queue. */
  enqueued: 'SweepEnqueued',
} as const;

/** SearchContacts' bounds: a time range at most 8 weeks wide, at most 100 contacts a page. */
export const SEARCH_CONTACTS_MAX_RANGE_SECONDS = 8 * 7 * 24 * 3600;
export const SEARCH_CONTACTS_PAGE_SIZE = 100;

/**
 * The token a transfer rule gives a contact's request (`rule-<id>-<contactId>`, as the rule's input
 * transformer writes it): the sweep uses the same, so a late event and the sweep make one transfer.
 *
 * @example
 * ruleToken('EscalateQueuedTasks', 'task-1'); // 'rule-EscalateQueuedTasks-task-1'
 */
export function ruleToken(ruleId: string, contactId: string): string {
  return `rule-${ruleId}-${contactId}`;
}

/**
 * The longest transfer rule id (238 characters): `rule-<id>-` and a contact id of Connect's longest (256)
 * fit in `ClientToken`'s 500. The rule's events put the token in the request, where the worker refuses one
 * longer than 500 (it cuts only a token it derives): a longer id would dead-letter every long contact id.
 */
export const RULE_ID_MAX_LENGTH = 500 - 256 - ruleToken('', '').length;

/**
 * The contact timestamps a sweep may range its search over (SearchContacts' `TimeRange.Type`): when the
 * contact started, or when it was last queued (a contact never queued has none, and is not found by it).
 */
export const SWEEP_TIMESTAMPS = ['INITIATION_TIMESTAMP', 'ENQUEUE_TIMESTAMP'] as const;
export type SweepTimestampType = (typeof SWEEP_TIMESTAMPS)[number];

/** What a rule's schedule passes the sweep: the rule's settings, as the construct resolved them. */
export interface SweepInput {
  /** The transfer rule's id (its tokens are `rule-<ruleId>-<contactId>`). */
  readonly ruleId: string;
  readonly instanceId: string;
  /** The rule's destination: `QueueId` or `UserId`, and the flow. */
  readonly destination: {
    readonly ContactFlowId: string;
    readonly QueueId?: string;
    readonly UserId?: string;
    /** The rule's attributes, set with each transfer (the events' requests carry the same). */
    readonly Attributes?: Readonly<Record<string, string>>;
  };
  /** The SearchContacts criteria that stand for the rule's pattern. */
  readonly criteria: {
    readonly Channels?: readonly string[];
    readonly QueueIds?: readonly string[];
    readonly InitiationMethods?: readonly string[];
  };
  /** Also sweep contacts a transfer started (`InitiationMethod` `TRANSFER`), as the rule's option says. */
  readonly includeTransferredContacts: boolean;
  /**
   * The timestamp the run's range is over; an input without it (from before the setting) is
   * `INITIATION_TIMESTAMP`.
   */
  readonly timestamp?: SweepTimestampType;
  /** How far back a run looks (seconds). */
  readonly windowSeconds: number;
  /** Contacts younger than this (seconds) are left to the event path. */
  readonly settleSeconds: number;
  /** SearchContacts calls per second. */
  readonly searchRatePerSecond: number;
}

/** What one run of the sweep found and did: its outcome, and its metrics. */
export interface SweepCounts {
  /** Contacts that matched (not disconnected, not transfer-started unless included). */
  readonly found: number;
  /** Of those, tokens the ledger already had a request record for. */
  readonly alreadyRequested: number;
  /** Requests put on the transfer queue. */
  readonly enqueued: number;
  /** SearchContacts pages read. */
  readonly pages: number;
  /** SearchContacts calls throttled (and retried). */
  readonly throttled: number;
  /** False when the run stopped at its deadline before the last page: the next run covers the rest. */
  readonly complete: boolean;
}
