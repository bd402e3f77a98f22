import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConnectClient, SearchContactsCommand } from '@aws-sdk/client-connect';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../src/contract/metrics.js';
import {
  SWEEP_SERVICE_NAME,
  type SweepCounts,
  SweepEnv,
  type SweepInput,
  SweepMetric,
} from '../../src/contract/sweep.js';
// The worker's retries for Connect: never of a throttle, which the sweep's own pacing waits out.
import { NoThrottleRetries } from '../transfer-worker/connect/noThrottleRetries.js';
import type { LedgerKeyItem } from './sweep.js';
import { runSweep } from './sweep.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const ledgerTableName = required(SweepEnv.ledgerTableName);
const queueUrl = required(SweepEnv.transferQueueUrl);
const serviceName = process.env[SweepEnv.serviceName] ?? SWEEP_SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  namespace: process.env[SweepEnv.metricsNamespace] ?? METRICS_NAMESPACE,
  serviceName,
});
// A hung call fails well inside the run's deadline; the run is repeated by the next schedule.
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true };
const connect = new ConnectClient({ requestHandler, retryStrategy: new NoThrottleRetries(3) });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler }));
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler });
/** Time kept back from the invocation's deadline: the last page's reads and sends, and the metrics. */
const DEADLINE_MARGIN_MS = 10_000;

/**
 * The contact sweep's Lambda handler: one run per scheduled event (whose input is the rule's settings),
 * answering and publishing what it found (`SweepFound`, `SweepAlreadyRequested`, `SweepEnqueued`).
 */
export async function handler(event: SweepInput, context: Context): Promise<SweepCounts> {
  let counts: SweepCounts | undefined;
  try {
    counts = await runSweep(event, {
      search: (input) => connect.send(new SearchContactsCommand(input)),
      readLedger: async (keys) => {
        const { Responses, UnprocessedKeys } = await documents.send(
          new BatchGetCommand({
            RequestItems: {
              [ledgerTableName]: { Keys: keys, ProjectionExpression: 'pk' },
            },
          }),
        );
        return {
          items: (Responses?.[ledgerTableName] ?? []) as LedgerKeyItem[],
          unprocessed: (UnprocessedKeys?.[ledgerTableName]?.Keys ?? []) as LedgerKeyItem[],
        };
      },
      sendBatch: async (entries) => {
        const { Failed = [] } = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        return Failed;
      },
      remainingMs: () => context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: (message, fields) => logger.warn(message, fields),
    });
    return counts;
  } catch (error) {
    counts = (error as { counts?: SweepCounts }).counts;
    logger.error('sweep run failed: the next scheduled run repeats it', { error: error as Error, ...counts });
    throw error;
  } finally {
    if (counts) {
      metrics.addDimension('rule', event.ruleId);
      metrics.addMetric(SweepMetric.found, MetricUnit.Count, counts.found);
      metrics.addMetric(SweepMetric.alreadyRequested, MetricUnit.Count, counts.alreadyRequested);
      metrics.addMetric(SweepMetric.enqueued, MetricUnit.Count, counts.enqueued);
      metrics.publishStoredMetrics();
      logger.info('sweep run', { rule: event.ruleId, ...counts });
    }
  }
}
