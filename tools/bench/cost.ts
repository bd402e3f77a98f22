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
  eventBridgeCustomEventsPerMillion: 1,
  cloudwatchLogsIngestionPerGb: 0.5,
} as const;

/** What one transfer uses, as the benchmark measured it. */
export interface PerTransfer {
  readonly lambdaInvocations: number;
  /** Seconds a worker is busy per transfer (at the default quota: its paced interval, mostly waiting). */
  readonly workerSeconds: number;
  readonly memoryMb: number;
  readonly sqsRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
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
      use.dynamodbWriteUnits * PRICES.dynamodbWriteRequestUnitsPerMillion +
      use.dynamodbReadUnits * PRICES.dynamodbReadRequestUnitsPerMillion,
    eventBridge: use.outcomeEvents * PRICES.eventBridgeCustomEventsPerMillion,
    logs: (use.logBytes / 1e9) * million * PRICES.cloudwatchLogsIngestionPerGb,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}
