// Over ~300 lines: the server is also the simulator's whole public control surface (seed, faults, clock,
// snapshot, call log) that tests and the local runner hold one handle to; the model, rules, faults, reads
// and wire format live in their own modules.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContactCenter } from './ContactCenter.js';
import {
  type ContactEventEntry,
  type ContactEventType,
  contactEvent,
  transferEvents,
} from './contactEvents.js';
import { type FaultPlan, FaultSchedule, type ReadFault, type ScriptedFault } from './faults.js';
import { seededRandom } from './random.js';
import { ReadGate } from './readGate.js';
import { TokenBucket } from './TokenBucket.js';
import type {
  ConnectSimulatorOptions,
  Contact,
  NewContact,
  SimulatorCall,
  SimulatorSeed,
  SimulatorSnapshot,
  WriteOperation,
} from './types.js';
import { ApiError, operationOf, parseJsonObject, readBody, sendError, sendJson } from './wire.js';

export type { FaultPlan, ReadFault, ScriptedFault } from './faults.js';
export * from './types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The error each write's quota answers: `TransferContact`'s reference names ThrottlingException;
 * `UpdateContactAttributes`' names none, and Connect's APIs that publish no throttle answer
 * TooManyRequestsException ("rate-related API limits are exceeded").
 */
const THROTTLE_TYPE: Readonly<Record<WriteOperation, string>> = {
  TransferContact: 'ThrottlingException',
  UpdateContactAttributes: 'TooManyRequestsException',
};

/** What a write's call log entry says it did when it did nothing. */
const NOT_DONE = { transferred: false } as const;

/** The fields of a write's call log entry the write pipeline fills in itself. */
type WriteEntryOwn = 'seq' | 'operation' | 'input' | 'transferred';

/** A write the model made: its answer, and what it did for the call log. */
interface WriteResult {
  readonly output: Record<string, unknown>;
  readonly done: Pick<SimulatorCall, 'transferred' | 'applied'>;
}

/**
 * An Amazon Connect simulator for tests, the local mode and benchmarks. It speaks Connect's REST-JSON wire
 * protocol (`POST /contact/transfer`, `POST /contact/attributes`, `GET /contacts/{InstanceId}/{ContactId}`;
 * errors as HTTP status, `x-amzn-ErrorType` and `{ "Message" }`, the service model's member), so the
 * unmodified `@aws-sdk/client-connect` talks to it through `AWS_ENDPOINT_URL_CONNECT`. It enforces the documented `TransferContact` and `UpdateContactAttributes`
 * rules and can inject faults into both.
 * Its reads (`DescribeContact`, `ListAssociatedContacts`) have quotas of their own, may lag a new contact,
 * and take scripted faults of their own ({@link ReadGate}).
 *
 * Error each rule returns (Connect does not document the mapping; these are this simulator's choices):
 * rate quota: 429 ThrottlingException; unknown instance, contact, flow, queue or user: 404
 * ResourceNotFoundException; access denied: 403 AccessDeniedException; both or neither of QueueId and
 * UserId, a missing or over-long field, a channel other than TASK or EMAIL, a contact that is not active,
 * a flow of another type: 400 InvalidRequestException; a 12th transfer of a chain: 402
 * ServiceQuotaExceededException; a ClientToken reused with other parameters: 409 IdempotencyException.
 * `UpdateContactAttributes`: its own quota, 429 TooManyRequestsException; a bad key, a missing map or
 * attributes past 32,768 UTF-8 bytes: 400 InvalidParameterException; unknown instance or contact: 404.
 *
 * @example
 * const simulator = await ConnectSimulator.start({ ratePerSecond: 100, burst: 100 });
 * simulator.seed({ instances: [{ id: 'i-1', flows: [{ id: 'f-1', type: 'QUEUE_TRANSFER' }], queues: ['q-1'], contacts: [{ id: 'c-1' }] }] });
 * process.env.AWS_ENDPOINT_URL_CONNECT = simulator.endpoint;
 */
