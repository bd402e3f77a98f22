/** The EventBridge detail-type of a transfer request: its `detail` is the `TransferContact` input. */
export const TRANSFER_REQUESTED_DETAIL_TYPE = 'Transfer Contact Requested';
