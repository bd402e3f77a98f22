/** Contact channels. Connect transfers only TASK and EMAIL contacts. */
export const Channel = { Voice: 'VOICE', Chat: 'CHAT', Task: 'TASK', Email: 'EMAIL' } as const;
/** One of {@link Channel}. */
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Flow types. `TransferContact` accepts inbound (`CONTACT_FLOW`), transfer-to-agent and transfer-to-queue flows. */
export const FlowType = {
  ContactFlow: 'CONTACT_FLOW',
  AgentTransfer: 'AGENT_TRANSFER',
  QueueTransfer: 'QUEUE_TRANSFER',
  CustomerQueue: 'CUSTOMER_QUEUE',
  CustomerWhisper: 'CUSTOMER_WHISPER',
  AgentWhisper: 'AGENT_WHISPER',
  OutboundWhisper: 'OUTBOUND_WHISPER',
  CustomerHold: 'CUSTOMER_HOLD',
  AgentHold: 'AGENT_HOLD',
} as const;
/** One of {@link FlowType}. */
export type FlowType = (typeof FlowType)[keyof typeof FlowType];

/** A contact to seed. */
export interface SeedContact {
  readonly id: string;
  /** @default 'TASK' */
  readonly channel?: Channel;
  /** @default 'ACTIVE' */
  readonly state?: 'ACTIVE' | 'ENDED';
  /** When it started, and last changed (ms on the simulator's clock). @default - now */
  readonly initiatedAt?: number;
}

/** An instance to seed, with what lives in it. */
export interface SeedInstance {
  readonly id: string;
  /** Every call on this instance answers 403 AccessDeniedException. @default false */
  readonly accessDenied?: boolean;
  readonly flows?: readonly { readonly id: string; readonly type: FlowType }[];
  readonly queues?: readonly string[];
  readonly users?: readonly string[];
  readonly contacts?: readonly SeedContact[];
}

/** Resources to add to the simulator. */
export interface SimulatorSeed {
  readonly instances: readonly SeedInstance[];
}

/** How the simulator behaves. */
export interface ConnectSimulatorOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Token-bucket refill rate of `TransferContact`. @default 2 */
  readonly ratePerSecond?: number;
  /** Token-bucket size. @default 5 */
  readonly burst?: number;
  /** Transfers allowed per contact chain. @default 11 */
  readonly transferLimit?: number;
  /** `new`: a transfer returns a new ContactId and ends the old contact; `keep`: the id stays. @default 'new' */
  readonly contactIdMode?: 'new' | 'keep';
  /**
   * With `contactIdMode: 'new'`, the share of transfers (drawn from the seeded PRNG) that keep the contact's
   * id anyway, so a run sees both behaviours. @default 0
   */
  readonly keepIdShare?: number;
  /**
   * How long a `ClientToken` is remembered, from the transfer it completed. AWS documents no window for
   * `TransferContact` (sibling Connect APIs keep tokens 7 days); past it, the same token transfers again.
   * `Infinity` is the kind world. @default 7 days
   */
  readonly tokenWindowMs?: number;
  /**
   * The order of Connect's checks, which AWS does not document. `state-first`: the contact (exists, channel,
   * active) is checked before the token, so the retry of a transfer whose answer was lost is refused
   * ("not active") although it happened. `token-first`: a known token is replayed before any check.
   * @default 'state-first'
   */
  readonly checkOrder?: 'state-first' | 'token-first';
  /** Seed of the fault PRNG. @default 1 */
  readonly seed?: number;
  /**
   * Each read's own token bucket, separate from `TransferContact`'s and from the other read's: Connect
   * throttles each API on its own account-wide quota. A read left out gets `ratePerSecond` and `burst`:
   * at the default, the quota AWS documents for Connect APIs that publish none of their own (2/s, burst 5);
   * a simulator given a raised transfer quota stands for a raised account.
   * @default - each read at `ratePerSecond`, `burst` (2/s, burst 5)
   */
  readonly readQuotas?: ReadQuotas;
  /**
   * How long a new contact (a transfer's new contact, a new task, a seeded contact from when it was seeded)
   * stays unknown to `DescribeContact` (404) and absent from `ListAssociatedContacts`, on the simulator's
   * clock (`advanceClock` moves it). AWS does not promise a new contact is readable at once.
   * @default 0 (seen at once)
   */
  readonly readLagMs?: number;
  /** The share of new contacts that lag `readLagMs`, drawn from the seeded PRNG. @default 1 */
  readonly readLagShare?: number;
  /**
   * How long `DescribeContact` keeps showing a contact's attributes as they were before an
   * `UpdateContactAttributes`, on the simulator's clock; the `readLagShare` of updates lag, drawn from a
   * seeded stream of their own. AWS does not promise a read sees an update at once.
   * @default 0 (seen at once)
   */
  readonly attributesReadLagMs?: number;
  /**
   * Token-bucket refill rate of `UpdateContactAttributes`, a bucket of its own: AWS documents 2/s (burst 5)
   * for Connect APIs without a quota of their own, and names none for it. As the reads, it follows
   * `ratePerSecond` unless set: a simulator given a raised transfer quota stands for a raised account.
   * @default - `ratePerSecond` (2)
   */
  readonly updateContactAttributesRatePerSecond?: number;
  /** Token-bucket size of `UpdateContactAttributes`. @default - `burst` (5) */
  readonly updateContactAttributesBurst?: number;
  /**
   * The share of contact events Connect never puts on the bus, drawn from a seeded stream of its own.
   * Connect documents contact events as best effort: a rule may never see a contact.
   * @default 0 (every event delivered)
   */
  readonly contactEventDropShare?: number;
}

