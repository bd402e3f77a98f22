/**
 * The ledger table's partition keys (attribute `pk`), one builder per kind of item: the worker writes them,
 * `transfer-contact status` and the scenario runner read them. The ledger's TTL attribute is `expiresAt`.
 */
export const LedgerKey = {
  /** A contact chain, named by its root (first) contact: a String Set of the tokens with a reservation. */
  chain: (instanceId: string, rootContactId: string): string => `chain#${instanceId}#${rootContactId}`,
  /** An alias: a contact a transfer created (or the ledger learned), pointing at its chain. */
  contactAlias: (instanceId: string, contactId: string): string => `contact#${instanceId}#${contactId}`,
  /** A token's durable request record (fingerprint, chain, open attempt, result): never expires. */
  request: (clientToken: string): string => `request#${clientToken}`,
  /** Why a token's request was dead-lettered: kept 30 days, read by `status`. */
  rejection: (clientToken: string): string => `token#${clientToken}`,
  /** A message's dead-letter record (one per message, so messages sharing a token never hide one another). */
  deadLetter: (messageId: string): string => `deadletter#${messageId}`,
  /** The deployment's shared pacing state (the adaptive `TransferContact` rate): one item. */
  pacing: (): string => 'pacing#TransferContact',
} as const;

/** The prefix of each kind of ledger key, for a reader that scans the table. */
export const LedgerKeyPrefix = {
  chain: 'chain#',
  contactAlias: 'contact#',
  request: 'request#',
  rejection: 'token#',
  deadLetter: 'deadletter#',
  pacing: 'pacing#',
} as const;

/** The ledger table's TTL attribute (seconds since the epoch). */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
