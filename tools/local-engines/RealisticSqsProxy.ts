import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTraceHeader } from '../../src/tracing/traceHeader.js';
import {
  type ChangeMessageVisibilityInput,
  checkChangeMessageVisibility,
  checkSendMessage,
  checkSendMessageBatch,
  type SendMessageBatchEntryInput,
  type SendMessageBatchInput,
  type SendMessageInput,
  type SqsRefusal,
} from './sqsRules.js';

/**
 * A request the proxy refused, as it answered it (a whole request, or one entry of a batch).
 *
 * @example
 * expect(proxy.refusals).toContainEqual(expect.objectContaining({ code: 'InvalidMessageContents' }));
 */
export interface SqsProxyRefusal {
  /** `SendMessage`, `SendMessageBatch`, `ChangeMessageVisibility`. */
  readonly operation: string;
  /** The SQS error code, e.g. `InvalidMessageContents`. */
  readonly code: string;
  readonly message: string;
}

/**
 * Where the proxy listens.
 *
 * @example
 * await RealisticSqsProxy.start(sqs.endpoint, { port: 4567 });
 */
export interface RealisticSqsProxyOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/** An upstream answer, read whole. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Json = Record<string, unknown>;

/** The operations whose requests or answers the proxy reads; the rest stream through untouched. */
const READ_OPERATIONS = new Set([
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'ChangeMessageVisibility',
  'SetQueueAttributes',
  'CreateQueue',
  'DeleteQueue',
]);

// Connection-level headers belong to one hop: passing the engine's `Connection: close` on would close the
// client's kept-alive socket, and a body the proxy rewrites gets its own length.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
];

const withoutHopByHop = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
  const copy: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
};

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

const parseJson = (body: Buffer): Json | undefined => {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
};

// SigV4 names the caller's access key first in the credential scope: `Credential=<key id>/<date>/…`.
const accessKeyIdOf = (headers: IncomingHttpHeaders): string | undefined =>
  /Credential=([^/\s,]+)\//.exec(headers.authorization ?? '')?.[1];

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
    ...headers,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
};

/**
 * An HTTP proxy in front of fauxqs that makes it answer more like Amazon SQS: it refuses what SQS refuses
 * and fauxqs accepts (characters outside SQS's set in a body or a String attribute, attribute names, types
 * and counts, a size that counts the attributes against the queue's `MaximumMessageSize`, `DelaySeconds`,
 * `VisibilityTimeout`, batch limits, with per-entry failures in `Failed`), as SQS answers (HTTP 400, the
 * JSON protocol's `__type` and `x-amzn-query-error`, so the SDK's `error.name` is the SQS code); and it
 * stamps the `SenderId` system attribute with the sender's access key id, as SQS stamps the caller's
 * identity, and keeps each message's `AWSTraceHeader` (refusing a malformed one, as SQS does). Everything else streams through unchanged, long polls included. The rules live in
 * `sqsRules.ts`.
 *
 * @example
 * const sqs = await startLocalSqs();
 * const proxy = await RealisticSqsProxy.start(sqs.endpoint);
 * const client = new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
 * // … then proxy.refusals lists what SQS would have refused.
 */
export class RealisticSqsProxy {
  readonly #server: Server;
  readonly #target: URL;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #refusals: SqsProxyRefusal[] = [];
  readonly #senders = new Map<string, string>();
  /** Each sent message's `AWSTraceHeader`, which fauxqs does not keep. */
  readonly #traces = new Map<string, string>();
  readonly #maximumSizes = new Map<string, number>();

