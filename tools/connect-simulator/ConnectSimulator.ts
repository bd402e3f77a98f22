import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './random.js';
import { TokenBucket } from './TokenBucket.js';

/** Contact channels. Connect transfers only TASK and EMAIL contacts. */
export const Channel = { Voice: 'VOICE', Chat: 'CHAT', Task: 'TASK', Email: 'EMAIL' } as const;
/** One of {@link Channel}. */
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Flow types. `TransferContact` accepts inbound (`CONTACT_FLOW`), transfer-to-agent and transfer-to-queue flows. */
export const FlowType = {
  ContactFlow: 'CONTACT_FLOW',
  AgentTransfer: 'AGENT_TRANSFER',
  QueueTransfer: 'QUEUE_TRANSFER',
  CustomerQueue: 'CUSTOMER_QUEUE',
  CustomerWhisper: 'CUSTOMER_WHISPER',
  AgentWhisper: 'AGENT_WHISPER',
  OutboundWhisper: 'OUTBOUND_WHISPER',
  CustomerHold: 'CUSTOMER_HOLD',
  AgentHold: 'AGENT_HOLD',
} as const;
/** One of {@link FlowType}. */
export type FlowType = (typeof FlowType)[keyof typeof FlowType];

const TRANSFERABLE_CHANNELS = new Set<string>([Channel.Task, Channel.Email]);
const TRANSFER_FLOW_TYPES = new Set<string>([
  FlowType.ContactFlow,
  FlowType.AgentTransfer,
  FlowType.QueueTransfer,
]);

/** A contact to seed. */
export interface SeedContact {
  readonly id: string;
  /** @default 'TASK' */
  readonly channel?: Channel;
  /** @default 'ACTIVE' */
  readonly state?: 'ACTIVE' | 'ENDED';
  /** When it started, and last changed (ms on the simulator's clock). @default - now */
  readonly initiatedAt?: number;
}

/** An instance to seed, with what lives in it. */
export interface SeedInstance {
  readonly id: string;
  /** Every call on this instance answers 403 AccessDeniedException. @default false */
  readonly accessDenied?: boolean;
  readonly flows?: readonly { readonly id: string; readonly type: FlowType }[];
  readonly queues?: readonly string[];
  readonly users?: readonly string[];
  readonly contacts?: readonly SeedContact[];
}

/** Resources to add to the simulator. */
export interface SimulatorSeed {
  readonly instances: readonly SeedInstance[];
}

/** A fault applied to one upcoming `TransferContact` call, in order. */
export type ScriptedFault =
  /** Answer 429 ThrottlingException without doing anything. */
  | { readonly kind: 'throttle' }
  /** Answer 500 InternalServiceException without doing anything. */
  | { readonly kind: 'error' }
  /** Close the connection without an answer, without doing anything. */
  | { readonly kind: 'drop' }
  /** Do the transfer, then answer 500: the caller cannot know it happened. */
  | { readonly kind: 'commit-then-error' }
  /** Do the transfer, then close the connection without an answer. */
  | { readonly kind: 'commit-then-drop' }
  /** Wait `ms` before handling the call (before anything is done). */
  | { readonly kind: 'delay-before'; readonly ms: number }
  /** Do the transfer, then wait `ms` before answering. */
  | { readonly kind: 'delay-after'; readonly ms: number };

/** Random faults, drawn from a seeded PRNG for reproducible runs. Rates are probabilities in [0, 1]. */
export interface FaultPlan {
  /** @default 0 */
  readonly throttleRate?: number;
  /** @default 0 */
  readonly errorRate?: number;
  /** @default 0 */
  readonly dropRate?: number;
  /** Probability that a transfer is done and then answered with a 500. @default 0 */
  readonly commitThenErrorRate?: number;
  /** Added to every call. @default 0 */
  readonly latencyMs?: number;
  /** Probability that a call is held `holdMs` before it is processed (a caller may vanish meanwhile). @default 0 */
  readonly holdBeforeRate?: number;
  /** Probability that a call is processed, then held `holdMs` before it is answered. @default 0 */
  readonly holdAfterRate?: number;
  /** How long a held call waits. @default 1000 */
  readonly holdMs?: number;
  /** Faults for the next calls, one each, before any random fault. @default [] */
  readonly script?: readonly ScriptedFault[];
}

