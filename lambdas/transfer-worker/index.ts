import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { ConnectClient } from '@aws-sdk/client-connect';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CONNECT_DEFAULT_BURST,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  WorkerEnv,
} from '../../src/contract/index.js';
import { pacingPolicy } from '../../src/domain/index.js';
import { CompactLogFormatter } from './CompactLogFormatter.js';
import { readWorkerConfig } from './config.js';
import { transferContact } from './connect/connectTransfer.js';
import { connectContactAttributes } from './connect/contactAttributes.js';
import { connectContactDirectory } from './connect/contactDirectory.js';
import { NoThrottleRetries } from './connect/noThrottleRetries.js';
import { ServiceClock } from './connect/serviceClock.js';
import { createIdempotentTransfer } from './idempotentTransfer.js';
import { RejectionLedger } from './ledger/RejectionLedger.js';
import { TransferLedger } from './ledger/TransferLedger.js';
import { OutcomePublisher } from './OutcomePublisher.js';
import { DynamoPacingStore } from './pacing/DynamoPacingStore.js';
import { createPacing } from './pacing/index.js';
import { createCopies } from './queue/index.js';
import { createTransferWorker } from './TransferWorker.js';
import { carryRecordTrace } from './tracing/recordTrace.js';
import { tracedHandler } from './tracing/tracedHandler.js';

// Composition root: read once per cold start. Endpoints, region, credentials and retry settings come from
// the SDK's own resolution (AWS_ENDPOINT_URL_<SERVICE>, AWS_REGION, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS).
const config = readWorkerConfig(process.env);
const serviceName = process.env[WorkerEnv.serviceName] ?? SERVICE_NAME;
const logger = new Logger({ serviceName, logFormatter: new CompactLogFormatter() });
const metrics = new Metrics({
  namespace: process.env[WorkerEnv.metricsNamespace] ?? METRICS_NAMESPACE,
  serviceName,
});
// X-Ray, when the function's tracing is active: a subsegment per SDK call. Loaded only then: the X-Ray SDK
// installs async hooks that slow every promise of the process, traced or not. Not the http module's patch:
// it would stamp the invocation's trace on a copy of a record that has none of its own.
const tracer: Tracer | undefined =
  process.env[WorkerEnv.traceEnabled] === 'true'
    ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName, captureHTTPsRequests: false })
    : undefined;
const traced = <Client extends object>(client: Client): Client =>
  tracer ? tracer.captureAWSv3Client(client) : client;

// A hung call must fail (and be retried) well inside the invocation's deadline margin, whichever service.
// Without throwOnRequestTimeout the SDK only warns when requestTimeout passes, and a hung call hangs on.
const requestHandler = {
  connectionTimeout: Math.min(2_000, config.requestTimeoutMs),
  requestTimeout: config.requestTimeoutMs,
  throwOnRequestTimeout: true,
};
const dynamodb = traced(new DynamoDBClient({ requestHandler }));
const connect = traced(
  new ConnectClient({
    requestHandler,
    // The SDK's retries, but never of a throttled call: that waits for the pacer's next turn (AWS_MAX_ATTEMPTS
    // still bounds the rest).
    retryStrategy: new NoThrottleRetries(Number(process.env.AWS_MAX_ATTEMPTS ?? 3) || 3),
  }),
);
// TransferContact carries the producer's trace of the record it is made for.
carryRecordTrace(connect.middlewareStack);

// Attempts are stamped in Connect's time, which reconciliation compares with Connect's timestamps.
const connectClock = ServiceClock.watching(connect);
const documents = DynamoDBDocumentClient.from(dynamodb);
// With adaptive pacing a request waits for its slot in the queue (SQS holds it, Lambda bills nothing), if
// the worker can tell its own copies (their slots) from a producer's messages.
const holdsInQueue = config.pacingMode === 'adaptive' && config.workerRoleId !== undefined;
const pacing = createPacing({
  mode: config.pacingMode,
  policy: pacingPolicy(config.transferRatePerSecond),
  workers: config.maxConcurrency,
  store: new DynamoPacingStore(documents, config.ledgerTableName),
  schedule: holdsInQueue,
});
const ledger = new TransferLedger(documents, config.ledgerTableName, config.transferCap);
// The invocation's context, once the handler registers it: reads never wait past its deadline.
let invocation: { getRemainingTimeInMillis(): number } | undefined;
const budgetMs = () =>
  (invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY) - config.deadlineMarginMs;
// This worker's share of an API's quota (2/s, burst 5, unless raised), as the fixed pacer shares the rate.
const workerShare = (ratePerSecond: number) => ({
  ratePerSecond: ratePerSecond / config.maxConcurrency,
  burst: Math.max(1, Math.floor(CONNECT_DEFAULT_BURST / config.maxConcurrency)),
});
const transfer = createIdempotentTransfer({
  ledger,
  contacts: connectContactDirectory(connect, {
    quota: workerShare(config.contactReadRatePerSecond),
    budgetMs,
  }),
  attributes: connectContactAttributes(connect, {
    quota: workerShare(config.attributesRatePerSecond),
    budgetMs,
  }),
  pacing,
  workers: config.maxConcurrency,
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTableName,
    awsSdkV3Client: dynamodb,
  }),
  transfer: (request) => transferContact(connect, request),
  idempotencyTtlSeconds: config.idempotencyTtl,
  deadlineMarginMs: config.deadlineMarginMs,
  tokenReplayWindowMs: config.tokenReplayWindow * 1000,
  connectClock: () => connectClock.now(),
});

// The configured endpoint wins over the queue URL's host: the same host in AWS, and the only one that
// resolves for a local SQS whose queue URLs name `sqs.<region>.localhost`.
const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler }));
const copies = createCopies(sqs, config);

/** The transfer worker's Lambda handler: SQS batch in, partial batch response out. */
export const handler = tracedHandler(
  tracer,
  createTransferWorker({
    config,
    transfer: {
      ...transfer,
      registerContext(context) {
        invocation = context;
        transfer.registerContext(context);
      },
    },
    deadLetters: copies.deadLetters,
    requeue: copies.requeue,
    retries: copies.retries,
    pacing,
    ...(holdsInQueue && { hold: copies.hold }),
    outcomes: new OutcomePublisher(
      config.outcomeEventBusName ? traced(new EventBridgeClient({ requestHandler })) : undefined,
      config.outcomeEventBusName,
    ),
    rejections: new RejectionLedger(documents, config.ledgerTableName),
    tokens: ledger,
    logger,
    metrics,
  }),
);