  private constructor(target: URL) {
    this.#target = target;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => this.#fail(res));
    });
  }

  /**
   * Starts a proxy in front of the SQS engine at `targetEndpoint`.
   *
   * @example
   * const proxy = await RealisticSqsProxy.start('http://127.0.0.1:4566');
   * process.env.AWS_ENDPOINT_URL_SQS = proxy.endpoint;
   */
  static async start(
    targetEndpoint: string,
    options: RealisticSqsProxyOptions = {},
  ): Promise<RealisticSqsProxy> {
    const proxy = new RealisticSqsProxy(new URL(targetEndpoint));
    const server = proxy.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /**
   * The base URL for the SDK's `endpoint` (or `AWS_ENDPOINT_URL_SQS`).
   *
   * @example
   * new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
   */
  get endpoint(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /**
   * Every refusal so far, oldest first: a test can assert that the code under test sent nothing SQS
   * would refuse.
   *
   * @example
   * expect(proxy.refusals).toEqual([]);
   */
  get refusals(): readonly SqsProxyRefusal[] {
    return this.#refusals;
  }

  /**
   * Closes the proxy and its connections (the engine keeps running).
   *
   * @example
   * await proxy.stop();
   */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    if (req.method !== 'POST' || !READ_OPERATIONS.has(operation)) return this.#stream(req, res);
    const raw = await readAll(req);
    const input = parseJson(raw);
    if (!input) return this.#reply(res, await this.#exchange(req, res, raw));
    switch (operation) {
      case 'SendMessage':
        return this.#sendMessage(req, res, raw, input);
      case 'SendMessageBatch':
        return this.#sendMessageBatch(req, res, raw, input);
      case 'ReceiveMessage':
        return this.#receiveMessage(req, res, raw);
      case 'ChangeMessageVisibility':
        return this.#changeMessageVisibility(req, res, raw, input);
      default:
        return this.#changeQueue(req, res, raw, input);
    }
  }

  async #sendMessage(req: IncomingMessage, res: ServerResponse, raw: Buffer, input: Json): Promise<void> {
    const maximum = await this.#maximumSize(input.QueueUrl);
    const refusal = maximum === undefined ? undefined : checkSendMessage(input as SendMessageInput, maximum);
    if (refusal) return this.#refuse(res, 'SendMessage', refusal);
    const { MessageSystemAttributes: system, ...forwarded } = input;
    const answer = await this.#exchange(req, res, system ? Buffer.from(JSON.stringify(forwarded)) : raw);
    if (answer.status === 200) {
      const id = parseJson(answer.body)?.MessageId;
      this.#stamp(req, [id]);
      this.#keepTrace(req, id, input as SendMessageInput);
    }
    this.#reply(res, answer);
  }

  // SQS judges a batch twice: as a whole (then nothing is sent), then entry by entry, where a refused entry
  // goes to `Failed` with `SenderFault: true` and the others are sent. fauxqs gets only the valid entries,
  // under Ids of their own, which are mapped back to the caller's in the merged answer.
  async #sendMessageBatch(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    input: Json,
  ): Promise<void> {
    const maximum = await this.#maximumSize(input.QueueUrl);
    if (maximum === undefined) return this.#reply(res, await this.#exchange(req, res, raw));
    const refusal = checkSendMessageBatch(input as SendMessageBatchInput, maximum);
    if (refusal) return this.#refuse(res, 'SendMessageBatch', refusal);
    const entries = input.Entries as SendMessageBatchEntryInput[];
    const failed: Json[] = [];
    const valid: SendMessageBatchEntryInput[] = [];
    for (const entry of entries) {
      const problem = checkSendMessage(entry, maximum);
      if (!problem) valid.push(entry);
      else {
        this.#record('SendMessageBatch', problem);
        failed.push({ Id: entry.Id, SenderFault: true, Code: problem.code, Message: problem.message });
      }
    }
    if (valid.length === 0) return sendJson(res, 200, { Successful: [], Failed: failed });
    const forwarded = {
      ...input,
      Entries: valid.map(({ MessageSystemAttributes: _system, ...entry }, index) => ({
        ...entry,
        Id: String(index),
      })),
    };
    const answer = await this.#exchange(req, res, Buffer.from(JSON.stringify(forwarded)));
    const result = answer.status === 200 ? parseJson(answer.body) : undefined;
    if (!result) return this.#reply(res, answer);
    const callerId = (entry: unknown): Json => ({
      ...(entry as Json),
      Id: valid[Number((entry as Json).Id)]?.Id,
    });
    const successful = ((result.Successful as unknown[] | undefined) ?? []).map(callerId);
    this.#stamp(
      req,
      successful.map((entry) => entry.MessageId),
    );
    for (const entry of successful)
      this.#keepTrace(
        req,
        entry.MessageId,
        entries.find((candidate) => candidate.Id === entry.Id),
      );
    const order = (entry: Json) => entries.findIndex((candidate) => candidate.Id === entry.Id);
    const allFailed = [...failed, ...((result.Failed as unknown[] | undefined) ?? []).map(callerId)];
    sendJson(res, 200, {
      Successful: successful.sort((a, b) => order(a) - order(b)),
      Failed: allFailed.sort((a, b) => order(a) - order(b)),
    });
  }

  // fauxqs says every message came from account 000000000000; SQS names the sender's identity, which is
  // what lets a receiver trust it. The proxy names the access key id that signed the send, and gives back
  // the `AWSTraceHeader` the message was sent with (fauxqs drops it).
  async #receiveMessage(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const asked = parseJson(raw);
    const names = [
      ...((asked?.AttributeNames as string[] | undefined) ?? []),
      ...((asked?.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ];
    // SQS returns a system attribute only to a receiver that asks for it (or for All).
    const asksForTrace = names.includes('All') || names.includes('AWSTraceHeader');
    const answer = await this.#exchange(req, res, raw);
    const result = answer.status === 200 ? parseJson(answer.body) : undefined;
    const messages = (result?.Messages as Json[] | undefined) ?? [];
    let stamped = false;
    for (const message of messages) {
      const attributes = message.Attributes as Record<string, string> | undefined;
      const sender = this.#senders.get(String(message.MessageId));
      if (attributes?.SenderId !== undefined && sender !== undefined) {
        attributes.SenderId = sender;
        stamped = true;
      }
      const trace = this.#traces.get(String(message.MessageId));
      if (attributes && trace !== undefined && asksForTrace) {
        attributes.AWSTraceHeader = trace;
        stamped = true;
      }
    }
    this.#reply(res, stamped ? { ...answer, body: Buffer.from(JSON.stringify(result)) } : answer);
  }

  async #changeMessageVisibility(req: IncomingMessage, res: ServerResponse, raw: Buffer, input: Json) {
    const refusal = checkChangeMessageVisibility(input as ChangeMessageVisibilityInput);
    if (refusal) return this.#refuse(res, 'ChangeMessageVisibility', refusal);
    this.#reply(res, await this.#exchange(req, res, raw));
  }

  // A queue's maximum size is read once and kept; a call that may change it (SetQueueAttributes) or
  // replace the queue (DeleteQueue, CreateQueue) drops what was kept.
  async #changeQueue(req: IncomingMessage, res: ServerResponse, raw: Buffer, input: Json): Promise<void> {
    const answer = await this.#exchange(req, res, raw);
    this.#maximumSizes.delete(String(input.QueueUrl ?? parseJson(answer.body)?.QueueUrl));
    this.#reply(res, answer);
  }

  async #maximumSize(queueUrl: unknown): Promise<number | undefined> {
    if (typeof queueUrl !== 'string') return undefined;
    const kept = this.#maximumSizes.get(queueUrl);
    if (kept !== undefined) return kept;
    const body = Buffer.from(JSON.stringify({ QueueUrl: queueUrl, AttributeNames: ['MaximumMessageSize'] }));
    const answer = await this.#send(
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
      '/',
      body,
    );
    const attributes = answer.status === 200 ? parseJson(answer.body)?.Attributes : undefined;
    const size = Number((attributes as Json | undefined)?.MaximumMessageSize);
    // An unknown queue gets no rules: fauxqs answers it QueueDoesNotExist, as SQS would.
    if (!Number.isInteger(size)) return undefined;
    this.#maximumSizes.set(queueUrl, size);
    return size;
  }

  #stamp(req: IncomingMessage, messageIds: readonly unknown[]): void {
    const sender = accessKeyIdOf(req.headers);
    if (sender === undefined) return;
    for (const id of messageIds) if (typeof id === 'string') this.#senders.set(id, sender);
  }

  // SQS keeps a message's trace from its `AWSTraceHeader` system attribute, or else from the request's
  // `X-Amzn-Trace-Id` header (which, sent from Lambda, carries the recursion counter `Lineage`).
  #keepTrace(req: IncomingMessage, messageId: unknown, input: SendMessageInput | undefined): void {
    if (typeof messageId !== 'string') return;
    const header = req.headers['x-amzn-trace-id'];
    const trace =
      input?.MessageSystemAttributes?.AWSTraceHeader?.StringValue ??
      (typeof header === 'string' && parseTraceHeader(header) ? header : undefined);
    if (trace !== undefined) this.#traces.set(messageId, trace);
  }

  #record(operation: string, refusal: SqsRefusal): void {
    this.#refusals.push({ operation, code: refusal.code, message: refusal.message });
  }

  // SQS's JSON error: HTTP 400, `__type` naming the error shape, and the query code with the fault in
  // `x-amzn-query-error`, which the SDK (query-compatible for SQS) reads first to name the error.
  #refuse(res: ServerResponse, operation: string, refusal: SqsRefusal): void {
    this.#record(operation, refusal);
    sendJson(
      res,
      400,
      { __type: `com.amazonaws.sqs#${refusal.code}`, message: refusal.message },
      { 'x-amzn-query-error': `${refusal.queryCode};Sender` },
    );
  }

  #fail(res: ServerResponse): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(
      res,
      500,
      { __type: 'com.amazonaws.sqs#InternalError', message: 'the proxy could not reach the local SQS' },
      { 'x-amzn-query-error': 'InternalError;Receiver' },
    );
  }

  /** Forwards a request read whole and reads the answer whole (without compression, to read it). */
  #exchange(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<Answer> {
    const headers = withoutHopByHop(req.headers);
    delete headers['accept-encoding'];
    return this.#send(headers, req.url ?? '/', body, res);
  }

  #send(headers: OutgoingHttpHeaders, path: string, body: Buffer, client?: ServerResponse): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          hostname: this.#target.hostname,
          port: this.#target.port,
          path,
          method: 'POST',
          agent: this.#agent,
          headers: { ...headers, 'content-length': body.length },
        },
        (answer) => {
          readAll(answer)
            .then((text) =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: text }),
            )
            .catch(reject);
        },
      );
      upstream.on('error', reject);
      // A caller that gives up (an aborted long poll) takes its upstream request with it.
      client?.once('close', () => {
        if (!client.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  }

  #reply(res: ServerResponse, answer: Answer): void {
    res.writeHead(answer.status, {
      ...withoutHopByHop(answer.headers),
      'content-length': answer.body.length,
    });
    res.end(answer.body);
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    const upstream = request(
      {
        hostname: this.#target.hostname,
        port: this.#target.port,
        path: req.url,
        method: req.method,
        agent: this.#agent,
        // Without a length, Node sends the body in chunks, as a chunked request came.
        headers: withoutHopByHop(req.headers),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => this.#fail(res));
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}