/** How the simulator behaves. */
export interface ConnectSimulatorOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Token-bucket refill rate of `TransferContact`. @default 2 */
  readonly ratePerSecond?: number;
  /** Token-bucket size. @default 5 */
  readonly burst?: number;
  /** Transfers allowed per contact chain. @default 11 */
  readonly transferLimit?: number;
  /** `new`: a transfer returns a new ContactId and ends the old contact; `keep`: the id stays. @default 'new' */
  readonly contactIdMode?: 'new' | 'keep';
  /**
   * With `contactIdMode: 'new'`, the share of transfers (drawn from the seeded PRNG) that keep the contact's
   * id anyway, so a run sees both behaviours. @default 0
   */
  readonly keepIdShare?: number;
  /**
   * How long a `ClientToken` is remembered, from the transfer it completed. AWS documents no window for
   * `TransferContact` (sibling Connect APIs keep tokens 7 days); past it, the same token transfers again.
   * `Infinity` is the kind world. @default 7 days
   */
  readonly tokenWindowMs?: number;
  /**
   * The order of Connect's checks, which AWS does not document. `state-first`: the contact (exists, channel,
   * active) is checked before the token, so the retry of a transfer whose answer was lost is refused
   * ("not active") although it happened. `token-first`: a known token is replayed before any check.
   * @default 'state-first'
   */
  readonly checkOrder?: 'state-first' | 'token-first';
  /** Seed of the fault PRNG. @default 1 */
  readonly seed?: number;
}

/** One call the simulator received. */
export interface SimulatorCall {
  readonly seq: number;
  readonly operation: 'TransferContact' | 'DescribeContact' | 'ListAssociatedContacts';
  readonly input: Record<string, unknown>;
  readonly status: number;
  readonly errorType?: string;
  /** The error's message, for a refusal. */
  readonly errorMessage?: string;
  readonly output?: Record<string, unknown>;
  /** The injected fault, if any. */
  readonly fault?: string;
  /** Whether this call performed a transfer (replays of a token do not). */
  readonly transferred: boolean;
}

/** The simulator's whole state as JSON. */
export interface SimulatorSnapshot {
  readonly instances: readonly SeedInstance[];
  readonly contacts: readonly Contact[];
  readonly transfersPerChain: Readonly<Record<string, number>>;
  readonly tokens: Readonly<Record<string, RememberedToken>>;
  readonly calls: readonly SimulatorCall[];
  /** How far the simulator's clock was advanced (ms). */
  readonly clockOffsetMs?: number;
}

/** A token Connect remembers: the request it ran and what it answered, until the token window ends. */
export interface RememberedToken {
  readonly fingerprint: string;
  readonly output: Record<string, unknown>;
  /** When it was stored, on the simulator's clock (ms). */
  readonly at?: number;
}

/** A contact the simulator holds. */
export interface Contact {
  id: string;
  instanceId: string;
  channel: Channel;
  state: 'ACTIVE' | 'ENDED';
  chain: string;
  previousContactId?: string;
  queueId?: string;
  userId?: string;
  initiationMethod: string;
  initiatedAt: number;
  /** When it was queued (ms), once a transfer put it in a queue. */
  enqueuedAt?: number;
  /** When an agent got it (ms), once a transfer gave it to one. */
  connectedToAgentAt?: number;
  /** When it ended (ms). */
  disconnectedAt?: number;
  /** When anything about it last changed (ms). */
  updatedAt?: number;
}

