export {
  OUTCOME_EVENT_SOURCE,
  OUTCOME_EVENT_VERSION,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
  TRANSFER_REQUESTED_DETAIL_TYPE,
} from '../contract/index.js';
export {
  type TransferCompletedDetail,
  TransferCompletedDetailSchema,
  type TransferFailedDetail,
  TransferFailedDetailSchema,
  type TransferOutcomeEvent,
} from '../events/outcomeEvents.js';
export { readTransferStatus, type StatusTables } from '../status/readTransferStatus.js';
export type { TransferStatus } from '../status/transferStatus.js';
export {
  type BatchEntryResult,
  prepareTransferRequest,
  TransferClient,
  type TransferClientOptions,
  TransferRequestValidationError,
} from './TransferClient.js';
export {
  type TransferOutcome,
  TransferRejectedError,
  TransferWaitTimeoutError,
  type WaitOptions,
  waitForOutcome,
} from './waitForOutcome.js';
