import { provisionedCapacity } from '../../src/contract/index.js';

/**
 * List prices, us-east-1, as published by AWS and known on 2026-11-29 (not fetched: this machine has no
 * network). Check the pricing pages before relying on them.
 */
export const PRICES = {
  lambdaRequestsPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  sqsRequestsPerMillion: 0.4,
  dynamodbWriteRequestUnitsPerMillion: 0.625,
  dynamodbReadRequestUnitsPerMillion: 0.125,
  dynamodbWriteCapacityUnitHour: 0.00065,
  dynamodbReadCapacityUnitHour: 0.00013,
  eventBridgeCustomEventsPerMillion: 1,
  cloudwatchLogsIngestionPerGb: 0.5,
} as const;

/** What Lambda itself logs per invocation (START, END and REPORT lines), in bytes: billed as logs too. */
export const LAMBDA_PLATFORM_LOG_BYTES = 400;

/** What one transfer uses, as the benchmark measured it. */
export interface PerTransfer {
  readonly lambdaInvocations: number;
  /** Seconds a worker is busy per transfer (at the default quota: its paced interval, mostly waiting). */
  readonly workerSeconds: number;
  readonly memoryMb: number;
  readonly sqsRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  /**
   * The tables' cost per million transfers when provisioned (`provisionedTablesPerMillion`); without it the
   * units above are priced on demand.
   */
  readonly dynamodbProvisionedPerMillion?: number;
  readonly outcomeEvents: number;
  readonly logBytes: number;
}

/**
 * The cost of a million transfers, by service, from what one transfer uses.
 *
 * @example
 * costPerMillion({ lambdaInvocations: 0.1, workerSeconds: 1, memoryMb: 128, … }).total;
 */
export function costPerMillion(use: PerTransfer): Record<string, number> {
  const million = 1e6;
  const parts = {
    lambdaRequests: use.lambdaInvocations * PRICES.lambdaRequestsPerMillion,
    lambdaDuration: use.workerSeconds * (use.memoryMb / 1024) * million * PRICES.lambdaArmGbSecond,
    sqs: use.sqsRequests * PRICES.sqsRequestsPerMillion,
    dynamodb:
      use.dynamodbProvisionedPerMillion ??
      use.dynamodbWriteUnits * PRICES.dynamodbWriteRequestUnitsPerMillion +
        use.dynamodbReadUnits * PRICES.dynamodbReadRequestUnitsPerMillion,
    eventBridge: use.outcomeEvents * PRICES.eventBridgeCustomEventsPerMillion,
    logs: (use.logBytes / 1e9) * million * PRICES.cloudwatchLogsIngestionPerGb,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

/**
 * The provisioned tables' cost per million transfers when the orchestrator transfers at `ratePerSecond` all
 * the time (their capacity as the construct sizes it, paid by the hour whether used or not), and per month.
 *
 * @example
 * provisionedTablesPerMillion(2).perMillion; // 1.26
 */
export function provisionedTablesPerMillion(ratePerSecond: number): {
  perMillion: number;
  perMonth: number;
} {
  const { ledger, idempotency } = provisionedCapacity(ratePerSecond);
  const perHour =
    (ledger.writeUnits + idempotency.writeUnits) * PRICES.dynamodbWriteCapacityUnitHour +
    (ledger.readUnits + idempotency.readUnits) * PRICES.dynamodbReadCapacityUnitHour;
  return { perMillion: (perHour / (ratePerSecond * 3600)) * 1e6, perMonth: perHour * 730 };
}
