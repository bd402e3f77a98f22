import type {
  ContactSearchSummary,
  SearchContactsCommandInput,
  SearchContactsCommandOutput,
} from '@aws-sdk/client-connect';
import { LedgerKey } from '../../src/contract/ledgerKeys.js';
import {
  ruleToken,
  SEARCH_CONTACTS_PAGE_SIZE,
  type SweepCounts,
  type SweepInput,
} from '../../src/contract/sweep.js';
import { type BatchRound, batchGetAll } from '../../src/tables/batchGetAll.js';

/** A ledger key (`pk`). */
export interface LedgerKeyItem {
  readonly pk: string;
}

/** One `SendMessageBatch` entry, and what SQS said of the entries it did not take. */
export interface BatchEntry {
  readonly Id: string;
  readonly MessageBody: string;
}
export interface FailedEntry {
  readonly Id?: string;
  readonly SenderFault?: boolean;
  readonly Code?: string;
  readonly Message?: string;
}

/** The remote calls a run makes, and its clock: injected, so a test can fail, hang or throttle each. */
export interface SweepPorts {
  /** One `SearchContacts` page. */
  search(input: SearchContactsCommandInput): Promise<SearchContactsCommandOutput>;
  /**
   * One `BatchGetItem` round of the ledger over these keys (≤ 100), eventually consistent: a record missed
   * for a moment only means a harmless second request under the same token, at half the read units.
   */
  readLedger(keys: LedgerKeyItem[]): Promise<BatchRound<LedgerKeyItem, LedgerKeyItem>>;
  /** One `SendMessageBatch` call (≤ 10 entries) to the transfer queue; the entries SQS did not take. */
  sendBatch(entries: BatchEntry[]): Promise<readonly FailedEntry[]>;
  /** Milliseconds left before the run must stop (the invocation's deadline, less a margin). */
  remainingMs(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Each notable thing a run did (a throttle, a retried entry, stopping at the deadline). */
  log?(message: string, fields: Record<string, unknown>): void;
}

const isThrottle = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.name === 'ThrottlingException' ||
    e?.name === 'TooManyRequestsException' ||
    e?.$metadata?.httpStatusCode === 429
  );
};

/** Rounds of `SendMessageBatch` for entries SQS did not take, before the run fails. */
const SEND_ROUNDS = 5;
/** The longest wait after a throttle. */
const MAX_BACKOFF_MS = 20_000;

/** Stops the run where it is: the deadline came before the last page. */
class DeadlineReached extends Error {}

/**
 * One run of a transfer rule's sweep: the contacts SearchContacts finds in `[now − window, now − settle]`
 * (by the input's `timestamp`, initiation by default)
 * that the rule should have matched (not disconnected, not started by a transfer unless the rule includes
 * those), less those whose token `rule-<id>-<contactId>` already has a request record in the ledger, are
 * put on the transfer queue with that token. Enqueueing a contact the event path also enqueued is harmless:
 * the same token makes one transfer. SearchContacts is paced to `searchRatePerSecond`; a throttle waits and
 * asks again until the deadline, where the run stops with what it did (`complete: false`): the next run
 * covers the rest. Any other failure fails the run, which the next scheduled run repeats.
 *
 * @example
 * const counts = await runSweep(input, ports); // { found: 12, alreadyRequested: 11, enqueued: 1, … }
 */
export async function runSweep(input: SweepInput, ports: SweepPorts): Promise<SweepCounts> {
  const counts = { found: 0, alreadyRequested: 0, enqueued: 0, pages: 0, throttled: 0, complete: false };
  const started = ports.now();
  // One search: the same range on every page (a page token is bound to its search), over the timestamp the
  // rule chose (a rule on QUEUED events misses contacts queued long after they started unless ENQUEUE).
  const TimeRange = {
    Type: input.timestamp ?? 'INITIATION_TIMESTAMP',
    StartTime: new Date(started - input.windowSeconds * 1000),
    EndTime: new Date(started - input.settleSeconds * 1000),
  };
  const SearchCriteria = {
    ...(input.criteria.Channels && { Channels: [...input.criteria.Channels] }),
    ...(input.criteria.QueueIds && { QueueIds: [...input.criteria.QueueIds] }),
    ...(input.criteria.InitiationMethods && { InitiationMethods: [...input.criteria.InitiationMethods] }),
  } as SearchContactsCommandInput['SearchCriteria'];
  const interval = 1000 / input.searchRatePerSecond;
  let nextCall = started;
  const seen = new Set<string>();

  const search = async (NextToken: string | undefined): Promise<SearchContactsCommandOutput> => {
    for (let throttles = 0; ; throttles += 1) {
      const wait = Math.max(0, nextCall - ports.now());
      if (wait >= ports.remainingMs()) throw new DeadlineReached();
      if (wait > 0) await ports.sleep(wait);
      nextCall = Math.max(nextCall, ports.now()) + interval;
      try {
        return await ports.search({
          InstanceId: input.instanceId,
          TimeRange,
          ...(SearchCriteria && Object.keys(SearchCriteria).length > 0 && { SearchCriteria }),
          Sort: { FieldName: 'INITIATION_TIMESTAMP', Order: 'ASCENDING' },
          MaxResults: SEARCH_CONTACTS_PAGE_SIZE,
          ...(NextToken && { NextToken }),
        });
      } catch (error) {
        if (!isThrottle(error)) throw error;
        counts.throttled += 1;
        // The quota is the account's, shared: back off (with jitter) before the next turn.
        const backoff = Math.min(MAX_BACKOFF_MS, interval * 2 ** Math.min(throttles + 1, 10));
        nextCall = ports.now() + backoff * (0.5 + Math.random() / 2);
        ports.log?.('SearchContacts throttled: waiting', { backoffMs: Math.round(nextCall - ports.now()) });
      }
    }
  };

  try {
    let token: string | undefined;
    do {
      const page = await search(token);
      counts.pages += 1;
      token = page.NextToken;
      const matched = (page.Contacts ?? []).filter((contact) => matches(contact, input, seen));
      counts.found += matched.length;
      if (matched.length === 0) continue;
      if (ports.remainingMs() <= 0) throw new DeadlineReached();
      const requested = await requestedTokens(
        ports,
        matched.map((contact) => ruleToken(input.ruleId, contact.Id as string)),
      );
      const missing = matched.filter(
        (contact) => !requested.has(ruleToken(input.ruleId, contact.Id as string)),
      );
      counts.alreadyRequested += matched.length - missing.length;
      counts.enqueued += await enqueue(ports, input, missing);
    } while (token);
    counts.complete = true;
  } catch (error) {
    if (!(error instanceof DeadlineReached)) throw Object.assign(error as Error, { counts: { ...counts } });
    ports.log?.('stopped at the deadline: the next run covers the rest', { ...counts });
  }
  return { ...counts };
}

