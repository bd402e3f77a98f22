/** The remote services a request's path calls. */
export type SeamService = 'dynamodb' | 'sqs' | 'eventbridge' | 'connect';

/** One remote call as the fault layer sees it. */
export interface RemoteCall {
  readonly service: SeamService;
  /** The API operation (`UpdateItem`, `SendMessage`, `PutEvents`, `TransferContact`, …). */
  readonly operation: string;
  /** The call site: which of the worker's calls this is (see {@link callSiteOf}). */
  readonly site: string;
  /** The request's JSON body, when it has one. */
  readonly body: Record<string, unknown> | undefined;
}

type Json = Record<string, unknown>;

/** A DynamoDB call site, told apart by its key and expression. */
interface DynamoSite {
  readonly site: string;
  readonly operation: string;
  /** The key's kind: a ledger `pk` prefix, or `id` for a Powertools idempotency record. */
  readonly key: string;
  /** Text the update expression must contain. */
  readonly expression?: RegExp;
}

// The worker's DynamoDB calls by what they write: a name a reader can find in docs/DESIGN.md's seam table.
// Order matters where one expression contains another's text.
const DYNAMO_SITES: readonly DynamoSite[] = [
  { site: 'idempotency.get', operation: 'GetItem', key: 'id' },
  { site: 'idempotency.begin', operation: 'PutItem', key: 'id' },
  { site: 'idempotency.complete', operation: 'UpdateItem', key: 'id' },
  { site: 'idempotency.delete', operation: 'DeleteItem', key: 'id' },
  { site: 'ledger.findChain', operation: 'BatchGetItem', key: '*' },
  { site: 'ledger.linkContact', operation: 'UpdateItem', key: 'contact#' },
  { site: 'ledger.reserve', operation: 'UpdateItem', key: 'chain#', expression: /ADD tokens/ },
  { site: 'ledger.release', operation: 'UpdateItem', key: 'chain#', expression: /DELETE tokens/ },
  { site: 'ledger.tokensOf', operation: 'GetItem', key: 'chain#' },
  { site: 'request.begin', operation: 'UpdateItem', key: 'request#', expression: /fingerprint/ },
  {
    site: 'request.attributesApplied',
    operation: 'UpdateItem',
    key: 'request#',
    expression: /attributesAppliedAt/,
  },
  { site: 'request.transition', operation: 'UpdateItem', key: 'request#' },
  { site: 'request.forget', operation: 'DeleteItem', key: 'request#' },
  { site: 'request.read', operation: 'GetItem', key: 'request#' },
  { site: 'rejection.record', operation: 'PutItem', key: 'token#' },
  { site: 'deadletter.begin', operation: 'UpdateItem', key: 'deadletter#', expression: /:false/ },
  { site: 'deadletter.finish', operation: 'UpdateItem', key: 'deadletter#' },
  { site: 'deadletter.read', operation: 'GetItem', key: 'deadletter#' },
  { site: 'deadletter.read', operation: 'BatchGetItem', key: 'deadletter#' },
  { site: 'pacing.read', operation: 'GetItem', key: 'pacing#' },
  { site: 'pacing.pause', operation: 'UpdateItem', key: 'pacing#', expression: /pausedAt/ },
  { site: 'pacing.claimCall', operation: 'UpdateItem', key: 'pacing#', expression: /SET nextCallAt/ },
  { site: 'pacing.write', operation: 'UpdateItem', key: 'pacing#' },
];

/** The kind of a DynamoDB key: `id` (an idempotency record) or the ledger key's prefix (`request#`, …). */
function keyKindOf(body: Json | undefined): string {
  const key = (body?.Key ?? {}) as Json;
  if ('id' in key) return 'id';
  const pk = (key.pk as Json | undefined)?.S;
  if (typeof pk === 'string') return `${pk.split('#')[0]}#`;
  const requestItems = body?.RequestItems as Record<string, { Keys?: Json[] }> | undefined;
  const first = Object.values(requestItems ?? {})[0]?.Keys?.[0] as Json | undefined;
  const batchPk = (first?.pk as Json | undefined)?.S;
  if (typeof batchPk === 'string' && batchPk.startsWith('deadletter#')) return 'deadletter#';
  const item = (body?.Item ?? {}) as Json;
  if ('id' in item) return 'id';
  const itemPk = (item.pk as Json | undefined)?.S;
  return typeof itemPk === 'string' ? `${itemPk.split('#')[0]}#` : '*';
}

