import { agentInfoOf, queueInfoOf } from './contactReads.js';
import type { Contact } from './types.js';
import { ApiError, epochSeconds } from './wire.js';

/**
 * `SearchContacts` as the Amazon Connect API reference describes it (`POST /search-contacts`): a required
 * time range on one of the contact's timestamps, optional criteria (channels, initiation methods, queues,
 * agents: a contact must match every list given, any value in a list), a sort, and pages of at most 100
 * contacts with an opaque `NextToken`. What the simulator does not model (transcripts, searchable attributes,
 * hierarchy groups) is refused, never silently ignored. The range is bounded as Connect's contact search is:
 * at most 8 weeks wide, within the last 2 years (older contacts are gone).
 */

/** The timestamps a search can range over. */
const TIME_TYPES = {
  INITIATION_TIMESTAMP: (c: Contact) => c.initiatedAt,
  CONNECTED_TO_AGENT_TIMESTAMP: (c: Contact) => c.connectedToAgentAt,
  DISCONNECT_TIMESTAMP: (c: Contact) => c.disconnectedAt,
  ENQUEUE_TIMESTAMP: (c: Contact) => c.enqueuedAt,
  SCHEDULED_TIMESTAMP: (_c: Contact) => undefined,
} as const;
type TimeType = keyof typeof TIME_TYPES;

const SORT_FIELDS = {
  INITIATION_TIMESTAMP: (c: Contact) => c.initiatedAt,
  SCHEDULED_TIMESTAMP: (_c: Contact) => 0,
  CONNECTED_TO_AGENT_TIMESTAMP: (c: Contact) => c.connectedToAgentAt ?? 0,
  DISCONNECT_TIMESTAMP: (c: Contact) => c.disconnectedAt ?? 0,
  INITIATION_METHOD: (c: Contact) => c.initiationMethod,
  CHANNEL: (c: Contact) => c.channel,
} as const;

/** The widest range one search may cover, and how far back contacts are kept. */
export const SEARCH_MAX_RANGE_MS = 8 * 7 * 24 * 3_600_000;
export const SEARCH_RETENTION_MS = 2 * 365 * 24 * 3_600_000;
const MAX_RESULTS = 100;
const SUPPORTED_CRITERIA = new Set(['Channels', 'InitiationMethods', 'QueueIds', 'AgentIds']);

const invalid = (message: string) => new ApiError(400, 'InvalidParameterException', message);

/** A page token: where the next page starts, bound to the search it continues. */
interface PageToken {
  readonly offset: number;
  readonly search: string;
}

const stringList = (value: unknown, name: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string') || value.length === 0)
    throw invalid(`${name} must be a non-empty list of strings`);
  return value as string[];
};

/** Connect's REST-JSON sends timestamps as epoch seconds (a number, fractions allowed). */
const timestamp = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`TimeRange.${name} is required`);
  return value * 1000;
};

/** A search as the simulator runs it, its input checked. */
interface Search {
  readonly instanceId: string;
  readonly timeOf: (contact: Contact) => number | undefined;
  readonly start: number;
  readonly end: number;
  readonly maxResults: number;
  readonly channels?: readonly string[];
  readonly methods?: readonly string[];
  readonly queues?: readonly string[];
  readonly agents?: readonly string[];
  readonly sortBy: (contact: Contact) => number | string;
  readonly direction: 1 | -1;
  /** The search itself, less its page: a token is valid only for the same search. */
  readonly key: string;
}

