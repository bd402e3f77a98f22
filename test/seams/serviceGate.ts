import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callSiteOf, operationOf, type SeamService } from '../../tools/local-engines/callSites.js';

/** How one of a worker's remote calls went, as its gate saw it. */
export type GateOutcome =
  | 'pending'
  /** Answered 2xx. */
  | 'ok'
  /** Answered with an error status: `<status> <error type>`. */
  | `error ${string}`
  /** The answer was lost (the connection closed without one). */
  | 'dropped'
  /** The worker gave up waiting (its request timeout): the call may still land. */
  | 'abandoned'
  /** The worker crashed at this call, after sending it: it lands, its answer goes to no one. */
  | 'crash: landed'
  /** The worker crashed at this call, before sending it: it never reaches the service. */
  | 'crash: not sent';

/** One remote call of one worker. */
export interface GateCall {
  readonly slot: number;
  /** The worker slot's call number in the run (all services together), from 1. */
  readonly seq: number;
  readonly service: SeamService;
  readonly site: string;
  /** The request's body as sent (for finding the token or message it concerns). */
  readonly body: string;
  outcome: GateOutcome;
}

/** What a gate asks of its worker slot for each call. */
export interface GateKeeper {
  readonly slot: number;
  /** Numbers the call; `crash` says the worker dies at it (and whether the call was sent first). */
  admit(): { readonly seq: number; readonly crash?: { readonly land: boolean } };
  /** Kills the slot's worker process; resolves once it is gone. */
  crash(seq: number): Promise<void>;
  /** The run's log of every worker's calls, which the gate appends to. */
  readonly log: GateCall[];
}

/**
 * How long the gate keeps its own connection to the fault proxy open once nobody waits for the answer. The
 * proxy already has the whole call by then and applies it (now, or late for a hang) whatever the gate does.
 */
const ORPHAN_LINGER_MS = 200;

/**
 * A proxy in front of one service for one worker: it names and logs each call with how it went, and kills
 * the worker at the call its slot's crash plan names (the call then lands or not, as the plan says). It sits
 * in front of the world's {@link FaultProxy}, which injects the faults.
 */
export class ServiceGate {
  readonly #pending = new Set<Promise<void>>();
  #server: Server | undefined;

  private constructor(
    readonly service: SeamService,
    private readonly target: URL,
    private readonly keeper: GateKeeper,
  ) {}

  static async start(service: SeamService, target: string, keeper: GateKeeper): Promise<ServiceGate> {
    const gate = new ServiceGate(service, new URL(target), keeper);
    const server = createServer((req, res) => gate.#handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gate.#server = server;
    return gate;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server?.address() as AddressInfo | null)?.port ?? 0}`;
  }

  /** Resolves once every call forwarded so far has been answered (or given up on). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const operation = operationOf(
        this.service,
        req.method ?? 'GET',
        req.url ?? '/',
        req.headers['x-amz-target'] as string | undefined,
      );
      const { seq, crash } = this.keeper.admit();
      const call: GateCall = {
        slot: this.keeper.slot,
        seq,
        service: this.service,
        site: callSiteOf(this.service, operation, parseJson(text)),
        body: text,
        outcome: 'pending',
      };
      this.keeper.log.push(call);
      if (crash) {
        call.outcome = crash.land ? 'crash: landed' : 'crash: not sent';
        void this.keeper.crash(seq).then(() => {
          res.socket?.destroy();
          if (crash.land) this.#forward(req, body, undefined, call);
        });
        return;
      }
      this.#forward(req, body, res, call);
    });
  }

  /** Sends the call on; answers the worker if it still listens (`res`), else lets the call land alone. */
  #forward(req: IncomingMessage, body: Buffer, res: ServerResponse | undefined, call: GateCall): void {
    const done = new Promise<void>((resolve) => {
      const upstream = request(
        {
          hostname: this.target.hostname,
          port: this.target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          const reply: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => reply.push(chunk));
          answer.on('end', () => {
            const status = answer.statusCode ?? 500;
            if (call.outcome === 'pending')
              call.outcome =
                status < 300 ? 'ok' : `error ${status} ${String(answer.headers['x-amzn-errortype'] ?? '')}`;
            if (res && !res.destroyed) {
              res.writeHead(status, answer.headers);
              res.end(Buffer.concat(reply));
            }
            resolve();
          });
          answer.on('error', () => resolve());
        },
      );
      let giveUp: NodeJS.Timeout | undefined;
      const orphan = () => {
        giveUp ??= setTimeout(() => upstream.destroy(), ORPHAN_LINGER_MS);
      };
      if (!res) orphan();
      upstream.on('close', () => {
        clearTimeout(giveUp);
        if (call.outcome === 'pending') call.outcome = 'dropped';
        if (res && !res.writableEnded) res.socket?.destroy();
        resolve();
      });
      upstream.on('error', () => undefined);
      // The worker gave up (its request timeout) or died: the call is on its way and may still land, but the
      // answer has no one to go to. The service holds it (a hang) or answers into the void.
      res?.on('close', () => {
        if (!res.writableEnded && call.outcome === 'pending') call.outcome = 'abandoned';
        if (!res.writableEnded) orphan();
      });
      upstream.end(body);
    });
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