interface Instance {
  id: string;
  accessDenied: boolean;
  flows: Map<string, FlowType>;
  queues: Set<string>;
  users: Set<string>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The `TransferContact` wire fields, in the order a fingerprint of the request uses them. */
const TRANSFER_FIELDS = ['InstanceId', 'ContactId', 'ContactFlowId', 'QueueId', 'UserId'] as const;

/**
 * An Amazon Connect simulator for tests, the local mode and benchmarks. It speaks Connect's REST-JSON wire
 * protocol (`POST /contact/transfer`, `GET /contacts/{InstanceId}/{ContactId}`; errors as HTTP status,
 * `x-amzn-ErrorType` and `{ "Message" }`, the service model's member), so the unmodified `@aws-sdk/client-connect` talks to it through
 * `AWS_ENDPOINT_URL_CONNECT`. It enforces the documented `TransferContact` rules and can inject faults.
 *
 * Error each rule returns (Connect does not document the mapping; these are this simulator's choices):
 * rate quota: 429 ThrottlingException; unknown instance, contact, flow, queue or user: 404
 * ResourceNotFoundException; access denied: 403 AccessDeniedException; both or neither of QueueId and
 * UserId, a missing or over-long field, a channel other than TASK or EMAIL, a contact that is not active,
 * a flow of another type: 400 InvalidRequestException; a 12th transfer of a chain: 402
 * ServiceQuotaExceededException; a ClientToken reused with other parameters: 409 IdempotencyException.
 *
 * @example
 * const simulator = await ConnectSimulator.start({ ratePerSecond: 100, burst: 100 });
 * simulator.seed({ instances: [{ id: 'i-1', flows: [{ id: 'f-1', type: 'QUEUE_TRANSFER' }], queues: ['q-1'], contacts: [{ id: 'c-1' }] }] });
 * process.env.AWS_ENDPOINT_URL_CONNECT = simulator.endpoint;
 */
export class ConnectSimulator {
  readonly #options: Required<ConnectSimulatorOptions>;
  readonly #server: Server;
  readonly #instances = new Map<string, Instance>();
  readonly #contacts = new Map<string, Contact>();
  readonly #transfersPerChain = new Map<string, number>();
  readonly #tokens = new Map<string, RememberedToken>();
  readonly #calls: SimulatorCall[] = [];
  #bucket: TokenBucket;
  #faults: FaultPlan = {};
  #script: ScriptedFault[] = [];
  #random: () => number;
  #held = 0;
  #clockOffsetMs = 0;

