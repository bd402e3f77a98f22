import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A Connect API error as REST-JSON carries it: the HTTP status, `x-amzn-ErrorType`, and `{ "Message" }` (the
 * member the service model names).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A 400 InvalidRequestException, the error most of Connect's rules answer. */
export const invalidRequest = (message: string) => new ApiError(400, 'InvalidRequestException', message);
/** A 404 ResourceNotFoundException. */
export const notFound = (message: string) => new ApiError(404, 'ResourceNotFoundException', message);

/** The operations the simulator serves, from a request's method and path. */
export type Operation =
  | { readonly kind: 'admin'; readonly path: string }
  | { readonly kind: 'TransferContact' }
  | { readonly kind: 'UpdateContactAttributes' }
  | { readonly kind: 'SearchContacts' }
  | { readonly kind: 'DescribeContact'; readonly instanceId: string; readonly contactId: string }
  | { readonly kind: 'ListAssociatedContacts'; readonly instanceId: string; readonly contactId: string }
  | { readonly kind: 'unknown' };

/**
 * Which operation a request asks for, by Connect's REST routes (`POST /contact/transfer`,
 * `POST /contact/attributes`, `GET /contacts/{InstanceId}/{ContactId}`,
 * `GET /contact/associated/{InstanceId}?contactId=`).
 *
 * @example
 * operationOf('GET', new URL('http://x/contacts/i-1/c-1')); // { kind: 'DescribeContact', instanceId: 'i-1', contactId: 'c-1' }
 */
export function operationOf(method: string, url: URL): Operation {
  if (url.pathname.startsWith('/_simulator/')) return { kind: 'admin', path: url.pathname };
  if (method === 'POST' && url.pathname === '/contact/transfer') return { kind: 'TransferContact' };
  if (method === 'POST' && url.pathname === '/contact/attributes') return { kind: 'UpdateContactAttributes' };
  if (method === 'POST' && url.pathname === '/search-contacts') return { kind: 'SearchContacts' };
  const associated = /^\/contact\/associated\/([^/]+)$/.exec(url.pathname);
  if (method === 'GET' && associated) {
    return {
      kind: 'ListAssociatedContacts',
      instanceId: decodeURIComponent(associated[1] ?? ''),
      contactId: url.searchParams.get('contactId') ?? '',
    };
  }
  const describe = /^\/contacts\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (method === 'GET' && describe) {
    return {
      kind: 'DescribeContact',
      instanceId: decodeURIComponent(describe[1] ?? ''),
      contactId: decodeURIComponent(describe[2] ?? ''),
    };
  }
  return { kind: 'unknown' };
}

/** Milliseconds as the epoch seconds REST-JSON timestamps are. */
export const epochSeconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** A request's whole body as text. */
export const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A body that must be a JSON object (an empty body is `{}`). */
export const parseJsonObject = (body: string): Record<string, unknown> => {
  const value: unknown = body ? JSON.parse(body) : {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('body must be a JSON object');
  return value as Record<string, unknown>;
};

/** Answers with a JSON body. */
export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-RequestId': randomUUID() });
  res.end(JSON.stringify(body));
};

/** Answers with an error as the SDK's REST-JSON deserializer reads it. */
export const sendError = (res: ServerResponse, error: ApiError): void => {
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': error.type,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(JSON.stringify({ Message: error.message }));
};
