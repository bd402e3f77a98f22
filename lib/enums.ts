import type { TableBilling as ContractTableBilling } from '../src/contract/capacity.js';
import type { Outcome as ContractOutcome } from '../src/contract/metrics.js';
import type { SweepTimestampType } from '../src/contract/sweep.js';

/**
 * How the orchestrator's ledger and idempotency tables are billed (see `TransferOrchestratorProps.tableBilling`).
 * The values are the contract's `TableBilling` strings, which the settings and capacity rules use.
 */
export enum TableBilling {
  /** Provisioned capacity sized to `transferRatePerSecond`, auto scaled up to 4 times that for bursts. */
  PROVISIONED = 'provisioned',
  /** On-demand requests: nothing when idle. */
  ON_DEMAND = 'on-demand',
}

/**
 * The contact timestamp a transfer rule's sweep searches by (see `TransferRuleSweep.timestamp`): its window
 * is a range of this time. The values are `SearchContacts`' `TimeRange.Type`s.
 */
export enum SweepTimestamp {
  /** When the contact started: a contact queued later than `window` after it started is not found. */
  INITIATION = 'INITIATION_TIMESTAMP',
  /**
   * When the contact was (last) queued: for a rule on `QUEUED` events. A contact never queued has no such
   * timestamp and is not found.
   */
  ENQUEUE = 'ENQUEUE_TIMESTAMP',
}

/**
 * The one outcome the worker logs (and counts as a metric of this name) for each record it handles, for
 * `TransferOrchestrator.metricOutcome`. The contract's `Outcome` (`src/contract/metrics.ts`, which the worker
 * uses) is the source; jsii takes only a real enum, and an enum's members must be literals, so this is its
 * typed projection (members in jsii's ALL_CAPS, values the worker's metric names): the check below fails the
 * build unless the values are exactly the contract's outcomes.
 */
export enum Outcome {
  /** Connect transferred the contact. */
  TRANSFERRED = 'Transferred',
  /** The token had already completed: its stored result was returned and Connect was not called. */
  DUPLICATE = 'Duplicate',
  /** Not a valid request (or not an allowed instance, or a reused token): in the DLQ. */
  INVALID_REQUEST = 'InvalidRequest',
  /** The contact chain had no transfer left under the cap: in the DLQ. */
  CAP_REACHED = 'CapReached',
  /** Connect refused the transfer for good: in the DLQ. */
  CONNECT_REJECTED = 'ConnectRejected',
  /** An earlier attempt may have transferred and nothing proves either way: in the DLQ, reservation kept. */
  AMBIGUOUS_TRANSFER = 'AmbiguousTransfer',
  /** A transient failure: SQS delivers the record again. */
  RETRY_SCHEDULED = 'RetryScheduled',
  /** A transient failure on the last allowed delivery: in the DLQ. */
  RETRIES_EXHAUSTED = 'RetriesExhausted',
  /** Throttled (or in flight elsewhere) on the last allowed delivery: sent back to the queue, not the DLQ. */
  REQUEUED = 'Requeued',
}

/** Every outcome of the contract is a member of the enum, and every member an outcome (a compile-time check). */
const EVERY_OUTCOME_IS_A_MEMBER: [ContractOutcome] extends [`${Outcome}`]
  ? [`${Outcome}`] extends [ContractOutcome]
    ? true
    : never
  : never = true;
void EVERY_OUTCOME_IS_A_MEMBER;

/** The same check for the billing modes: the enum's values are exactly the contract's `TableBilling`. */
const EVERY_BILLING_IS_A_MEMBER: [ContractTableBilling] extends [`${TableBilling}`]
  ? [`${TableBilling}`] extends [ContractTableBilling]
    ? true
    : never
  : never = true;
void EVERY_BILLING_IS_A_MEMBER;

/** The same check for the sweep's timestamps: the enum's values are exactly the contract's. */
const EVERY_SWEEP_TIMESTAMP_IS_A_MEMBER: [SweepTimestampType] extends [`${SweepTimestamp}`]
  ? [`${SweepTimestamp}`] extends [SweepTimestampType]
    ? true
    : never
  : never = true;
void EVERY_SWEEP_TIMESTAMP_IS_A_MEMBER;
