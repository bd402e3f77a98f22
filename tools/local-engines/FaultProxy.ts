import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../connect-simulator/random.js';
import { callSiteOf, operationOf, type RemoteCall, type SeamService } from './callSites.js';

/**
 * What a remote call can do besides answering, as AWS does not rule out:
 * - `fail-before`: a 5xx without applying;
 * - `fail-after`: applied, then answered with a 5xx (the caller cannot know it applied);
 * - `throttle`: the service's throttling error, not applied;
 * - `drop-answer`: applied, then the connection closes without an answer;
 * - `hang`: no answer until the caller gives up, and applied after that (a late write).
 */
export const SEAM_FAULTS = ['fail-before', 'fail-after', 'throttle', 'drop-answer', 'hang'] as const;
/** One of {@link SEAM_FAULTS}. */
export type SeamFault = (typeof SEAM_FAULTS)[number];

/** A fault aimed at calls of one site. */
export interface FaultRule {
  /** The call site (see `callSiteOf`), or a test over the call. */
  readonly site: string | ((call: RemoteCall) => boolean);
  readonly fault: SeamFault;
  /** Matching calls let through before the first faulted one. @default 0 */
  readonly skip?: number;
  /** How many matching calls are faulted. @default 1 */
  readonly times?: number;
}

/** Faults drawn at random for every call (the harsh default of demo and chaos). Rates in [0, 1]. */
export interface RandomFaults {
  readonly rates: Partial<Record<SeamFault, number>>;
  /** @default 1 */
  readonly seed?: number;
  /** Only calls of these sites. @default - every call but the local runner's own (receive, delete) */
  readonly sites?: readonly string[];
}

/** How a proxy is started. */
export interface FaultProxyOptions {
  /** How long a hung call is held before it is applied (longer than the caller's timeout). @default 1500 */
  readonly hangMs?: number;
  readonly random?: RandomFaults;
  /**
   * SQS only: delays and visibility timeouts longer than this are shortened to it, so a test does not wait out
   * a requeue's 30 s. One that is not a whole number is left for the local SQS to refuse. @default - unchanged
   */
  readonly maxDelaySeconds?: number;
}

/** A fault the proxy injected. */
export interface InjectedFault {
  readonly site: string;
  readonly fault: SeamFault;
  readonly operation: string;
}

interface ArmedRule {
  readonly rule: FaultRule;
  skipped: number;
  fired: number;
}

// The local runner's own calls (Lambda's poller in AWS) are not the worker's seams.
const POLLER_SITES = new Set(['queue.receive', 'queue.delete', 'dlq.receive', 'dlq.delete']);

/**
 * A fault layer in front of one local engine (dynalite, the local SQS, the local EventBridge, the Connect
 * simulator): an HTTP proxy that names each call's site and, per site, fails it before applying, applies it
 * and then errors, throttles it, drops its answer, or hangs it past the caller's timeout, as scripted rules
 * or at random. It counts every call per site, so a test also learns which sites a path reaches.
 *
 * @example
 * const proxy = await FaultProxy.start('dynamodb', dynamodb.endpoint);
 * proxy.inject({ site: 'request.transition', fault: 'throttle' });
 * env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
 */
export class FaultProxy {
  readonly #counts = new Map<string, number>();
  readonly #injected: InjectedFault[] = [];
  readonly #pending = new Set<Promise<void>>();
  #rules: ArmedRule[] = [];
  #random: { readonly plan: RandomFaults; readonly draw: () => number } | undefined;
  #server: Server | undefined;

  private constructor(
    readonly service: SeamService,
    private readonly target: URL,
    private readonly options: FaultProxyOptions,
  ) {
    this.randomFaults(options.random);
  }

