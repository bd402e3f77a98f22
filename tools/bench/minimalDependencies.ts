// The baseline of the cold-start benchmark: the worker's dependencies, imported and set up as the worker's
// composition root does, with none of its own code.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

const logger = new Logger({ serviceName: 'baseline' });
const metrics = new Metrics({ namespace: 'Baseline', serviceName: 'baseline' });
const dynamodb = new DynamoDBClient({});
const documents = DynamoDBDocumentClient.from(dynamodb);
const connect = new ConnectClient({});
const sqs = new SQSClient({});
const schema = z.strictObject({ InstanceId: z.string(), ContactId: z.string() });
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'baseline', awsSdkV3Client: dynamodb });
const run = makeIdempotent(async (input: { ClientToken: string }) => input, {
  persistenceStore,
  config: new IdempotencyConfig({ eventKeyJmesPath: 'ClientToken' }),
});

/** Touches every dependency so none is tree-shaken away. */
export const handler = async (event: { Records: never[] }) => {
  logger.info('baseline');
  metrics.publishStoredMetrics();
  schema.safeParse({});
  void [documents, GetCommand, UpdateCommand, connect, TransferContactCommand, sqs, SendMessageCommand, run];
  return processPartialResponse(event, async () => undefined, new BatchProcessor(EventType.SQS));
};
