/** The EventBridge detail-type of a transfer request: its `detail` is the `TransferContact` input. */
export const TRANSFER_REQUESTED_DETAIL_TYPE = 'Transfer Contact Requested';

/** The `source` of the outcome events the worker publishes. */
export const OUTCOME_EVENT_SOURCE = 'connect-transfer-orchestrator';

/** The detail-type of the event published when a request transferred (or replayed a transfer). */
export const TRANSFER_COMPLETED_DETAIL_TYPE = 'Transfer Contact Completed';

/** The detail-type of the event published when a request was dead-lettered. */
export const TRANSFER_FAILED_DETAIL_TYPE = 'Transfer Contact Failed';

/** The version of the outcome events' `detail` schema (`detail.version`); a breaking change bumps it. */
export const OUTCOME_EVENT_VERSION = '1';
