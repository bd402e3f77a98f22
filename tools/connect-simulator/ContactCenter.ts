import { randomUUID } from 'node:crypto';
import { mergedAttributes, readUpdateAttributesInput } from './contactAttributes.js';
import {
  checkDestinationResources,
  checkOneDestination,
  checkTransferLimit,
  fingerprintOf,
  readTransferInput,
  type TransferInput,
  transferableContact,
  userIdOf,
} from './transferRules.js';
import type { Contact, FlowType, NewContact, RememberedToken, SeedInstance, SimulatorSeed } from './types.js';
import { ApiError, notFound } from './wire.js';

/** How the contact center behaves (the simulator's options that are about Connect, not the wire). */
export interface ContactCenterBehaviour {
  readonly region: string;
  readonly accountId: string;
  readonly transferLimit: number;
  readonly contactIdMode: 'new' | 'keep';
  readonly keepIdShare: number;
  readonly tokenWindowMs: number;
  readonly checkOrder: 'state-first' | 'token-first';
}

/** What a contact center holds, as plain JSON (part of the simulator's snapshot). */
export interface ContactCenterState {
  readonly instances: readonly SeedInstance[];
  readonly contacts: readonly Contact[];
  readonly transfersPerChain: Readonly<Record<string, number>>;
  readonly tokens: Readonly<Record<string, RememberedToken>>;
  readonly clockOffsetMs?: number;
}

/** What a `TransferContact` did: its answer, and whether it transferred (a token's replay does not). */
export interface TransferResult {
  readonly output: { readonly ContactId: string; readonly ContactArn: string };
  readonly transferred: boolean;
  /** The contact transferred from, and the one it now is (the same contact when its id is kept). */
  readonly from?: Contact;
  readonly to?: Contact;
}

/** What an `UpdateContactAttributes` did: the contact it changed, and its attributes before the change. */
export interface AttributesUpdateResult {
  readonly contact: Contact;
  readonly before: Readonly<Record<string, string>>;
}

interface Instance {
  id: string;
  accessDenied: boolean;
  flows: Map<string, FlowType>;
  queues: Set<string>;
  users: Set<string>;
}

const contactKey = (instanceId: string, contactId: string) => `${instanceId}|${contactId}`;

/**
 * The simulator's model of Amazon Connect: instances, contacts and their trees, transfers per chain, the
 * tokens it remembers, and its own clock. No HTTP here: the rules can be driven and tested directly.
 *
 * @example
 * const center = new ContactCenter(behaviour, seededRandom(1));
 * center.seed({ instances: [{ id: 'i-1', flows: [{ id: 'f', type: 'QUEUE_TRANSFER' }], queues: ['q'], contacts: [{ id: 'c' }] }] });
 * center.transfer({ InstanceId: 'i-1', ContactId: 'c', ContactFlowId: 'f', QueueId: 'q' }).transferred; // true
 */
export class ContactCenter {
  readonly #instances = new Map<string, Instance>();
  readonly #contacts = new Map<string, Contact>();
  readonly #transfersPerChain = new Map<string, number>();
  readonly #tokens = new Map<string, RememberedToken>();
  #clockOffsetMs = 0;

  constructor(
    private readonly behaviour: ContactCenterBehaviour,
    private readonly random: () => number,
  ) {}