function dynamoSiteOf(operation: string, body: Json | undefined): string {
  const key = keyKindOf(body);
  const expression = String(body?.UpdateExpression ?? '');
  const site = DYNAMO_SITES.find(
    (candidate) =>
      candidate.operation === operation &&
      (candidate.key === key || (candidate.key === '*' && key !== 'deadletter#')) &&
      (!candidate.expression || candidate.expression.test(expression)),
  );
  return site?.site ?? `dynamodb.${operation}.${key}`;
}

function sqsSiteOf(operation: string, body: Json | undefined): string {
  const queueUrl = String(body?.QueueUrl ?? '');
  const queue = /dlq|dead/i.test(queueUrl.split('/').pop() ?? '') ? 'dlq' : 'queue';
  const verb: Record<string, string> = {
    SendMessage: queue === 'dlq' ? 'send' : 'requeue',
    SendMessageBatch: queue === 'dlq' ? 'sendBatch' : 'hold',
    ChangeMessageVisibility: 'retryIn',
    ReceiveMessage: 'receive',
    DeleteMessage: 'delete',
    DeleteMessageBatch: 'delete',
  };
  return `${queue}.${verb[operation] ?? operation}`;
}

function eventsSiteOf(operation: string, body: Json | undefined): string {
  if (operation !== 'PutEvents') return `events.${operation}`;
  const entry = ((body?.Entries as Json[] | undefined) ?? [])[0];
  const detailType = String(entry?.DetailType ?? '');
  if (/Completed/.test(detailType)) return 'events.completed';
  if (/Failed/.test(detailType)) return 'events.failed';
  return 'events.put';
}

const CONNECT_SITES: Record<string, string> = {
  TransferContact: 'connect.transfer',
  DescribeContact: 'connect.describe',
  ListAssociatedContacts: 'connect.listAssociated',
  UpdateContactAttributes: 'connect.updateAttributes',
  SearchContacts: 'connect.search',
};

/**
 * Names the call site of one remote call: which of the worker's calls it is, from its service, operation
 * and body. The names are those of docs/DESIGN.md's seam table (a DynamoDB call by the item it writes, an
 * SQS call by its queue, an outcome event by its kind), so a fault can be aimed at one call of a path.
 *
 * @example
 * callSiteOf('sqs', 'SendMessage', { QueueUrl: 'http://…/transfer-requests-dlq' }); // 'dlq.send'
 */
export function callSiteOf(service: SeamService, operation: string, body: Json | undefined): string {
  switch (service) {
    case 'dynamodb':
      return dynamoSiteOf(operation, body);
    case 'sqs':
      return sqsSiteOf(operation, body);
    case 'eventbridge':
      return eventsSiteOf(operation, body);
    case 'connect':
      return CONNECT_SITES[operation] ?? `connect.${operation}`;
  }
}

/**
 * The operation a request asks for: the JSON protocols' `x-amz-target` (`DynamoDB_20120810.UpdateItem`,
 * `AmazonSQS.SendMessage`, `AWSEvents.PutEvents`), or Connect's REST route.
 *
 * @example
 * operationOf('connect', 'POST', '/contact/transfer', undefined); // 'TransferContact'
 */
export function operationOf(
  service: SeamService,
  method: string,
  path: string,
  target: string | undefined,
): string {
  if (service !== 'connect') return (target ?? 'Unknown').split('.').pop() ?? 'Unknown';
  const pathname = path.split('?')[0] ?? '';
  if (method === 'POST' && pathname === '/contact/transfer') return 'TransferContact';
  if (method === 'GET' && pathname.startsWith('/contact/associated/')) return 'ListAssociatedContacts';
  if (method === 'GET' && pathname.startsWith('/contacts/')) return 'DescribeContact';
  if (method === 'POST' && pathname === '/contact/attributes') return 'UpdateContactAttributes';
  if (method === 'POST' && pathname.startsWith('/search-contacts')) return 'SearchContacts';
  if (pathname.startsWith('/_simulator/')) return 'Admin';
  return `${method} ${pathname}`;
}
