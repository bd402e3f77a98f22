/**
 * Connect refuses a contact's 12th transfer: an orchestrator's cap can be configured lower, never higher.
 * (The Connect simulator keeps its own copy of this rule on purpose: a checker must not share the checked
 * code.)
 */
export const CONNECT_TRANSFER_LIMIT = 11;

/** `TransferContact`'s default quota per account and Region, shared with every other caller. */
export const CONNECT_TRANSFER_QUOTA = { ratePerSecond: 2, burst: 5 } as const;

/**
 * The burst of the default quota of Connect's APIs that publish none of their own (`DescribeContact`,
 * `ListAssociatedContacts`, `UpdateContactAttributes`): 2 requests/s, burst 5, per API, account and Region.
 */
export const CONNECT_DEFAULT_BURST = 5;