  static async start(
    service: SeamService,
    target: string,
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    const proxy = new FaultProxy(service, new URL(target), options);
    const server = createServer((req, res) => proxy.#handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy.#server = server;
    return proxy;
  }

  /** The base URL for `AWS_ENDPOINT_URL_<SERVICE>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server?.address() as AddressInfo | null)?.port ?? 0}`;
  }

  /** Calls seen per site, faulted ones included. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Every fault injected so far, in order. */
  get injected(): readonly InjectedFault[] {
    return this.#injected;
  }

  /** Aims a fault at the next matching call(s). */
  inject(rule: FaultRule): void {
    this.#rules.push({ rule, skipped: 0, fired: 0 });
  }

  /** Replaces the random faults (none: `undefined`). */
  randomFaults(plan: RandomFaults | undefined): void {
    this.#random = plan && { plan, draw: seededRandom(plan.seed ?? 1) };
  }

  /** Drops every scripted rule (random faults stay). */
  clearRules(): void {
    this.#rules = [];
  }

  /** Drops every scripted rule and forgets the counts. */
  reset(): void {
    this.#rules = [];
    this.#counts.clear();
    this.#injected.length = 0;
  }

  /** Resolves once every hung call has been applied. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async stop(): Promise<void> {
    await this.settled();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: Buffer = Buffer.concat(chunks);
      const json = parseJson(body);
      const operation = operationOf(
        this.service,
        req.method ?? 'GET',
        req.url ?? '/',
        req.headers['x-amz-target'] as string | undefined,
      );
      const call: RemoteCall = {
        service: this.service,
        operation,
        site: callSiteOf(this.service, operation, json),
        body: json,
      };
      this.#counts.set(call.site, (this.#counts.get(call.site) ?? 0) + 1);
      if (this.options.maxDelaySeconds !== undefined && json) {
        body = shortenDelays(json, this.options.maxDelaySeconds) ?? body;
      }
      const fault = this.#faultFor(call);
      if (fault) this.#injected.push({ site: call.site, fault, operation });
      this.#serve(req, res, body, fault);
    });
  }

  #serve(req: IncomingMessage, res: ServerResponse, body: Buffer, fault: SeamFault | undefined): void {
    if (fault === 'fail-before' || fault === 'throttle') {
      sendFault(res, this.service, fault === 'throttle');
      return;
    }
    if (fault === 'hang') {
      // The caller times out and goes; the call is applied later, its answer to no one.
      const late = new Promise<void>((resolve) => setTimeout(resolve, this.options.hangMs ?? 1_500))
        .then(() => this.#forward(req, body))
        .then(
          () => undefined,
          () => undefined,
        );
      this.#pending.add(late);
      void late.finally(() => this.#pending.delete(late));
      return;
    }
    this.#forward(req, body).then(
      (answer) => {
        if (fault === 'fail-after') return sendFault(res, this.service, false);
        if (fault === 'drop-answer') return res.socket?.destroy();
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      },
      () => sendFault(res, this.service, false),
    );
  }

  #faultFor(call: RemoteCall): SeamFault | undefined {
    for (const armed of this.#rules) {
      const { site, times = 1, skip = 0 } = armed.rule;
      const matches = typeof site === 'string' ? site === call.site : site(call);
      if (!matches || armed.fired >= times) continue;
      if (armed.skipped < skip) {
        armed.skipped += 1;
        continue;
      }
      armed.fired += 1;
      return armed.rule.fault;
    }
    const random = this.#random;
    if (!random || call.operation === 'Admin') return undefined;
    const { sites, rates } = random.plan;
    if (sites ? !sites.includes(call.site) : POLLER_SITES.has(call.site)) return undefined;
    let draw = random.draw();
    for (const fault of SEAM_FAULTS) {
      draw -= rates[fault] ?? 0;
      if (draw < 0) return fault;
    }
    return undefined;
  }

  #forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const upstream = request(
        {
          hostname: this.target.hostname,
          port: this.target.port,
          path: req.url,
          method: req.method,
          headers,
        },
        (answer) => {
          const reply: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => reply.push(chunk));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 500,
              headers: answer.headers,
              body: Buffer.concat(reply),
            }),
          );
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The SQS body with every whole-number delay above `max` shortened to it; `undefined` when none was. */
function shortenDelays(json: Record<string, unknown>, max: number): Buffer | undefined {
  let changed = false;
  const shorten = (holder: Record<string, unknown>) => {
    for (const name of ['DelaySeconds', 'VisibilityTimeout']) {
      const delay = holder[name];
      if (typeof delay === 'number' && Number.isInteger(delay) && delay > max) {
        holder[name] = max;
        changed = true;
      }
    }
  };
  shorten(json);
  for (const entry of (json.Entries as Record<string, unknown>[] | undefined) ?? []) shorten(entry);
  return changed ? Buffer.from(JSON.stringify(json)) : undefined;
}

/** Each service's server error and throttle, as its SDK client parses them. */
const FAULT_ANSWERS: Record<
  SeamService,
  { readonly error: [number, string]; readonly throttle: [number, string] }
> = {
  dynamodb: {
    error: [500, 'com.amazonaws.dynamodb.v20120810#InternalServerError'],
    throttle: [400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException'],
  },
  sqs: {
    error: [500, 'com.amazonaws.sqs#InternalError'],
    throttle: [400, 'com.amazonaws.sqs#RequestThrottled'],
  },
  eventbridge: { error: [500, 'InternalException'], throttle: [400, 'ThrottlingException'] },
  connect: { error: [500, 'InternalServiceException'], throttle: [429, 'ThrottlingException'] },
};

function sendFault(res: ServerResponse, service: SeamService, throttled: boolean): void {
  const [status, type] = FAULT_ANSWERS[service][throttled ? 'throttle' : 'error'];
  const message = 'injected by the fault layer';
  if (service === 'connect') {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ Message: message }));
    return;
  }
  const contentType = service === 'eventbridge' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
  const headers: Record<string, string> = { 'content-type': contentType };
  // SQS's JSON protocol keeps the query protocol's error code in a header as well.
  if (service === 'sqs')
    headers['x-amzn-query-error'] = `${type.split('#')[1]};${throttled ? 'Sender' : 'Receiver'}`;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ __type: type, message }));
}