  private constructor(options: ConnectSimulatorOptions) {
    this.#options = {
      port: 0,
      host: '127.0.0.1',
      region: 'us-east-1',
      accountId: '123456789012',
      ratePerSecond: 2,
      burst: 5,
      transferLimit: 11,
      contactIdMode: 'new',
      keepIdShare: 0,
      tokenWindowMs: 7 * 86_400_000,
      checkOrder: 'state-first',
      seed: 1,
      ...options,
    };
    this.#bucket = new TokenBucket(this.#options.ratePerSecond, this.#options.burst);
    this.#random = seededRandom(this.#options.seed);
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, new ApiError(500, 'InternalServiceException', String(error)));
      });
    });
    // Keep-alive sockets from SDK clients must not hold `stop()` open.
    this.#server.keepAliveTimeout = 1_000;
  }

  /**
   * Starts a simulator listening on `host:port`.
   *
   * @example
   * const simulator = await ConnectSimulator.start();
   * simulator.endpoint; // 'http://127.0.0.1:40123'
   */
  static async start(options: ConnectSimulatorOptions = {}): Promise<ConnectSimulator> {
    const simulator = new ConnectSimulator(options);
    await new Promise<void>((resolve, reject) => {
      simulator.#server.once('error', reject);
      simulator.#server.listen(simulator.#options.port, simulator.#options.host, resolve);
    });
    return simulator;
  }

  /** The base URL to give the SDK as `AWS_ENDPOINT_URL_CONNECT`. */
  get endpoint(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://${this.#options.host}:${port}`;
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Adds instances and what lives in them. Seeding an existing instance adds to it.
   *
   * @example
   * simulator.seed({ instances: [{ id: 'i-1', contacts: [{ id: 'c-1', channel: 'TASK' }] }] });
   */
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
        this.#contacts.set(contactKey(spec.id, contact.id), {
          id: contact.id,
          instanceId: spec.id,
          channel: contact.channel ?? Channel.Task,
          state: contact.state ?? 'ACTIVE',
          chain: contact.id,
          initiationMethod: 'API',
          initiatedAt: contact.initiatedAt ?? this.now(),
          updatedAt: contact.initiatedAt ?? this.now(),
          ...(contact.state === 'ENDED' && { disconnectedAt: this.now(), updatedAt: this.now() }),
        });
      }
    }
  }

  /**
   * Replaces the fault plan. Scripted faults apply to the next `TransferContact` calls, one each.
   *
   * @example
   * simulator.injectFaults({ script: [{ kind: 'throttle' }, { kind: 'commit-then-error' }] });
   */
  injectFaults(plan: FaultPlan): void {
    this.#faults = plan;
    this.#script = [...(plan.script ?? [])];
  }

  /**
   * Everything the simulator knows (instances, contacts, chains, tokens, calls) as plain JSON, for the
   * local mode to keep across restarts.
   */
  snapshot(): SimulatorSnapshot {
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
      calls: [...this.#calls],
      clockOffsetMs: this.#clockOffsetMs,
    };
  }

  /**
   * Restores a {@link snapshot}, replacing the current state.
   *
   * @example
   * simulator.restore(JSON.parse(readFileSync('simulator.json', 'utf8')));
   */
  restore(snapshot: SimulatorSnapshot): void {
    this.#instances.clear();
    this.#contacts.clear();
    this.#transfersPerChain.clear();
    this.#tokens.clear();
    this.#calls.length = 0;
    this.seed({ instances: snapshot.instances });
    for (const contact of snapshot.contacts)
      this.#contacts.set(contactKey(contact.instanceId, contact.id), { ...contact });
    for (const [chain, count] of Object.entries(snapshot.transfersPerChain))
      this.#transfersPerChain.set(chain, count);
    for (const [key, value] of Object.entries(snapshot.tokens)) this.#tokens.set(key, value);
    this.#calls.push(...snapshot.calls);
    this.#clockOffsetMs = snapshot.clockOffsetMs ?? 0;
  }

  /**
   * Moves the simulator's clock forward: tokens older than the token window are then forgotten, as Connect
   * forgets them. Only the simulator's clock moves (contact timestamps, token ages), not the process's.
   *
   * @example
   * simulator.advanceClock(8 * 86_400_000); // every token transferred so far is forgotten
   */
  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
  }

  /** The simulator's clock (ms): the process's, plus what {@link advanceClock} added. */
  now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  /** `TransferContact` calls received and not yet answered (held by an injected delay). */
  get heldCalls(): number {
    return this.#held;
  }

  /** Every call received so far, in order. */
  get calls(): readonly SimulatorCall[] {
    return this.#calls;
  }

  /**
   * The contact a tree is on now, as a producer following its contact events knows it: the newest active
   * contact of the tree rooted at `rootContactId`, else its newest contact.
   *
   * @example
   * simulator.currentContactOf('instance-1', 'task-1'); // 'task-1' until a transfer gives it a new id
   */
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

  /** How many transfers each chain (named by its root contact, `<instanceId>/<contactId>`) has had. */
  transfersPerChain(): ReadonlyMap<string, number> {
    return this.#transfersPerChain;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const body = await readBody(req);
    if (url.pathname.startsWith('/_simulator/'))
      return this.#admin(req.method ?? 'GET', url.pathname, body, res);
    if (req.method === 'POST' && url.pathname === '/contact/transfer') return this.#transfer(body, req, res);
    const associated = /^\/contact\/associated\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && associated) {
      return this.#associated(
        decodeURIComponent(associated[1] ?? ''),
        url.searchParams.get('contactId') ?? '',
        res,
      );
    }
    const describe = /^\/contacts\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && describe) {
      return this.#describe(
        decodeURIComponent(describe[1] ?? ''),
        decodeURIComponent(describe[2] ?? ''),
        res,
      );
    }
    sendError(
      res,
      new ApiError(404, 'UnknownOperationException', `no operation at ${req.method} ${url.pathname}`),
    );
  }

  #nextFault(): ScriptedFault | undefined {
    const scripted = this.#script.shift();
    if (scripted) return scripted;
    const { throttleRate = 0, errorRate = 0, dropRate = 0, commitThenErrorRate = 0 } = this.#faults;
    const draw = this.#random();
    if (draw < throttleRate) return { kind: 'throttle' };
    if (draw < throttleRate + errorRate) return { kind: 'error' };
    if (draw < throttleRate + errorRate + dropRate) return { kind: 'drop' };
    if (draw < throttleRate + errorRate + dropRate + commitThenErrorRate)
      return { kind: 'commit-then-error' };
    const { holdBeforeRate = 0, holdAfterRate = 0, holdMs = 1_000 } = this.#faults;
    const hold = this.#random();
    if (hold < holdBeforeRate) return { kind: 'delay-before', ms: holdMs };
    if (hold < holdBeforeRate + holdAfterRate) return { kind: 'delay-after', ms: holdMs };
    return undefined;
  }

  async #transfer(body: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let input: Record<string, unknown> = {};
    const record = (entry: Omit<SimulatorCall, 'seq' | 'operation' | 'input'>) =>
      this.#calls.push({ seq: this.#calls.length + 1, operation: 'TransferContact', input, ...entry });
    try {
      input = parseJsonObject(body);
    } catch (error) {
      record({ status: 400, errorType: 'SerializationException', transferred: false });
      return sendError(res, new ApiError(400, 'SerializationException', String(error)));
    }

    if (this.#faults.latencyMs) await sleep(this.#faults.latencyMs);
    if (!this.#bucket.tryTake()) {
      record({ status: 429, errorType: 'ThrottlingException', transferred: false });
      return sendError(res, new ApiError(429, 'ThrottlingException', 'Rate exceeded'));
    }

    const fault = this.#nextFault();
    if (fault?.kind === 'delay-before') {
      await this.#hold(fault.ms);
      // The caller vanished while the call waited to be processed: it never reached Connect's processing.
      if (req.socket.destroyed) return void record({ status: 0, fault: 'abandoned', transferred: false });
    }
    if (fault?.kind === 'throttle' || fault?.kind === 'error' || fault?.kind === 'drop') {
      const [status, type] =
        fault.kind === 'throttle' ? [429, 'ThrottlingException'] : [500, 'InternalServiceException'];
      record({
        status: fault.kind === 'drop' ? 0 : status,
        errorType: type,
        fault: fault.kind,
        transferred: false,
      });
      if (fault.kind === 'drop') return void req.socket.destroy();
      return sendError(res, new ApiError(status, type, `injected ${fault.kind}`));
    }

    let output: Record<string, unknown>;
    let transferred = false;
    try {
      ({ output, transferred } = this.#performTransfer(input));
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error : new ApiError(500, 'InternalServiceException', String(error));
      record({
        status: apiError.status,
        errorType: apiError.type,
        errorMessage: apiError.message,
        fault: fault?.kind,
        transferred: false,
      });
      return sendError(res, apiError);
    }

    if (fault?.kind === 'delay-after') await this.#hold(fault.ms);
    if (fault?.kind === 'commit-then-error' || fault?.kind === 'commit-then-drop') {
      record({
        status: fault.kind === 'commit-then-drop' ? 0 : 500,
        errorType: 'InternalServiceException',
        output,
        fault: fault.kind,
        transferred,
      });
      if (fault.kind === 'commit-then-drop') return void req.socket.destroy();
      return sendError(
        res,
        new ApiError(500, 'InternalServiceException', 'injected error after the transfer'),
      );
    }
    record({ status: 200, output, fault: fault?.kind, transferred });
    sendJson(res, 200, output);
  }

  async #hold(ms: number): Promise<void> {
    this.#held += 1;
    try {
      await sleep(ms);
    } finally {
      this.#held -= 1;
    }
  }

  /** Applies the documented rules, then transfers. Throws {@link ApiError} for a rule violation. */
  #performTransfer(input: Record<string, unknown>): {
    output: Record<string, unknown>;
    transferred: boolean;
  } {
    const field = (name: string, max: number, required: boolean): string | undefined => {
      const value = input[name];
      if (value === undefined || value === null) {
        if (required) throw new ApiError(400, 'InvalidRequestException', `${name} is required`);
        return undefined;
      }
      if (typeof value !== 'string' || value.length < 1 || value.length > max) {
        throw new ApiError(
          400,
          'InvalidRequestException',
          `${name} must be a string of 1 to ${max} characters`,
        );
      }
      return value;
    };
    const instanceId = field('InstanceId', 100, true) as string;
    const contactId = field('ContactId', 256, true) as string;
    const flowId = field('ContactFlowId', 500, true) as string;
    const queueId = field('QueueId', 500, false);
    const userId = field('UserId', 256, false);
    const clientToken = field('ClientToken', 500, false);

    const instance = this.#instances.get(instanceId);
    if (!instance) throw new ApiError(404, 'ResourceNotFoundException', `instance ${instanceId} not found`);
    if (instance.accessDenied) {
      throw new ApiError(
        403,
        'AccessDeniedException',
        `not authorized to perform connect:TransferContact on ${instanceId}`,
      );
    }

    const fingerprint = JSON.stringify(TRANSFER_FIELDS.map((name) => input[name] ?? null));
    const tokenKey = clientToken ? `${instanceId}|${clientToken}` : undefined;
    const remembered = tokenKey ? this.#rememberedToken(tokenKey) : undefined;
    const contact = this.#contacts.get(contactKey(instanceId, contactId));
    const checkContact = (): Contact => {
      if (!contact) throw new ApiError(404, 'ResourceNotFoundException', `contact ${contactId} not found`);
      if (!TRANSFERABLE_CHANNELS.has(contact.channel)) {
        throw new ApiError(
          400,
          'InvalidRequestException',
          `Transfer is only supported for TASK and EMAIL contacts, not ${contact.channel}`,
        );
      }
      if (contact.state !== 'ACTIVE') {
        throw new ApiError(400, 'InvalidRequestException', `contact ${contactId} is not active`);
      }
      return contact;
    };
    // Harsh order: the contact is checked before the token, so a retry of a done transfer is refused.
    if (this.#options.checkOrder === 'state-first') checkContact();
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) {
        throw new ApiError(
          409,
          'IdempotencyException',
          `ClientToken ${clientToken} was used with other parameters`,
        );
      }
      return { output: remembered.output, transferred: false };
    }

    if (queueId !== undefined && userId !== undefined) {
      throw new ApiError(
        400,
        'InvalidRequestException',
        'Do not use both QueueId and UserId in the same call',
      );
    }
    if (queueId === undefined && userId === undefined) {
      throw new ApiError(400, 'InvalidRequestException', 'One of QueueId or UserId is required');
    }
    const source = checkContact();
    const flowType = instance.flows.get(flowId);
    if (!flowType) throw new ApiError(404, 'ResourceNotFoundException', `flow ${flowId} not found`);
    if (!TRANSFER_FLOW_TYPES.has(flowType)) {
      throw new ApiError(
        400,
        'InvalidRequestException',
        `flow type ${flowType} is not supported for transfers`,
      );
    }
    if (queueId !== undefined && !instance.queues.has(queueId)) {
      throw new ApiError(404, 'ResourceNotFoundException', `queue ${queueId} not found`);
    }
    if (userId !== undefined && !instance.users.has(userId)) {
      throw new ApiError(404, 'ResourceNotFoundException', `user ${userId} not found`);
    }
    const chainId = `${instanceId}/${source.chain}`;
    const done = this.#transfersPerChain.get(chainId) ?? 0;
    if (done >= this.#options.transferLimit) {
      throw new ApiError(
        402,
        'ServiceQuotaExceededException',
        `contact cannot be transferred more than ${this.#options.transferLimit} times`,
      );
    }

    this.#transfersPerChain.set(chainId, done + 1);
    const now = this.now();
    let target = source;
    const keepId =
      this.#options.contactIdMode === 'keep' ||
      (this.#options.keepIdShare > 0 && this.#random() < this.#options.keepIdShare);
    if (!keepId) {
      // A task transfer starts a new contact linked to the old one, and ends the old one.
      source.state = 'ENDED';
      source.disconnectedAt = now;
      source.updatedAt = now;
      target = {
        id: randomUUID(),
        instanceId,
        channel: source.channel,
        state: 'ACTIVE',
        chain: source.chain,
        previousContactId: source.id,
        initiationMethod: 'TRANSFER',
        initiatedAt: now,
      };
      this.#contacts.set(contactKey(instanceId, target.id), target);
    }
    target.queueId = queueId;
    target.userId = userId;
    target.enqueuedAt = queueId !== undefined ? now : undefined;
    target.connectedToAgentAt = userId !== undefined ? now : undefined;
    target.updatedAt = now;
    const output = { ContactId: target.id, ContactArn: this.#contactArn(instanceId, target.id) };
    if (tokenKey) this.#tokens.set(tokenKey, { fingerprint, output, at: now });
    return { output, transferred: true };
  }

  /** A token Connect still remembers: one older than the token window is forgotten (and dropped). */
  #rememberedToken(tokenKey: string): RememberedToken | undefined {
    const remembered = this.#tokens.get(tokenKey);
    if (remembered && this.now() - (remembered.at ?? 0) > this.#options.tokenWindowMs) {
      this.#tokens.delete(tokenKey);
      return undefined;
    }
    return remembered;
  }

  /**
   * Answers a read of one contact (`DescribeContact`, `ListAssociatedContacts`): 404 for a contact it does
   * not know, else what `answer` builds; the call is logged either way.
   */
  #read(
    operation: 'DescribeContact' | 'ListAssociatedContacts',
    instanceId: string,
    contactId: string,
    res: ServerResponse,
    answer: (contact: Contact) => Record<string, unknown>,
  ): void {
    const input = { InstanceId: instanceId, ContactId: contactId };
    const contact = this.#contacts.get(contactKey(instanceId, contactId));
    const log = (entry: Pick<SimulatorCall, 'status' | 'errorType' | 'output'>) =>
      this.#calls.push({ seq: this.#calls.length + 1, operation, input, transferred: false, ...entry });
    if (!this.#instances.has(instanceId) || !contact) {
      log({ status: 404, errorType: 'ResourceNotFoundException' });
      sendError(res, new ApiError(404, 'ResourceNotFoundException', `contact ${contactId} not found`));
      return;
    }
    const output = answer(contact);
    log({ status: 200, output });
    sendJson(res, 200, output);
  }

  #describe(instanceId: string, contactId: string, res: ServerResponse): void {
    this.#read('DescribeContact', instanceId, contactId, res, (contact) => ({
      Contact: {
        Arn: this.#contactArn(instanceId, contact.id),
        Id: contact.id,
        // As the API reference shows it: only a contact related to others names its initial contact.
        InitialContactId: contact.chain !== contact.id ? contact.chain : undefined,
        PreviousContactId: contact.previousContactId,
        Channel: contact.channel,
        InitiationMethod: contact.initiationMethod,
        InitiationTimestamp: seconds(contact.initiatedAt),
        DisconnectTimestamp: seconds(contact.disconnectedAt),
        LastUpdateTimestamp: seconds(contact.updatedAt ?? contact.initiatedAt),
        QueueInfo: contact.queueId
          ? { Id: contact.queueId, EnqueueTimestamp: seconds(contact.enqueuedAt) }
          : undefined,
        AgentInfo: contact.userId
          ? { Id: contact.userId, ConnectedToAgentTimestamp: seconds(contact.connectedToAgentAt) }
          : undefined,
      },
    }));
  }

  /** `ListAssociatedContacts`: every contact of the contact's tree (one page: trees here are small). */
  #associated(instanceId: string, contactId: string, res: ServerResponse): void {
    this.#read('ListAssociatedContacts', instanceId, contactId, res, (contact) => ({
      ContactSummaryList: [...this.#contacts.values()]
        .filter((other) => other.instanceId === instanceId && other.chain === contact.chain)
        .map((other) => ({
          ContactId: other.id,
          ContactArn: this.#contactArn(instanceId, other.id),
          Channel: other.channel,
          InitialContactId: other.chain !== other.id ? other.chain : undefined,
          PreviousContactId: other.previousContactId,
          InitiationMethod: other.initiationMethod,
          InitiationTimestamp: seconds(other.initiatedAt),
          DisconnectTimestamp: seconds(other.disconnectedAt),
        })),
    }));
  }

  /** Control endpoints for a simulator running in another process (the local mode, benchmarks). */
  #admin(method: string, path: string, body: string, res: ServerResponse): void {
    if (method === 'POST' && path === '/_simulator/seed') {
      this.seed(parseJsonObject(body) as unknown as SimulatorSeed);
      sendJson(res, 200, { ok: true });
      return;
    }
    if (method === 'POST' && path === '/_simulator/faults') {
      this.injectFaults(parseJsonObject(body) as FaultPlan);
      sendJson(res, 200, { ok: true });
      return;
    }
    if (method === 'POST' && path === '/_simulator/clock') {
      const { advanceMs } = parseJsonObject(body) as { advanceMs?: number };
      this.advanceClock(Number(advanceMs ?? 0));
      sendJson(res, 200, { now: this.now() });
      return;
    }
    if (method === 'GET' && path === '/_simulator/calls') {
      sendJson(res, 200, { calls: this.#calls });
      return;
    }
    if (method === 'GET' && path === '/_simulator/state') {
      sendJson(res, 200, this.snapshot());
      return;
    }
    if (method === 'GET' && path === '/_simulator/chains') {
      sendJson(res, 200, { chains: Object.fromEntries(this.#transfersPerChain) });
      return;
    }
    sendError(
      res,
      new ApiError(404, 'UnknownOperationException', `no simulator control at ${method} ${path}`),
    );
  }

  #contactArn(instanceId: string, contactId: string): string {
    const { region, accountId } = this.#options;
    return `arn:aws:connect:${region}:${accountId}:instance/${instanceId}/contact/${contactId}`;
  }
}

const contactKey = (instanceId: string, contactId: string) => `${instanceId}|${contactId}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds as the epoch seconds REST-JSON timestamps are. */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const parseJsonObject = (body: string): Record<string, unknown> => {
  const value: unknown = body ? JSON.parse(body) : {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('body must be a JSON object');
  return value as Record<string, unknown>;
};

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-RequestId': randomUUID() });
  res.end(JSON.stringify(body));
};

const sendError = (res: ServerResponse, error: ApiError): void => {
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': error.type,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(JSON.stringify({ Message: error.message }));
};
