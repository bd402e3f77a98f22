/**
 * The worker's environment variables, by setting: the construct writes them, the worker reads them, the local
 * runner and the benchmarks set them. One name per setting, so no layer can misspell another's.
 */
export const WorkerEnv = {
  ledgerTableName: 'LEDGER_TABLE_NAME',
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  transferQueueUrl: 'TRANSFER_QUEUE_URL',
  requeueLimit: 'REQUEUE_LIMIT',
  allowedInstanceIds: 'ALLOWED_INSTANCE_IDS',
  transferCap: 'TRANSFER_CAP',
  transferRatePerSecond: 'TRANSFER_RATE_PER_SECOND',
  maxConcurrency: 'MAX_CONCURRENCY',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  deadlineMarginMs: 'DEADLINE_MARGIN_MS',
  tokenReplayWindowSeconds: 'TOKEN_REPLAY_WINDOW_SECONDS',
  outcomeEventBusName: 'OUTCOME_EVENT_BUS_NAME',
  pacingMode: 'PACING_MODE',
  workerRoleId: 'WORKER_ROLE_ID',
  maxMessageBytes: 'MAX_MESSAGE_BYTES',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  contactReadRatePerSecond: 'CONTACT_READ_RATE_PER_SECOND',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;
/** One of the worker's settings read from its environment. */
export type WorkerEnvSetting = keyof typeof WorkerEnv;
