/**
 * The orchestrator's contract: every value two layers share (the construct, the worker, the CLI, the status
 * reader, the local runner, the scenarios). No AWS SDK and no aws-cdk-lib here, so any layer may import it.
 *
 * @packageDocumentation
 */
export {
  AUTO_SCALING_FACTOR,
  AUTO_SCALING_TARGET_PERCENT,
  CAPACITY_HEADROOM,
  MIN_READ_UNITS,
  provisionedCapacity,
  TABLE_UNITS_PER_TRANSFER,
  type TableBilling,
  type TableCapacity,
} from './capacity.js';
export {
  CALL_CURSOR_ABOVE_RATE,
  CONNECT_DEFAULT_BURST,
  CONNECT_TRANSFER_LIMIT,
  CONNECT_TRANSFER_QUOTA,
  CONTACT_ATTRIBUTES_LIMITS,
  contactAttributesProblems,
} from './connect.js';
export { DEAD_LETTER_REASON_ATTRIBUTES, DeadLetterAttribute, MAX_REASON_CHARS } from './deadLetter.js';
export { DEFAULTS, minimumFunctionTimeoutSeconds } from './defaults.js';
export {
  OUTCOME_EVENT_SOURCE,
  OUTCOME_EVENT_VERSION,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
  TRANSFER_REQUESTED_DETAIL_TYPE,
} from './events.js';
export { LEDGER_TTL_ATTRIBUTE, LedgerKey, LedgerKeyPrefix } from './ledgerKeys.js';
export {
  HELD_FOR_SLOT_METRIC,
  METRICS_NAMESPACE,
  Outcome,
  PACING_RATE_METRIC,
  SERVICE_NAME,
} from './metrics.js';
export {
  durationInWords,
  type NumericSetting,
  type PropSettingName,
  rangeViolation,
  SETTINGS,
  type SettingName,
  settingEntries,
  WORKER_SETTINGS,
  type WorkerSettingName,
} from './settings.js';
export { WorkerEnv, type WorkerEnvSetting } from './workerEnvironment.js';