export class ConnectSimulator {
  readonly #options: Required<ConnectSimulatorOptions>;
  /** The draws that decide which contact events are dropped, a stream of the seed's own. */
  readonly #eventDrops: () => number;
  /** How many contact events Connect dropped so far (`contactEventDropShare`). */
  droppedContactEvents = 0;
  readonly #server: Server;
  readonly #center: ContactCenter;
  readonly #faults: FaultSchedule;
  readonly #calls: SimulatorCall[] = [];
  /** Each write's own account-wide quota. */
  readonly #buckets: Readonly<Record<WriteOperation, TokenBucket>>;
  readonly #reads: ReadGate;
  /** When each `TransferContact` or `UpdateContactAttributes` call arrived, by its input. */
  readonly #receivedAt = new WeakMap<object, number>();
  /** The `X-Amzn-Trace-Id` each `TransferContact` or `UpdateContactAttributes` call carried, by its input. */
  readonly #traceHeaders = new WeakMap<object, string>();
  readonly #eventListeners: ((entries: ContactEventEntry[]) => void)[] = [];
  #latencyMs = 0;
  #held = 0;

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
      readQuotas: {},
      readLagMs: 0,
      readLagShare: 1,
      contactEventDropShare: 0,
      attributesReadLagMs: 0,
      ...options,
      // As the reads: a raised TransferContact quota stands for a raised account, unless told otherwise.
      updateContactAttributesRatePerSecond:
        options.updateContactAttributesRatePerSecond ?? options.ratePerSecond ?? 2,
      updateContactAttributesBurst: options.updateContactAttributesBurst ?? options.burst ?? 5,
    };
    const { seed, readLagMs: lagMs, readLagShare: lagShare } = this.#options;
    // A simulator given a raised TransferContact quota stands for a raised account: its reads scale with it
    // unless told otherwise. At the default quota they keep AWS's default for APIs without one (2/s, 5).
    const scaled = { ratePerSecond: this.#options.ratePerSecond, burst: this.#options.burst };
    const quotas = {
      DescribeContact: scaled,
      ListAssociatedContacts: scaled,
      SearchContacts: scaled,
      ...this.#options.readQuotas,
    };
    const random = seededRandom(seed);
    this.#eventDrops = seededRandom(seed ^ 0x2545f491);
    this.#buckets = {
      TransferContact: new TokenBucket(this.#options.ratePerSecond, this.#options.burst),
      UpdateContactAttributes: new TokenBucket(
        this.#options.updateContactAttributesRatePerSecond,
        this.#options.updateContactAttributesBurst,
      ),
    };
    this.#center = new ContactCenter(this.#options, random);
    this.#faults = new FaultSchedule(random);
    // The lag draws from its own stream of the seed: turning lag on leaves the transfers' draws as they were.
    const reads = {
      quotas,
      lagMs,
      lagShare,
      attributesLagMs: this.#options.attributesReadLagMs,
      random: seededRandom(seed ^ 0x5bd1e995),
      // The attributes' lag draws from a stream of its own too: turning it on leaves the other draws alone.
      attributesRandom: seededRandom(seed ^ 0x27d4eb2f),
      now: () => this.now(),
    };
    this.#reads = new ReadGate(this.#center, reads, (call) =>
      this.#calls.push({ seq: this.#calls.length + 1, ...call }),
    );
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
    this.#center.seed(seed);
    for (const instance of seed.instances)
      for (const { id } of instance.contacts ?? []) this.#reads.lag.created({ instanceId: instance.id, id });
  }

  /**
   * Replaces the fault plan. Scripted faults apply to the next calls of their `operation` (`TransferContact`
   * when they name none), one each; random faults to the plan's `operations` (`TransferContact` alone unless
   * told otherwise).
   *
   * @example
   * simulator.injectFaults({ script: [{ kind: 'throttle' }, { kind: 'commit-then-error' }] });
   * simulator.injectFaults({ script: [{ kind: 'commit-then-error', operation: 'UpdateContactAttributes' }] });
   */
  injectFaults(plan: FaultPlan): void {
    this.#faults.replace(plan);
    this.#latencyMs = plan.latencyMs ?? 0;
  }

  /**
   * Replaces the scripted faults of the reads (`DescribeContact`, `ListAssociatedContacts`), apart from
   * {@link injectFaults}'. Each applies to one upcoming read in order: the next read of its `operation` when
   * it names one, else the next read of either kind. A read its quota throttles takes none; reads held by
   * a delay do not count in {@link heldCalls}.
   *
   * @example
   * simulator.failReads([{ kind: 'error', operation: 'ListAssociatedContacts' }]);
   */
  failReads(script: readonly ReadFault[]): void {
    this.#reads.script(script);
  }

  /**
   * Everything the simulator knows (instances, contacts, chains, tokens, calls) as plain JSON, for the
   * local mode to keep across restarts.
   */
  snapshot(): SimulatorSnapshot {
    return { ...this.#center.state(), calls: [...this.#calls] };
  }

  /**
   * Restores a {@link snapshot}, replacing the current state.
   *
   * @example
   * simulator.restore(JSON.parse(readFileSync('simulator.json', 'utf8')));
   */
  restore(snapshot: SimulatorSnapshot): void {
    this.#center.restore(snapshot);
    // A snapshot's contacts are old by the time it is restored: the reads see them at once.
    this.#reads.lag.clear();
    this.#reads.attributesLag.clear();
    this.#calls.length = 0;
    this.#calls.push(...snapshot.calls);
  }

  /**
   * Moves the simulator's clock forward: tokens older than the token window are then forgotten, as Connect
   * forgets them. Only the simulator's clock moves (contact timestamps, token ages), not the process's.
   *
   * @example
   * simulator.advanceClock(8 * 86_400_000); // every token transferred so far is forgotten
   */
  advanceClock(ms: number): void {
    this.#center.advanceClock(ms);
  }

  /** The simulator's clock (ms): the process's, plus what {@link advanceClock} added. */
  now(): number {
    return this.#center.now();
  }

  /**
   * `TransferContact` and `UpdateContactAttributes` calls received and not yet answered (held by an
   * injected delay).
   */
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
    return this.#center.currentContactOf(instanceId, rootContactId);
  }

  /**
   * Calls `listener` with the contact events Connect would put on the account's default bus, as they
   * happen: a contact started, a transfer (the old contact DISCONNECTED, the new one INITIATED, then QUEUED
   * or CONNECTED_TO_AGENT). The local runner puts them on its local EventBridge.
   */
  onContactEvent(listener: (entries: ContactEventEntry[]) => void): void {
    this.#eventListeners.push(listener);
  }

  /**
   * A new contact arrives, as a task created through the API: INITIATED, then QUEUED when it names a queue.
   *
   * @example
   * simulator.startContact({ instanceId: 'i-1', contactId: 'task-99', queueId: 'support' });
   */
  startContact(spec: NewContact): Contact {
    const contact = this.#center.startContact(spec);
    this.#reads.lag.created(contact);
    this.#raise([
      [contact, 'INITIATED'],
      ...(spec.queueId !== undefined ? [[contact, 'QUEUED'] as [Contact, ContactEventType]] : []),
    ]);
    return contact;
  }

  #raise(raised: [Contact, ContactEventType][]): void {
    if (this.#eventListeners.length === 0 || raised.length === 0) return;
    const { region, accountId, contactEventDropShare: dropShare } = this.#options;
    // Best effort, as Connect documents its contact events: a share never reaches the bus.
    const events = dropShare > 0 ? raised.filter(() => this.#eventDrops() >= dropShare) : raised;
    this.droppedContactEvents += raised.length - events.length;
    if (events.length === 0) return;
    const entries = events.map(([contact, type]) => {
      const instanceArn = `arn:aws:connect:${region}:${accountId}:instance/${contact.instanceId}`;
      return contactEvent(contact, type, {
        instanceArn,
        contactArn: (id) => `${instanceArn}/contact/${id}`,
        queueArn: (id) => `${instanceArn}/queue/${id}`,
        agentArn: (id) => `${instanceArn}/agent/${id}`,
      });
    });
    for (const listener of this.#eventListeners) listener(entries);
  }

  /**
   * A contact's attributes as they are now (not as a lagging read shows them): `{}` for a contact that has
   * none, `undefined` for no such contact.
   *
   * @example
   * simulator.contactAttributes('instance-1', 'task-1'); // { priority: 'high' }
   */
  contactAttributes(instanceId: string, contactId: string): Readonly<Record<string, string>> | undefined {
    const contact = this.#center.contact(instanceId, contactId);
    return contact && { ...contact.attributes };
  }

  /**
   * How many `UpdateContactAttributes` calls changed each contact's attributes (a refused call did not),
   * by contact, `<instanceId>/<contactId>`; a contact never updated is left out.
   *
   * @example
   * simulator.attributeUpdatesPerContact().get('instance-1/task-1'); // 1
   */
  attributeUpdatesPerContact(): ReadonlyMap<string, number> {
    const updates = new Map<string, number>();
    for (const contact of this.#center.allContacts())
      if (contact.attributeUpdates)
        updates.set(`${contact.instanceId}/${contact.id}`, contact.attributeUpdates);
    return updates;
  }

  /** How many transfers each chain (named by its root contact, `<instanceId>/<contactId>`) has had. */
  transfersPerChain(): ReadonlyMap<string, number> {
    return this.#center.transfersPerChain();
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    // Connect's answers carry its own time (HTTP Date): the simulator's clock, which advanceClock moves.
    res.setHeader('date', new Date(this.now()).toUTCString());
    const body = await readBody(req);
    const operation = operationOf(req.method ?? 'GET', url);
    switch (operation.kind) {
      case 'admin':
        return this.#admin(req.method ?? 'GET', operation.path, body, res);
      case 'TransferContact':
      case 'UpdateContactAttributes':
        return this.#write(operation.kind, body, req, res);
      case 'DescribeContact':
      case 'ListAssociatedContacts':
        return this.#reads.serve(operation.kind, operation.instanceId, operation.contactId, req, res);
      case 'SearchContacts': {
        let input: Record<string, unknown>;
        try {
          input = parseJsonObject(body);
        } catch (error) {
          return sendError(res, new ApiError(400, 'SerializationException', String(error)));
        }
        return this.#reads.serveSearch(input, req, res);
      }
      default:
        sendError(
          res,
          new ApiError(404, 'UnknownOperationException', `no operation at ${req.method} ${url.pathname}`),
        );
    }
  }

  #logWrite(
    operation: WriteOperation,
    input: Record<string, unknown>,
    entry: Omit<SimulatorCall, 'seq' | 'operation' | 'input'>,
  ): void {
    const receivedAt = this.#receivedAt.get(input);
    const traceHeader = this.#traceHeaders.get(input);
    this.#calls.push({
      seq: this.#calls.length + 1,
      operation,
      input,
      receivedAt,
      ...(traceHeader !== undefined && { traceHeader }),
      ...entry,
    });
  }

  /** Does a write in the model: what to answer, and what the call log says it did. */
  #apply(operation: WriteOperation, input: Record<string, unknown>): WriteResult {
    if (operation === 'UpdateContactAttributes') {
      const { contact, before } = this.#center.updateAttributes(input);
      this.#reads.attributesLag.updated(contact, before);
      return { output: {}, done: { transferred: false, applied: true } };
    }
    const result = this.#center.transfer(input);
    if (result.transferred && result.from && result.to) {
      if (result.to !== result.from) this.#reads.lag.created(result.to);
      this.#raise(transferEvents(result.from, result.to));
    }
    return { output: result.output, done: { transferred: result.transferred } };
  }

  /**
   * A call that changes a contact (`TransferContact`, `UpdateContactAttributes`) on the wire: its own quota,
   * then the injected fault around the model's change.
   */
  async #write(
    operation: WriteOperation,
    body: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const receivedAt = Date.now();
    const undone =
      operation === 'UpdateContactAttributes' ? { transferred: false, applied: false } : NOT_DONE;
    const log = (input: Record<string, unknown>, entry: Omit<SimulatorCall, WriteEntryOwn>) =>
      this.#logWrite(operation, input, { ...undone, ...entry });
    let input: Record<string, unknown> = {};
    this.#receivedAt.set(input, receivedAt);
    try {
      input = parseJsonObject(body);
      this.#receivedAt.set(input, receivedAt);
      const traceHeader = req.headers['x-amzn-trace-id'];
      if (typeof traceHeader === 'string') this.#traceHeaders.set(input, traceHeader);
    } catch (error) {
      log(input, { status: 400, errorType: 'SerializationException' });
      return sendError(res, new ApiError(400, 'SerializationException', String(error)));
    }
    if (this.#latencyMs && this.#faults.covers(operation)) await sleep(this.#latencyMs);
    if (!this.#buckets[operation].tryTake()) {
      log(input, { status: 429, errorType: THROTTLE_TYPE[operation] });
      return sendError(res, new ApiError(429, THROTTLE_TYPE[operation], 'Rate exceeded'));
    }
    const fault = this.#faults.next(operation);
    if (fault?.kind === 'delay-before') {
      await this.#hold(fault.ms);
      // The caller vanished while the call waited to be processed: it never reached Connect's processing.
      if (req.socket.destroyed) return log(input, { status: 0, fault: 'abandoned' });
    }
    if (fault?.kind === 'throttle' || fault?.kind === 'error' || fault?.kind === 'drop') {
      const [status, type] =
        fault.kind === 'throttle' ? [429, THROTTLE_TYPE[operation]] : [500, 'InternalServiceException'];
      log(input, { status: fault.kind === 'drop' ? 0 : status, errorType: type, fault: fault.kind });
      if (fault.kind === 'drop') return void req.socket.destroy();
      return sendError(res, new ApiError(status, type, `injected ${fault.kind}`));
    }
    let result: WriteResult;
    try {
      result = this.#apply(operation, input);
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error : new ApiError(500, 'InternalServiceException', String(error));
      const { status, type, message } = apiError;
      log(input, { status, errorType: type, errorMessage: message, fault: fault?.kind });
      return sendError(res, apiError);
    }
    await this.#answerWrite(fault, result, (entry) => log(input, { ...result.done, ...entry }), req, res);
  }

  /** Answers a write the model made (or replayed), unless a fault loses the answer. */
  async #answerWrite(
    fault: ScriptedFault | undefined,
    { output }: WriteResult,
    log: (entry: Omit<SimulatorCall, WriteEntryOwn>) => void,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (fault?.kind === 'delay-after') await this.#hold(fault.ms);
    if (fault?.kind === 'commit-then-error' || fault?.kind === 'commit-then-drop') {
      const dropped = fault.kind === 'commit-then-drop';
      log({ status: dropped ? 0 : 500, errorType: 'InternalServiceException', output, fault: fault.kind });
      if (dropped) return void req.socket.destroy();
      return sendError(res, new ApiError(500, 'InternalServiceException', 'injected error after the call'));
    }
    log({ status: 200, output, fault: fault?.kind });
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

  /**
   * Every contact's attributes and applied `UpdateContactAttributes` calls, by `<instanceId>/<contactId>`,
   * for `GET /_simulator/attributes`: contacts with neither are left out.
   */
  #attributesReport(): { contacts: Record<string, { attributes: Record<string, string>; updates: number }> } {
    const contacts: Record<string, { attributes: Record<string, string>; updates: number }> = {};
    for (const contact of this.#center.allContacts()) {
      if (!contact.attributes && !contact.attributeUpdates) continue;
      contacts[`${contact.instanceId}/${contact.id}`] = {
        attributes: { ...contact.attributes },
        updates: contact.attributeUpdates ?? 0,
      };
    }
    return { contacts };
  }

  /** Control endpoints for a simulator running in another process (the local mode, benchmarks). */
  #admin(method: string, path: string, body: string, res: ServerResponse): void {
    const control: Record<string, () => unknown> = {
      'POST /_simulator/seed': () => this.seed(parseJsonObject(body) as unknown as SimulatorSeed),
      'POST /_simulator/faults': () => this.injectFaults(parseJsonObject(body) as FaultPlan),
      'POST /_simulator/read-faults': () =>
        this.failReads((parseJsonObject(body) as { script?: ReadFault[] }).script ?? []),
      'POST /_simulator/clock': () => {
        this.advanceClock(Number((parseJsonObject(body) as { advanceMs?: number }).advanceMs ?? 0));
        return { now: this.now() };
      },
      'POST /_simulator/contacts': () => this.startContact(parseJsonObject(body) as unknown as NewContact),
      'GET /_simulator/calls': () => ({ calls: this.#calls }),
      'GET /_simulator/state': () => this.snapshot(),
      'GET /_simulator/chains': () => ({ chains: Object.fromEntries(this.transfersPerChain()) }),
      'GET /_simulator/attributes': () => this.#attributesReport(),
    };
    const act = control[`${method} ${path}`];
    if (act) sendJson(res, 200, act() ?? { ok: true });
    else
      sendError(
        res,
        new ApiError(404, 'UnknownOperationException', `no simulator control at ${method} ${path}`),
      );
  }
}
