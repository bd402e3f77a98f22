import { CALL_CURSOR_ABOVE_RATE } from './connect.js';

/**
 * How the orchestrator's two tables are billed: on demand, or provisioned capacity sized to the rate the
 * worker may call Connect at. The worker's DynamoDB traffic follows its transfers, and its transfers never
 * outrun `transferRatePerSecond` (the pacer's ceiling), so capacity sized to that rate is never short in
 * normal operation and costs far less per transfer at full use than on-demand requests.
 */
export type TableBilling = 'provisioned' | 'on-demand';

/** One table's provisioned capacity: read and write units, and the most auto scaling may raise them to. */
export interface TableCapacity {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly maxReadUnits: number;
  readonly maxWriteUnits: number;
}

/**
 * What one transfer writes and reads in each table (counted on the local stack by `npm run bench`): the
 * ledger begins the request, reserves one of the chain's transfers and settles the request (3 writes) after
 * reading the contact's chain (1 read; the shared pacing item's read every 2 s is a fraction); the
 * idempotency layer writes its record in progress, then completed (2 writes), and reads only on a conflict.
 */
export const TABLE_UNITS_PER_TRANSFER = {
  ledger: { writes: 3, reads: 1 },
  idempotency: { writes: 2, reads: 0 },
} as const;

/**
 * The ledger's writes a transfer adds above {@link CALL_CURSOR_ABOVE_RATE}: the call time's claim on the
 * pacing item (one conditional write with a backlog; a second, the cursor's reset, when it fell behind).
 */
export const CALL_CLAIM_WRITES_PER_TRANSFER = 2;

/**
 * Capacity over what transfers at the full rate use: room for duplicates, dead-lettering, status readers,
 * the pacing item, and a utilisation auto scaling does not react to (its target is 90 %).
 */
export const CAPACITY_HEADROOM = 1.25;

/** Read units never below this: reads are cheap ($0.09 a month each) and status readers poll. */
export const MIN_READ_UNITS = 2;

/** Auto scaling may raise a table's capacity up to this multiple of its sized capacity. */
export const AUTO_SCALING_FACTOR = 4;

/** The utilisation auto scaling keeps a table under: above the sized utilisation (1 / headroom = 80 %). */
export const AUTO_SCALING_TARGET_PERCENT = 90;

/**
 * The provisioned capacity of each table for a rate (`TransferContact` calls per second for the whole
 * deployment): what a transfer uses at that rate, with headroom.
 *
 * @example
 * provisionedCapacity(2).ledger; // { readUnits: 3, writeUnits: 8, maxReadUnits: 12, maxWriteUnits: 32 }
 */
export function provisionedCapacity(ratePerSecond: number): {
  readonly ledger: TableCapacity;
  readonly idempotency: TableCapacity;
} {
  const sized = (units: { readonly writes: number; readonly reads: number }): TableCapacity => {
    const writeUnits = Math.max(1, Math.ceil(ratePerSecond * units.writes * CAPACITY_HEADROOM));
    const readUnits = Math.max(MIN_READ_UNITS, Math.ceil(ratePerSecond * units.reads * CAPACITY_HEADROOM));
    return {
      readUnits,
      writeUnits,
      maxReadUnits: readUnits * AUTO_SCALING_FACTOR,
      maxWriteUnits: writeUnits * AUTO_SCALING_FACTOR,
    };
  };
  const { ledger } = TABLE_UNITS_PER_TRANSFER;
  const claims = ratePerSecond > CALL_CURSOR_ABOVE_RATE ? CALL_CLAIM_WRITES_PER_TRANSFER : 0;
  return {
    ledger: sized({ ...ledger, writes: ledger.writes + claims }),
    idempotency: sized(TABLE_UNITS_PER_TRANSFER.idempotency),
  };
}
