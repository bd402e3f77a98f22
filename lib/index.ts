export {
  CONNECT_TRANSFER_LIMIT,
  DEFAULTS,
  METRICS_NAMESPACE,
  Outcome,
  SERVICE_NAME,
  TRANSFER_REQUESTED_DETAIL_TYPE,
} from '../src/contract/index.js';
export type { OrchestratorAlarms } from './monitoring.js';
export type { ITransferOrchestrator, TransferOrchestratorAttributes } from './orchestratorGrants.js';
export type { TransferDestination, TransferOrchestratorProps, TransferRuleOptions } from './props.js';
export { TransferOrchestrator } from './TransferOrchestrator.js';
export { TransferOrchestratorPropsError } from './validateProps.js';
