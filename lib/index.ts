/**
 * The `TransferOrchestrator` construct and its types: the entry point jsii compiles for every CDK language
 * (`packages/construct`). Only classes, enums, structs and interfaces here: the contract's constants
 * (`DEFAULTS`, `METRICS_NAMESPACE`, …) are exported, for TypeScript, by `connect-transfer-orchestrator/construct`.
 */
export { Outcome, SweepTimestamp, TableBilling } from './enums.js';
export type { OrchestratorAlarms } from './monitoring.js';
export type { ITransferOrchestrator, TransferOrchestratorAttributes } from './orchestratorGrants.js';
export type {
  TransferDestination,
  TransferOrchestratorProps,
  TransferRuleOptions,
  TransferRuleSweep,
} from './props.js';
export { TransferOrchestrator } from './TransferOrchestrator.js';
export { TransferOrchestratorPropsError } from './validateProps.js';
