import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../connect-simulator/random.js';

/** Faults the proxy injects, as probabilities in [0, 1]. */
export interface DynamoDBFaults {
  /** Answer 500 InternalServerError without forwarding: the request did nothing. @default 0 */
  readonly failBeforeRate?: number;
  /** Forward, then answer 500 anyway: the request was applied, the caller cannot know. @default 0 */
  readonly failAfterRate?: number;
  /** Answer 400 ProvisionedThroughputExceededException without forwarding. @default 0 */
  readonly throttleRate?: number;
  /** @default 1 */
  readonly seed?: number;
}

/**
 * An HTTP proxy in front of a local DynamoDB that injects faults dynalite cannot produce (server errors,
 * throttling, a write applied but answered with an error), and counts requests per operation. Point only
 * the code under test at it; provisioning and checks use the engine directly.
 *
 * @example
 * const proxy = await FaultyDynamoDBProxy.start(dynamodb.endpoint, { failBeforeRate: 0.05 });
 * env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
 */
export class FaultyDynamoDBProxy {
  readonly #counts = new Map<string, number>();
  readonly #injected = new Map<string, number>();
  #faults: DynamoDBFaults;
  #random: () => number;

  private constructor(
    private readonly server: Server,
    faults: DynamoDBFaults,
  ) {
    this.#faults = faults;
    this.#random = seededRandom(faults.seed ?? 1);
  }

  static async start(target: string, faults: DynamoDBFaults = {}): Promise<FaultyDynamoDBProxy> {
    const targetUrl = new URL(target);
    let proxy: FaultyDynamoDBProxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const operation =
          String(req.headers['x-amz-target'] ?? 'unknown')
            .split('.')
            .pop() ?? 'unknown';
        const self = proxy as FaultyDynamoDBProxy;
        self.#counts.set(operation, (self.#counts.get(operation) ?? 0) + 1);
        const fault = self.#draw();
        if (fault === 'fail-before' || fault === 'throttle') {
          self.#injected.set(fault, (self.#injected.get(fault) ?? 0) + 1);
          return sendError(res, fault === 'throttle');
        }
        const forward = request(
          {
            hostname: targetUrl.hostname,
            port: targetUrl.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (upstream) => {
            const reply: Buffer[] = [];
            upstream.on('data', (chunk: Buffer) => reply.push(chunk));
            upstream.on('end', () => {
              if (fault === 'fail-after') {
                self.#injected.set(fault, (self.#injected.get(fault) ?? 0) + 1);
                return sendError(res, false);
              }
              res.writeHead(upstream.statusCode ?? 500, upstream.headers);
              res.end(Buffer.concat(reply));
            });
          },
        );
        forward.on('error', () => sendError(res, false));
        forward.end(body);
      });
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultyDynamoDBProxy(server, faults);
    return proxy;
  }

  /** The base URL for `AWS_ENDPOINT_URL_DYNAMODB`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests seen per operation (`GetItem`, `UpdateItem`, …), injected faults included. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Faults injected, by kind. */
  get injected(): ReadonlyMap<string, number> {
    return this.#injected;
  }

  /** Replaces the fault plan (counts are kept). */
  setFaults(faults: DynamoDBFaults): void {
    this.#faults = faults;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #draw(): 'fail-before' | 'fail-after' | 'throttle' | undefined {
    const { failBeforeRate = 0, failAfterRate = 0, throttleRate = 0 } = this.#faults;
    const draw = this.#random();
    if (draw < failBeforeRate) return 'fail-before';
    if (draw < failBeforeRate + failAfterRate) return 'fail-after';
    if (draw < failBeforeRate + failAfterRate + throttleRate) return 'throttle';
    return undefined;
  }
}

const sendError = (res: import('node:http').ServerResponse, throttled: boolean) => {
  const type = throttled ? 'ProvisionedThroughputExceededException' : 'InternalServerError';
  res.writeHead(throttled ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(
    JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${type}`,
      message: 'injected by the chaos proxy',
    }),
  );
};