/** Reads and checks a `SearchContacts` input, as Connect refuses a bad one (`InvalidParameterException`). */
function readSearch(input: Record<string, unknown>, now: number): Search {
  const instanceId = input.InstanceId;
  if (typeof instanceId !== 'string' || instanceId.length < 1 || instanceId.length > 100)
    throw invalid('InstanceId is required (1 to 100 characters)');
  const range = input.TimeRange as Record<string, unknown> | undefined;
  if (!range || typeof range !== 'object') throw invalid('TimeRange is required');
  const type = range.Type as TimeType;
  if (!(type in TIME_TYPES)) throw invalid(`TimeRange.Type ${String(range.Type)} is not valid`);
  const start = timestamp(range.StartTime, 'StartTime');
  const end = timestamp(range.EndTime, 'EndTime');
  if (end < start) throw invalid('TimeRange.EndTime must not be before StartTime');
  if (end - start > SEARCH_MAX_RANGE_MS) throw invalid('TimeRange must not be wider than 8 weeks');
  if (start < now - SEARCH_RETENTION_MS) throw invalid('TimeRange.StartTime must be within the last 2 years');
  const maxResults = input.MaxResults ?? MAX_RESULTS;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
    throw invalid('MaxResults must be an integer from 1 to 100');
  const criteria = (input.SearchCriteria ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(criteria))
    if (!SUPPORTED_CRITERIA.has(name)) throw invalid(`SearchCriteria.${name} is not served by the simulator`);
  const sort = (input.Sort ?? { FieldName: 'INITIATION_TIMESTAMP', Order: 'ASCENDING' }) as Record<
    string,
    unknown
  >;
  const sortBy = SORT_FIELDS[sort.FieldName as keyof typeof SORT_FIELDS];
  if (!sortBy) throw invalid(`Sort.FieldName ${String(sort.FieldName)} is not valid`);
  if (sort.Order !== 'ASCENDING' && sort.Order !== 'DESCENDING')
    throw invalid(`Sort.Order ${String(sort.Order)} is not valid`);
  const { NextToken: _token, MaxResults: _max, ...search } = input;
  return {
    instanceId,
    timeOf: TIME_TYPES[type],
    start,
    end,
    maxResults,
    channels: stringList(criteria.Channels, 'Channels'),
    methods: stringList(criteria.InitiationMethods, 'InitiationMethods'),
    queues: stringList(criteria.QueueIds, 'QueueIds'),
    agents: stringList(criteria.AgentIds, 'AgentIds'),
    sortBy,
    direction: sort.Order === 'ASCENDING' ? 1 : -1,
    key: JSON.stringify(search),
  };
}

/** Where a page starts: 0, or the offset a token of the same search names. */
function pageStart(token: unknown, searchKey: string): number {
  if (token === undefined) return 0;
  let read: PageToken | undefined;
  try {
    read = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as PageToken;
  } catch {
    read = undefined;
  }
  if (!read || read.search !== searchKey || !Number.isInteger(read.offset) || read.offset < 0)
    throw invalid('NextToken is not valid for this search');
  return read.offset;
}

/** Whether a contact matches a search: its instance, its time in the range, every list of criteria given. */
function matches(search: Search, contact: Contact): boolean {
  const at = search.timeOf(contact);
  const anyOf = (list: readonly string[] | undefined, value: string | undefined) =>
    !list || (value !== undefined && list.includes(value));
  return (
    contact.instanceId === search.instanceId &&
    at !== undefined &&
    at >= search.start &&
    at <= search.end &&
    anyOf(search.channels, contact.channel) &&
    anyOf(search.methods, contact.initiationMethod) &&
    anyOf(search.queues, contact.queueId) &&
    anyOf(search.agents, contact.userId)
  );
}

/** A contact as `SearchContacts` summarizes it. */
const summaryOf = (contact: Contact, arn: string) => ({
  Arn: arn,
  Id: contact.id,
  InitialContactId: contact.chain !== contact.id ? contact.chain : undefined,
  PreviousContactId: contact.previousContactId,
  InitiationMethod: contact.initiationMethod,
  Channel: contact.channel,
  QueueInfo: queueInfoOf(contact),
  AgentInfo: agentInfoOf(contact),
  InitiationTimestamp: epochSeconds(contact.initiatedAt),
  DisconnectTimestamp: epochSeconds(contact.disconnectedAt),
});

/**
 * One page of the contacts a search matches, or the `ApiError` Connect answers. `visible` says which
 * contacts the search index has caught up with (a new contact may be missing for a while).
 *
 * @example
 * searchContacts(contacts, { InstanceId: 'i-1', TimeRange: { Type: 'INITIATION_TIMESTAMP', StartTime: 0, EndTime: 60 } }, now, arnOf);
 */
export function searchContacts(
  contacts: Iterable<Contact>,
  input: Record<string, unknown>,
  now: number,
  arnOf: (contact: Contact) => string,
  visible: (contact: Contact) => boolean = () => true,
): Record<string, unknown> {
  const search = readSearch(input, now);
  const offset = pageStart(input.NextToken, search.key);
  const found = [...contacts].filter((contact) => matches(search, contact) && visible(contact));
  found.sort((a, b) => {
    const [x, y] = [search.sortBy(a), search.sortBy(b)];
    return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : 1) * search.direction;
  });
  const next = offset + search.maxResults < found.length ? offset + search.maxResults : undefined;
  return {
    Contacts: found.slice(offset, offset + search.maxResults).map((c) => summaryOf(c, arnOf(c))),
    TotalCount: found.length,
    ...(next !== undefined && {
      NextToken: Buffer.from(JSON.stringify({ offset: next, search: search.key })).toString('base64url'),
    }),
  };
}
