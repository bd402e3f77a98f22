import { SETTINGS, type WorkerSettingName } from './settings.js';

/** The environment variable of each numeric setting the worker reads (from the settings table). */
type SettingEnv = { readonly [K in WorkerSettingName]: (typeof SETTINGS)[K]['env']['name'] };

const settingEnv = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([name, setting]) => ('env' in setting ? [[name, setting.env.name]] : [])),
) as SettingEnv;

/**
 * The worker's environment variables, by setting: the construct writes them, the worker reads them, the local
 * runner and the benchmarks set them. One name per setting, so no layer can misspell another's; the numeric
 * settings' names come from the settings table.
 */
export const WorkerEnv = {
  ...settingEnv,
  ledgerTableName: 'LEDGER_TABLE_NAME',
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  transferQueueUrl: 'TRANSFER_QUEUE_URL',
  allowedInstanceIds: 'ALLOWED_INSTANCE_IDS',
  outcomeEventBusName: 'OUTCOME_EVENT_BUS_NAME',
  pacingMode: 'PACING_MODE',
  workerRoleId: 'WORKER_ROLE_ID',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  traceEnabled: 'POWERTOOLS_TRACE_ENABLED',
} as const;
/** One of the worker's settings read from its environment. */
export type WorkerEnvSetting = keyof typeof WorkerEnv;
