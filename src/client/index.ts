export {
  type BatchEntryResult,
  prepareTransferRequest,
  TransferClient,
  type TransferClientOptions,
  TransferRequestValidationError,
} from './TransferClient.js';