/** Whether the rule should have matched a contact the search returned (and it is new to this run). */
function matches(contact: ContactSearchSummary, input: SweepInput, seen: Set<string>): boolean {
  if (!contact.Id || seen.has(contact.Id)) return false;
  seen.add(contact.Id);
  // A disconnected contact cannot be transferred any more; one an agent took is being worked: taking it
  // away an hour later is no escalation.
  if (contact.DisconnectTimestamp !== undefined || contact.AgentInfo?.ConnectedToAgentTimestamp !== undefined)
    return false;
  // Still in a queue the rule watches (a search may name contacts by a queue they have left).
  const queues = input.criteria.QueueIds;
  if (queues && !(contact.QueueInfo?.Id !== undefined && queues.includes(contact.QueueInfo.Id))) return false;
  // As the rule's pattern: contacts a transfer started are left out, unless the rule includes them or its
  // criteria name initiation methods themselves.
  const transferStarted = contact.InitiationMethod === 'TRANSFER';
  return (
    !transferStarted || input.includeTransferredContacts || input.criteria.InitiationMethods !== undefined
  );
}

/**
 * The tokens among these that were already requested: a request record (running or transferred), or a
 * rejection record (dead-lettered: an operator's to decide, never sent again by the sweep; the worker
 * forgets the request record of a refused token). One BatchGetItem of two keys a token (≤ 50 tokens a call).
 */
async function requestedTokens(ports: SweepPorts, tokens: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < tokens.length; start += 50) {
    const keys = tokens
      .slice(start, start + 50)
      .flatMap((token) => [{ pk: LedgerKey.request(token) }, { pk: LedgerKey.rejection(token) }]);
    const items = await batchGetAll(
      (pending) => ports.readLedger(pending),
      keys,
      "the sweep's request and rejection records",
    );
    for (const item of items) found.add(item.pk);
  }
  return new Set(
    tokens.filter((token) => found.has(LedgerKey.request(token)) || found.has(LedgerKey.rejection(token))),
  );
}

/** Puts a request per contact on the transfer queue, 10 per `SendMessageBatch`, failed entries again. */
async function enqueue(
  ports: SweepPorts,
  input: SweepInput,
  contacts: readonly ContactSearchSummary[],
): Promise<number> {
  let sent = 0;
  for (let start = 0; start < contacts.length; start += 10) {
    // What is not sent by the deadline, the next run sends (its records are still missing then).
    if (ports.remainingMs() <= 0) throw new DeadlineReached();
    let entries: BatchEntry[] = contacts.slice(start, start + 10).map((contact, index) => ({
      Id: `c${index}`,
      MessageBody: JSON.stringify({
        InstanceId: input.instanceId,
        ContactId: contact.Id,
        ...input.destination,
        ClientToken: ruleToken(input.ruleId, contact.Id as string),
      }),
    }));
    for (let round = 0; entries.length > 0; round += 1) {
      if (round >= SEND_ROUNDS) throw new Error(`SQS did not take ${entries.length} of the sweep's requests`);
      if (round > 0) await ports.sleep(100 * 2 ** round);
      const failed = await ports.sendBatch(entries);
      const failedIds = new Set(failed.map((entry) => entry.Id));
      sent += entries.length - failedIds.size;
      const senderFaults = failed.filter((entry) => entry.SenderFault);
      if (senderFaults.length > 0)
        throw new Error(`SQS refused the sweep's requests: ${JSON.stringify(senderFaults)}`);
      if (failed.length > 0) ports.log?.('SendMessageBatch entries failed: sending again', { failed });
      entries = entries.filter((entry) => failedIds.has(entry.Id));
    }
  }
  return sent;
}
