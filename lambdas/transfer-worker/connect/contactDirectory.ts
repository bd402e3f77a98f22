import {
  type ConnectClient,
  type Contact,
  DescribeContactCommand,
  ListAssociatedContactsCommand,
} from '@aws-sdk/client-connect';
import {
  ConnectCallError,
  ContactNotVisibleError,
  type ContactView,
  DeadlineTooCloseError,
  isThrottledCall,
} from '../../../src/domain/index.js';

/** What the worker asks Connect about contacts, beyond `TransferContact`: its authority on what happened. */
export interface ContactDirectory {
  /** `DescribeContact`; `undefined` when Connect does not show the contact (a 404, which proves nothing). */
  describe(instanceId: string, contactId: string): Promise<ContactView | undefined>;
  /**
   * The contacts a transfer of `contactId` started (its tree's contacts whose previous contact it is),
   * described. Throws {@link ContactNotVisibleError} when Connect does not show the tree or one of them.
   */
  successorsOf(instanceId: string, contactId: string): Promise<ContactView[]>;
}

const viewOf = (contact: Contact | undefined, contactId: string): ContactView => ({
  id: contact?.Id ?? contactId,
  arn: contact?.Arn ?? '',
  active: contact?.DisconnectTimestamp === undefined,
  queueId: contact?.QueueInfo?.Id,
  agentId: contact?.AgentInfo?.Id,
  initialContactId: contact?.InitialContactId,
  previousContactId: contact?.PreviousContactId,
  initiatedAt: contact?.InitiationTimestamp?.getTime(),
  lastUpdatedAt: contact?.LastUpdateTimestamp?.getTime(),
  endedAt: contact?.DisconnectTimestamp?.getTime(),
});

const callError = (error: unknown): ConnectCallError => {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  return new ConnectCallError(e.name || 'UnknownError', e.$metadata?.httpStatusCode, e.message, {
    cause: error,
  });
};

/** A throttled read, by the same rule as a throttled transfer (the domain's list of throttling codes). */
const isThrottle = (error: unknown): boolean => isThrottledCall(callError(error));

const isNotFound = (error: unknown): boolean => (error as Error).name === 'ResourceNotFoundException';

/** A read API's quota, as this worker's share of it. */
export interface ReadQuota {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** How the gate reads the clock and waits (tests replace them). */
export interface GateClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const realClock: GateClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket in front of one read API: Connect's reads have account-wide quotas of their own (the
 * default 2/s, burst 5, shared with every other caller), so a batch of unseen contacts must not fire its
 * reads at once and spend a delivery on each throttle.
 *
 * @example
 * const gate = new ReadGate({ ratePerSecond: 1, burst: 2 });
 * await gate.take(); // at once; the third take in a row waits a second
 */
export class ReadGate {
  #tokens: number;
  #at: number;

  constructor(
    private readonly quota: ReadQuota,
    private readonly clock: GateClock = realClock,
    /** How long the invocation may still wait (ms): a wait past it throws instead. @default unbounded */
    private readonly budgetMs: () => number = () => Number.POSITIVE_INFINITY,
  ) {
    this.#tokens = quota.burst;
    this.#at = clock.now();
  }

  /** Waits until the bucket has a token, and takes it; throws {@link DeadlineTooCloseError} rather than wait past the budget. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.#tokens = Math.min(
        this.quota.burst,
        this.#tokens + ((now - this.#at) / 1000) * this.quota.ratePerSecond,
      );
      this.#at = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / this.quota.ratePerSecond) * 1000);
      // Never wait past the invocation's deadline: Lambda would kill it and every record would come back.
      const budget = this.budgetMs();
      if (waitMs > budget) throw new DeadlineTooCloseError(Math.max(0, Math.floor(budget)));
      await this.clock.sleep(waitMs);
    }
  }

  /** Empties the bucket: Connect said the quota is spent (another caller shares it). */
  drain(): void {
    this.#tokens = 0;
    this.#at = this.clock.now();
  }
}

/** How many times one read is made again after a throttle, within the invocation. */
const THROTTLED_READ_RETRIES = 3;

/** Options of the contact directory. */
export interface ContactDirectoryOptions {
  /** This worker's share of each read API's quota. */
  readonly quota: ReadQuota;
  readonly clock?: GateClock;
  /**
   * How long the invocation may still wait for a read (its remaining time less the deadline margin).
   * @default unbounded
   */
  readonly budgetMs?: () => number;
}

/**
 * The contact directory over the Connect API: `DescribeContact` and `ListAssociatedContacts` (the contact
 * tree), each paced by a {@link ReadGate} of its own. A throttled read did nothing and is safe to make again:
 * it is, after the gate's next token, a few times within the invocation; any other failure comes out as a
 * {@link ConnectCallError} (transient: the record is retried).
 *
 * @example
 * const contacts = connectContactDirectory(new ConnectClient({}), { quota: { ratePerSecond: 1, burst: 2 } });
 * (await contacts.describe('instance-1', 'contact-1'))?.initialContactId;
 */
export function connectContactDirectory(
  client: ConnectClient,
  options: ContactDirectoryOptions,
): ContactDirectory {
  const clock = options.clock ?? realClock;
  const describeGate = new ReadGate(options.quota, clock, options.budgetMs);
  const listGate = new ReadGate(options.quota, clock, options.budgetMs);
  const paced = async <T>(gate: ReadGate, read: () => Promise<T>): Promise<T> => {
    for (let retry = 0; ; retry += 1) {
      await gate.take();
      try {
        return await read();
      } catch (error) {
        if (!isThrottle(error) || retry >= THROTTLED_READ_RETRIES) throw error;
        gate.drain();
      }
    }
  };
  const describe = async (instanceId: string, contactId: string) => {
    try {
      const { Contact } = await paced(describeGate, () =>
        client.send(new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId })),
      );
      return viewOf(Contact, contactId);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof DeadlineTooCloseError) throw error;
      throw callError(error);
    }
  };
  const successorIds = async (instanceId: string, contactId: string): Promise<string[]> => {
    const ids: string[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const page = await paced(listGate, () =>
          client.send(
            new ListAssociatedContactsCommand({
              InstanceId: instanceId,
              ContactId: contactId,
              MaxResults: 100,
              NextToken,
            }),
          ),
        );
        for (const summary of page.ContactSummaryList ?? []) {
          if (summary.PreviousContactId === contactId && summary.ContactId) ids.push(summary.ContactId);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (error) {
      if (isNotFound(error)) throw new ContactNotVisibleError(instanceId, contactId);
      if (error instanceof DeadlineTooCloseError) throw error;
      throw callError(error);
    }
    return ids;
  };
  return {
    describe,
    async successorsOf(instanceId, contactId) {
      const views: ContactView[] = [];
      // One at a time: the gate paces them anyway, and a 404 stops the rest.
      for (const id of await successorIds(instanceId, contactId)) {
        const view = await describe(instanceId, id);
        if (!view) throw new ContactNotVisibleError(instanceId, id);
        views.push(view);
      }
      return views;
    },
  };
}
