/**
 * `connect-transfer-orchestrator/construct`, kept for TypeScript apps that import the construct from here: the
 * construct package (`cdk-connect-transfer-orchestrator`, compiled by jsii for every CDK language, with the
 * prebuilt worker) re-exported, one copy of it, plus the contract's constants jsii cannot carry (module-level
 * constants are not part of a jsii API). A deploy-time entry point: runtime code imports the client instead.
 *
 * @packageDocumentation
 */
export * from 'cdk-connect-transfer-orchestrator';
export {
  CONNECT_TRANSFER_LIMIT,
  DEFAULTS,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  TRANSFER_REQUESTED_DETAIL_TYPE,
} from '../contract/index.js';
