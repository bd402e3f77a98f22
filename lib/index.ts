export { Outcome } from '../src/domain/outcome.js';
export {
  TRANSFER_REQUESTED_DETAIL_TYPE,
  type TransferDestination,
  TransferOrchestrator,
  type TransferOrchestratorProps,
  type TransferRuleOptions,
} from './TransferOrchestrator.js';
