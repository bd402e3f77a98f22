import type { Contact } from './types.js';

/** How Connect's reads lag behind a new contact. */
export interface ReadLagBehaviour {
  /** How long a new contact stays unseen (ms, on the simulator's clock). */
  readonly lagMs: number;
  /** The share of new contacts that lag, in [0, 1]. */
  readonly share: number;
}

const contactKey = (contact: Pick<Contact, 'instanceId' | 'id'>) => `${contact.instanceId}|${contact.id}`;

/**
 * Which new contacts Connect's reads do not see yet. AWS does not promise that a contact a transfer or a new
 * task just created is visible at once to `DescribeContact` or `ListAssociatedContacts`, so a contact
 * created less than `lagMs` ago may be unknown to them, as a 404 or a tree that does not list it yet.
 *
 * @example
 * const lag = new ReadLag({ lagMs: 5_000, share: 1 }, seededRandom(1), () => center.now());
 * lag.created(contact);
 * lag.hides(contact); // true for 5 s of the simulator's clock
 */
export class ReadLag {
  /** When each lagging contact becomes visible (ms, the simulator's clock); a contact not here is visible. */
  readonly #visibleAt = new Map<string, number>();

  constructor(
    private readonly behaviour: ReadLagBehaviour,
    private readonly random: () => number,
    private readonly now: () => number,
  ) {}

  /** A contact was just created: it lags, for the configured share of new contacts. */
  created(contact: Pick<Contact, 'instanceId' | 'id'>): void {
    const { lagMs, share } = this.behaviour;
    if (lagMs <= 0 || share <= 0) return;
    // Only a share strictly between 0 and 1 draws, so the default (every new contact lags) leaves the
    // PRNG's sequence as it was.
    if (share < 1 && this.random() >= share) return;
    this.#visibleAt.set(contactKey(contact), this.now() + lagMs);
  }

  /** Whether the reads do not see `contact` yet. */
  hides(contact: Pick<Contact, 'instanceId' | 'id'>): boolean {
    const key = contactKey(contact);
    const visibleAt = this.#visibleAt.get(key);
    if (visibleAt === undefined) return false;
    if (this.now() < visibleAt) return true;
    this.#visibleAt.delete(key);
    return false;
  }

  /** Forgets every lag: the contacts of a restored snapshot are old, and seen at once. */
  clear(): void {
    this.#visibleAt.clear();
  }
}

/**
 * Which attribute updates Connect's reads do not see yet. AWS does not promise that `DescribeContact` shows
 * an `UpdateContactAttributes` at once, so for `lagMs` after an update (the configured share of updates) a
 * read shows the contact's attributes as they were before it; updates while one still lags extend the lag,
 * and the read keeps showing the attributes from before the first of them.
 *
 * @example
 * const lag = new AttributesLag({ lagMs: 5_000, share: 1 }, seededRandom(2), () => center.now());
 * lag.updated(contact, { tier: 'silver' });
 * lag.seen(contact); // { tier: 'silver' } for 5 s of the simulator's clock, then contact.attributes
 */
export class AttributesLag {
  readonly #lag: ReadLag;
  /** The attributes the reads still show, of each contact whose latest update lags. */
  readonly #shown = new Map<string, Readonly<Record<string, string>>>();

  constructor(behaviour: ReadLagBehaviour, random: () => number, now: () => number) {
    this.#lag = new ReadLag(behaviour, random, now);
  }

  /** `contact`'s attributes were just changed from `before`: the reads keep `before`, if this update lags. */
  updated(contact: Pick<Contact, 'instanceId' | 'id'>, before: Readonly<Record<string, string>>): void {
    const key = contactKey(contact);
    const shown = this.#lag.hides(contact) ? this.#shown.get(key) : undefined;
    this.#lag.created(contact);
    if (this.#lag.hides(contact)) this.#shown.set(key, shown ?? before);
    else this.#shown.delete(key);
  }

  /** The attributes the reads see of `contact`: its own, unless its latest update still lags. */
  seen(contact: Pick<Contact, 'instanceId' | 'id' | 'attributes'>): Readonly<Record<string, string>> {
    const key = contactKey(contact);
    if (this.#lag.hides(contact)) return this.#shown.get(key) ?? contact.attributes ?? {};
    this.#shown.delete(key);
    return contact.attributes ?? {};
  }

  /** Whether the reads do not see `contact`'s latest attribute update yet. */
  hides(contact: Pick<Contact, 'instanceId' | 'id'>): boolean {
    return this.#lag.hides(contact) && this.#shown.has(contactKey(contact));
  }

  /** Forgets every lag: the contacts of a restored snapshot are old, and seen as they are. */
  clear(): void {
    this.#lag.clear();
    this.#shown.clear();
  }
}