/** Connect's calls that change a contact: each has a quota of its own, and takes scripted faults. */
export type WriteOperation = 'TransferContact' | 'UpdateContactAttributes';

/** Connect's reads the simulator serves: each has a quota of its own. */
export type ReadOperation = 'DescribeContact' | 'ListAssociatedContacts' | 'SearchContacts';

/** A token bucket: `burst` calls at once, refilled at `ratePerSecond`. */
export interface RateQuota {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** The quota of each read; a read left out keeps the default (2/s, burst 5). */
export type ReadQuotas = Readonly<Partial<Record<ReadOperation, RateQuota>>>;

/** One call the simulator received. */
export interface SimulatorCall {
  readonly seq: number;
  readonly operation: WriteOperation | ReadOperation;
  readonly input: Record<string, unknown>;
  readonly status: number;
  readonly errorType?: string;
  /** The error's message, for a refusal. */
  readonly errorMessage?: string;
  readonly output?: Record<string, unknown>;
  /** The injected fault, if any. */
  readonly fault?: string;
  /** Whether this call performed a transfer (replays of a token do not). */
  readonly transferred: boolean;
  /** For `UpdateContactAttributes`: whether it changed the contact's attributes (a refused call did not). */
  readonly applied?: boolean;
  /**
   * For a read: the lag hid a contact from it (the one it named: a 404; another of its tree: left out), or
   * `DescribeContact` showed the contact's attributes as they were before an update that still lags.
   */
  readonly lagged?: boolean;
  /** When the call arrived (ms, the process's clock). */
  readonly receivedAt?: number;
  /** The call's `X-Amzn-Trace-Id` header, if it carried one (the trace it continues). */
  readonly traceHeader?: string;
}

/** The simulator's whole state as JSON. */
export interface SimulatorSnapshot {
  readonly instances: readonly SeedInstance[];
  readonly contacts: readonly Contact[];
  readonly transfersPerChain: Readonly<Record<string, number>>;
  readonly tokens: Readonly<Record<string, RememberedToken>>;
  readonly calls: readonly SimulatorCall[];
  /** How far the simulator's clock was advanced (ms). */
  readonly clockOffsetMs?: number;
}

/** A token Connect remembers: the request it ran and what it answered, until the token window ends. */
export interface RememberedToken {
  readonly fingerprint: string;
  readonly output: Record<string, unknown>;
  /** When it was stored, on the simulator's clock (ms). */
  readonly at?: number;
}

/** A contact the simulator holds. */
export interface Contact {
  id: string;
  instanceId: string;
  channel: Channel;
  state: 'ACTIVE' | 'ENDED';
  chain: string;
  previousContactId?: string;
  queueId?: string;
  userId?: string;
  initiationMethod: string;
  initiatedAt: number;
  /** When it was queued (ms), once a transfer put it in a queue. */
  enqueuedAt?: number;
  /** When an agent got it (ms), once a transfer gave it to one. */
  connectedToAgentAt?: number;
  /** When it ended (ms). */
  disconnectedAt?: number;
  /** When anything about it last changed (ms). */
  updatedAt?: number;
  /** Its user-defined attributes (`UpdateContactAttributes`; a transfer's new contact starts with a copy). */
  attributes?: Record<string, string>;
  /** How many `UpdateContactAttributes` calls changed its attributes. */
  attributeUpdates?: number;
}

/** A contact arriving (a task created through the API), as `startContact` takes it. */
export interface NewContact {
  readonly instanceId: string;
  /** @default - a new id */
  readonly contactId?: string;
  /** @default 'TASK' */
  readonly channel?: Channel;
  /** Queued there at once (a QUEUED event follows the INITIATED one). @default - not queued */
  readonly queueId?: string;
}