  /** Adds instances and what lives in them; seeding an existing instance adds to it. */
  seed(seed: SimulatorSeed): void {
    for (const spec of seed.instances) {
      const instance = this.#instances.get(spec.id) ?? {
        id: spec.id,
        accessDenied: false,
        flows: new Map(),
        queues: new Set(),
        users: new Set(),
      };
      instance.accessDenied = spec.accessDenied ?? instance.accessDenied;
      for (const flow of spec.flows ?? []) instance.flows.set(flow.id, flow.type);
      for (const queue of spec.queues ?? []) instance.queues.add(queue);
      for (const user of spec.users ?? []) instance.users.add(user);
      this.#instances.set(spec.id, instance);
      for (const contact of spec.contacts ?? []) {
        const at = contact.initiatedAt ?? this.now();
        this.#contacts.set(contactKey(spec.id, contact.id), {
          id: contact.id,
          instanceId: spec.id,
          channel: contact.channel ?? 'TASK',
          state: contact.state ?? 'ACTIVE',
          chain: contact.id,
          initiationMethod: 'API',
          initiatedAt: at,
          updatedAt: at,
          ...(contact.state === 'ENDED' && { disconnectedAt: this.now(), updatedAt: this.now() }),
        });
      }
    }
  }

  /** Everything it holds, as plain JSON. */
  state(): ContactCenterState {
    return {
      instances: [...this.#instances.values()].map((i) => ({
        id: i.id,
        accessDenied: i.accessDenied,
        flows: [...i.flows].map(([id, type]) => ({ id, type })),
        queues: [...i.queues],
        users: [...i.users],
      })),
      contacts: [...this.#contacts.values()].map((contact) => ({ ...contact })),
      transfersPerChain: Object.fromEntries(this.#transfersPerChain),
      tokens: Object.fromEntries(this.#tokens),
      clockOffsetMs: this.#clockOffsetMs,
    };
  }

  /** Replaces everything it holds with a {@link state}. */
  restore(state: ContactCenterState): void {
    this.#instances.clear();
    this.#contacts.clear();
    this.#transfersPerChain.clear();
    this.#tokens.clear();
    this.seed({ instances: state.instances });
    for (const contact of state.contacts)
      this.#contacts.set(contactKey(contact.instanceId, contact.id), { ...contact });
    for (const [chain, count] of Object.entries(state.transfersPerChain))
      this.#transfersPerChain.set(chain, count);
    for (const [key, value] of Object.entries(state.tokens)) this.#tokens.set(key, value);
    this.#clockOffsetMs = state.clockOffsetMs ?? 0;
  }

  /** Moves its clock forward (tokens older than the token window are then forgotten). */
  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
  }

  /** Its clock (ms): the process's, plus what {@link advanceClock} added. */
  now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  /** How many transfers each chain (`<instanceId>/<rootContactId>`) has had. */
  transfersPerChain(): ReadonlyMap<string, number> {
    return this.#transfersPerChain;
  }

  /** A contact of a known instance, if any. */
  contact(instanceId: string, contactId: string): Contact | undefined {
    if (!this.#instances.has(instanceId)) return undefined;
    return this.#contacts.get(contactKey(instanceId, contactId));
  }

  /** Every contact, of every instance. */
  allContacts(): Iterable<Contact> {
    return this.#contacts.values();
  }

  /** Every contact of a contact's tree (same root), the contact included. */
  treeOf(contact: Contact): Contact[] {
    return [...this.#contacts.values()].filter(
      (other) => other.instanceId === contact.instanceId && other.chain === contact.chain,
    );
  }

  /** The newest active contact of the tree rooted at `rootContactId`, else its newest contact. */
  currentContactOf(instanceId: string, rootContactId: string): string {
    let current: Contact | undefined;
    for (const contact of this.#contacts.values()) {
      if (contact.instanceId !== instanceId || contact.chain !== rootContactId) continue;
      const better =
        !current ||
        (contact.state === 'ACTIVE' && current.state !== 'ACTIVE') ||
        (contact.state === current.state && contact.initiatedAt >= current.initiatedAt);
      if (better) current = contact;
    }
    return current?.id ?? rootContactId;
  }

  /**
   * A new contact arrives (a task created through the API): active, and queued when `queueId` is given.
   * Returns it; its events are the caller's to raise.
   *
   * @example
   * center.startContact({ instanceId: 'i-1', contactId: 'task-99', queueId: 'support' });
   */
  startContact(spec: NewContact): Contact {
    if (!this.#instances.has(spec.instanceId)) throw notFound(`instance ${spec.instanceId} not found`);
    const now = this.now();
    const contact: Contact = {
      id: spec.contactId ?? randomUUID(),
      instanceId: spec.instanceId,
      channel: spec.channel ?? 'TASK',
      state: 'ACTIVE',
      chain: spec.contactId ?? '',
      initiationMethod: 'API',
      initiatedAt: now,
      updatedAt: now,
      ...(spec.queueId !== undefined && { queueId: spec.queueId, enqueuedAt: now }),
    };
    contact.chain = contact.id;
    this.#contacts.set(contactKey(spec.instanceId, contact.id), contact);
    return contact;
  }

  /** A contact's ARN. */
  contactArn(instanceId: string, contactId: string): string {
    const { region, accountId } = this.behaviour;
    return `arn:aws:connect:${region}:${accountId}:instance/${instanceId}/contact/${contactId}`;
  }

  /** The instance a call names: 404 when there is none, 403 when it denies the caller every action. */
  #authorizedInstance(instanceId: string, action: string) {
    const instance = this.#instances.get(instanceId);
    if (!instance) throw notFound(`instance ${instanceId} not found`);
    if (instance.accessDenied)
      throw new ApiError(
        403,
        'AccessDeniedException',
        `not authorized to perform connect:${action} on ${instanceId}`,
      );
    return instance;
  }

  /**
   * `TransferContact`: applies the documented rules in the configured order, then transfers. Throws
   * {@link ApiError} for a rule violation.
   */
  transfer(raw: Record<string, unknown>): TransferResult {
    const input = readTransferInput(raw);
    const instance = this.#authorizedInstance(input.InstanceId, 'TransferContact');
    const fingerprint = fingerprintOf(raw);
    const tokenKey = input.ClientToken ? `${input.InstanceId}|${input.ClientToken}` : undefined;
    const remembered = tokenKey ? this.#rememberedToken(tokenKey) : undefined;
    const contact = this.#contacts.get(contactKey(input.InstanceId, input.ContactId));
    // Harsh order: the contact is checked before the token, so a retry of a done transfer is refused.
    if (this.behaviour.checkOrder === 'state-first') transferableContact(contact, input.ContactId);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint)
        throw new ApiError(
          409,
          'IdempotencyException',
          `ClientToken ${input.ClientToken} was used with other parameters`,
        );
      return { output: remembered.output as TransferResult['output'], transferred: false };
    }
    checkOneDestination(input);
    const source = transferableContact(contact, input.ContactId);
    checkDestinationResources(instance, input);
    const chainId = `${input.InstanceId}/${source.chain}`;
    const done = this.#transfersPerChain.get(chainId) ?? 0;
    checkTransferLimit(done, this.behaviour.transferLimit);
    this.#transfersPerChain.set(chainId, done + 1);
    const target = this.#moveContact(source, input);
    const output = { ContactId: target.id, ContactArn: this.contactArn(input.InstanceId, target.id) };
    if (tokenKey) this.#tokens.set(tokenKey, { fingerprint, output, at: this.now() });
    return { output, transferred: true, from: source, to: target };
  }

  /**
   * `UpdateContactAttributes`: merges the given attributes into the named contact's (a key given again is
   * overwritten, the others kept). `InitialContactId` may name any contact of a chain, the initial one or a
   * later one: the contact it names is the one updated, ongoing or ended alike, as the API reference allows.
   * Throws {@link ApiError} for an invalid input, an unknown instance or contact, or attributes too large.
   *
   * @example
   * center.updateAttributes({ InstanceId: 'i-1', InitialContactId: 'c', Attributes: { tier: 'gold' } });
   */
  updateAttributes(raw: Record<string, unknown>): AttributesUpdateResult {
    const input = readUpdateAttributesInput(raw);
    this.#authorizedInstance(input.InstanceId, 'UpdateContactAttributes');
    const contact = this.#contacts.get(contactKey(input.InstanceId, input.InitialContactId));
    const attributes = mergedAttributes(contact, input.InitialContactId, input.Attributes);
    const updated = contact as Contact;
    const before = updated.attributes ?? {};
    // A new object each time: a snapshot's shallow copies of the contact keep the attributes they saw.
    updated.attributes = attributes;
    updated.attributeUpdates = (updated.attributeUpdates ?? 0) + 1;
    return { contact: updated, before };
  }

  /** The transfer itself: a new contact linked to the old one (which ends), or the same id kept. */
  #moveContact(source: Contact, input: TransferInput): Contact {
    const now = this.now();
    const { contactIdMode, keepIdShare } = this.behaviour;
    const keepId = contactIdMode === 'keep' || (keepIdShare > 0 && this.random() < keepIdShare);
    let target = source;
    if (!keepId) {
      source.state = 'ENDED';
      source.disconnectedAt = now;
      source.updatedAt = now;
      target = {
        id: randomUUID(),
        instanceId: source.instanceId,
        channel: source.channel,
        state: 'ACTIVE',
        chain: source.chain,
        previousContactId: source.id,
        initiationMethod: 'TRANSFER',
        initiatedAt: now,
        // Connect carries a contact's attributes over a transfer: the new contact starts with a copy of the
        // ones the transferred contact has now, and later updates of either leave the other as it is.
        ...(source.attributes && { attributes: { ...source.attributes } }),
      };
      this.#contacts.set(contactKey(source.instanceId, target.id), target);
    }
    target.queueId = input.QueueId;
    target.userId = input.UserId === undefined ? undefined : userIdOf(input.UserId, source.instanceId);
    target.enqueuedAt = input.QueueId !== undefined ? now : undefined;
    target.connectedToAgentAt = input.UserId !== undefined ? now : undefined;
    target.updatedAt = now;
    return target;
  }

  /** A token still remembered: one older than the token window is forgotten (and dropped). */
  #rememberedToken(tokenKey: string): RememberedToken | undefined {
    const remembered = this.#tokens.get(tokenKey);
    if (remembered && this.now() - (remembered.at ?? 0) > this.behaviour.tokenWindowMs) {
      this.#tokens.delete(tokenKey);
      return undefined;
    }
    return remembered;
  }
}
