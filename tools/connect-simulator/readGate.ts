import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContactCenter } from './ContactCenter.js';
import { associatedContactsOutput, describeContactOutput } from './contactReads.js';
import type { ReadFault } from './faults.js';
import { AttributesLag, ReadLag } from './readLag.js';
import { searchContacts } from './searchContacts.js';
import { TokenBucket } from './TokenBucket.js';
import type { RateQuota, ReadOperation, ReadQuotas, SimulatorCall } from './types.js';
import { ApiError, notFound, sendError, sendJson } from './wire.js';

/**
 * The quota of a read that names none. AWS documents 2 requests/s with a burst of 5 for Connect APIs without
 * a quota of their own, and its documentation names none for `DescribeContact` or `ListAssociatedContacts`
 * (an account's Service Quotas may show more): the documented, harsher side.
 */
export const DEFAULT_READ_QUOTA: RateQuota = { ratePerSecond: 2, burst: 5 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a read found: the answer, or the error to answer; and whether the lag hid a contact from it. */
type Lookup =
  | { readonly output: Record<string, unknown>; readonly lagged: boolean }
  | { readonly error: ApiError; readonly lagged: boolean };

/** How the reads behave: the simulator's read options, with their defaults applied. */
export interface ReadGateOptions {
  readonly quotas: ReadQuotas;
  readonly lagMs: number;
  readonly lagShare: number;
  /** How long `DescribeContact` shows a contact's attributes as they were before an update (ms). */
  readonly attributesLagMs: number;
  /** The PRNG the lag draws from. */
  readonly random: () => number;
  /** The PRNG the attributes' lag draws from, a stream of its own. */
  readonly attributesRandom: () => number;
  /** The simulator's clock (ms). */
  readonly now: () => number;
}

/** A read's call-log entry, less what the gate fills in itself. */
type ReadEntry = Omit<SimulatorCall, 'seq' | 'operation' | 'input' | 'transferred' | 'receivedAt'>;

/**
 * Connect's reads on the wire (`DescribeContact`, `ListAssociatedContacts`) as harsh as AWS may be: each
 * read's own account-wide quota (a 429 ThrottlingException past it, as `TransferContact`'s), scripted faults
 * for the next reads, and new contacts the reads do not see yet ({@link lag}). Every read is logged.
 *
 * @example
 * const reads = new ReadGate(center, { quotas: {}, lagMs: 5_000, lagShare: 1, random, now }, log);
 * reads.lag.created(contact); // unseen for 5 s of the simulator's clock
 * reads.script([{ kind: 'throttle', operation: 'DescribeContact' }]);
 */
export class ReadGate {
  /** The new contacts the reads do not see yet. */
  readonly lag: ReadLag;
  /** The attribute updates `DescribeContact` does not see yet. */
  readonly attributesLag: AttributesLag;
  readonly #buckets: Readonly<Record<ReadOperation, TokenBucket>>;
  #script: ReadFault[] = [];

  readonly #now: () => number;

  constructor(
    private readonly center: ContactCenter,
    { quotas, lagMs, lagShare, attributesLagMs, random, attributesRandom, now }: ReadGateOptions,
    private readonly record: (call: Omit<SimulatorCall, 'seq'>) => void,
  ) {
    this.lag = new ReadLag({ lagMs, share: lagShare }, random, now);
    this.attributesLag = new AttributesLag(
      { lagMs: attributesLagMs, share: lagShare },
      attributesRandom,
      now,
    );
    this.#now = now;
    const bucket = ({ ratePerSecond, burst } = DEFAULT_READ_QUOTA) => new TokenBucket(ratePerSecond, burst);
    this.#buckets = {
      DescribeContact: bucket(quotas.DescribeContact),
      ListAssociatedContacts: bucket(quotas.ListAssociatedContacts),
      SearchContacts: bucket(quotas.SearchContacts),
    };
  }

  /**
   * Replaces the scripted read faults. Each applies to one upcoming read, in order: the next read of its
   * `operation` when it names one, else the next read of either kind. A throttled read takes no fault.
   */
  script(faults: readonly ReadFault[]): void {
    this.#script = [...faults];
  }

  /** Answers one read: its quota first, then its scripted fault, then the contact as the reads see it. */
  async serve(
    operation: Exclude<ReadOperation, 'SearchContacts'>,
    instanceId: string,
    contactId: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const input = { InstanceId: instanceId, ContactId: contactId };
    await this.#answer(operation, input, () => this.#lookUp(operation, instanceId, contactId), req, res);
  }

  /**
   * Answers one `SearchContacts` (`POST /search-contacts`): its own quota and scripted faults as the other
   * reads, then a page of the contacts the search index has caught up with (a lagging contact is missing).
   *
   * @example
   * await reads.serveSearch({ InstanceId: 'i-1', TimeRange: { … } }, req, res);
   */
  async serveSearch(
    input: Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    await this.#answer(
      'SearchContacts',
      input,
      () => {
        let lagged = false;
        try {
          const output = searchContacts(
            this.center.allContacts(),
            input,
            this.#now(),
            (contact) => this.center.contactArn(contact.instanceId, contact.id),
            (contact) => {
              const hidden = this.lag.hides(contact);
              lagged ||= hidden;
              return !hidden;
            },
          );
          return { output, lagged };
        } catch (error) {
          if (error instanceof ApiError) return { error, lagged };
          throw error;
        }
      },
      req,
      res,
    );
  }

  /** One read: its quota first, then its scripted fault, then what `lookUp` finds. Every read is logged. */
  async #answer(
    operation: ReadOperation,
    input: Record<string, unknown>,
    lookUp: () => Lookup,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const receivedAt = Date.now();
    const log = (entry: ReadEntry) =>
      this.record({ operation, input, transferred: false, receivedAt, ...entry });
    if (!this.#buckets[operation].tryTake()) {
      log({ status: 429, errorType: 'ThrottlingException' });
      return sendError(res, new ApiError(429, 'ThrottlingException', 'Rate exceeded'));
    }
    const fault = this.#nextFault(operation);
    if (fault?.kind === 'delay-before') {
      await sleep(fault.ms);
      // The caller gave up while the read waited: nobody hears an answer.
      if (req.socket.destroyed) return log({ status: 0, fault: 'abandoned' });
    }
    if (fault?.kind === 'throttle' || fault?.kind === 'error' || fault?.kind === 'drop') {
      const [status, type] =
        fault.kind === 'throttle' ? [429, 'ThrottlingException'] : [500, 'InternalServiceException'];
      log({ status: fault.kind === 'drop' ? 0 : status, errorType: type, fault: fault.kind });
      if (fault.kind === 'drop') return void req.socket.destroy();
      return sendError(res, new ApiError(status, type, `injected ${fault.kind}`));
    }
    if (fault?.kind === 'not-found') {
      const missing = notFound(`contact ${String(input.ContactId)} not found`);
      log({ status: 404, errorType: missing.type, fault: fault.kind, lagged: true });
      return sendError(res, missing);
    }
    const found = lookUp();
    // Read now, answered later: the answer is as stale as the delay.
    if (fault?.kind === 'delay-after') await sleep(fault.ms);
    const lagged = found.lagged || undefined;
    if ('error' in found) {
      const { status, type, message } = found.error;
      log({ status, errorType: type, errorMessage: message, fault: fault?.kind, lagged });
      return sendError(res, found.error);
    }
    log({ status: 200, output: found.output, fault: fault?.kind, lagged });
    sendJson(res, 200, found.output);
  }

  /** The first scripted fault meant for this read, taken off the script. */
  #nextFault(operation: ReadOperation): ReadFault | undefined {
    const index = this.#script.findIndex((fault) => (fault.operation ?? operation) === operation);
    return index < 0 ? undefined : this.#script.splice(index, 1)[0];
  }

  /**
   * The contact as the reads see it: a lagging contact is unknown when named (the same 404 as a contact
   * that never was, since Connect's answer cannot tell them apart) and left out of its tree.
   */
  #lookUp(operation: ReadOperation, instanceId: string, contactId: string): Lookup {
    const contact = this.center.contact(instanceId, contactId);
    const missing = notFound(`contact ${contactId} not found`);
    if (!contact) return { error: missing, lagged: false };
    if (this.lag.hides(contact)) return { error: missing, lagged: true };
    if (operation === 'DescribeContact') {
      const lagged = this.attributesLag.hides(contact);
      const attributes = this.attributesLag.seen(contact);
      return { output: describeContactOutput(this.center, contact, attributes), lagged };
    }
    const tree = this.center.treeOf(contact);
    const seen = tree.filter((other) => !this.lag.hides(other));
    return {
      output: associatedContactsOutput(this.center, contact, seen),
      lagged: seen.length < tree.length,
    };
  }
}
