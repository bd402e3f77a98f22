import fc from 'fast-check';
import { parseTransferRequest } from '../../src/request/index.js';
import type { SeamFault } from '../../tools/local-engines/FaultProxy.js';
import { MAX_WORKERS, type PropertyWorld, type RunFaults } from './propertyWorld.js';

/** Where a request sends its contact. */
export type Destination = 'queue-1' | 'queue-2' | 'agent-1';

/** Which token a request carries. */
export type TokenChoice =
  /** Its own. */
  | 'own'
  /** None: the worker derives one from the content (two such requests asking the same are one). */
  | 'none'
  /** The token of a request sent before it (`of`, modulo how many were sent), with its own parameters. */
  | { readonly reuse: number };

/** One request of a run, as generated. */
export interface RequestModel {
  /** Requests are sent in waves; a wave is sent once the one before has drained. */
  readonly wave: number;
  /** Which of the run's chains (0 or 1), or -1: a VOICE contact, which Connect refuses to transfer. */
  readonly chain: number;
  /** `current`: the contact the chain is on when the request is sent (a previous transfer's new contact). */
  readonly target: 'root' | 'current';
  readonly destination: Destination;
  readonly token: TokenChoice;
  /** The same body sent this many times. */
  readonly copies: number;
  /** An unknown key (`QueueID`): refused as invalid. */
  readonly invalid: boolean;
}

/** Fault rates in percent, per kind. */
export type Percentages<K extends string> = Readonly<Record<K, number>>;

/** The Connect simulator's own `TransferContact` faults, in percent. */
export type ConnectFaultKind = 'throttle' | 'error' | 'drop' | 'commitThenError' | 'holdBefore' | 'holdAfter';

/** One generated run. */
export interface RunModel {
  /** `first`: 3 deliveries, cap 2; `last`: every delivery the last, cap 3, Connect's token memory distrusted. */
  readonly profile: 'first' | 'last';
  /** Workers polling the queue at once (each its own process). */
  readonly workers: number;
  readonly batchSize: number;
  readonly requests: readonly RequestModel[];
  /** Random faults of every remote call of the workers (all four services), in percent. */
  readonly proxyFaults: Percentages<SeamFault>;
  readonly faultSeed: number;
  readonly connectFaults: Percentages<ConnectFaultKind>;
  /** Crash points: the slot's worker dies at its `atCall`-th remote call of the run, the call sent or not. */
  readonly crashes: readonly { readonly slot: number; readonly atCall: number; readonly land: boolean }[];
}

const percent = (max: number) => fc.integer({ min: 0, max });

const requestArbitrary: fc.Arbitrary<RequestModel> = fc.record({
  wave: fc.integer({ min: 0, max: 2 }),
  chain: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1 }) },
    { weight: 1, arbitrary: fc.constant(-1) },
  ),
  target: fc.constantFrom<'root' | 'current'>('root', 'current'),
  destination: fc.constantFrom<Destination>('queue-1', 'queue-2', 'agent-1'),
  token: fc.oneof(
    { weight: 5, arbitrary: fc.constant<TokenChoice>('own') },
    { weight: 2, arbitrary: fc.constant<TokenChoice>('none') },
    { weight: 2, arbitrary: fc.nat({ max: 9 }).map((of): TokenChoice => ({ reuse: of })) },
  ),
  copies: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
  invalid: fc.oneof(
    { weight: 12, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

/** Runs as fast-check generates and shrinks them. */
export const runArbitrary: fc.Arbitrary<RunModel> = fc.record({
  profile: fc.constantFrom<'first' | 'last'>('first', 'last'),
  workers: fc.integer({ min: 2, max: MAX_WORKERS }),
  batchSize: fc.integer({ min: 1, max: 4 }),
  requests: fc.array(requestArbitrary, { minLength: 1, maxLength: 7 }),
  proxyFaults: fc.record({
    'fail-before': percent(4),
    'fail-after': percent(4),
    throttle: percent(4),
    'drop-answer': percent(4),
    hang: percent(3),
  }),
  faultSeed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  connectFaults: fc.record({
    throttle: percent(15),
    error: percent(10),
    drop: percent(10),
    commitThenError: percent(15),
    holdBefore: percent(10),
    holdAfter: percent(10),
  }),
  crashes: fc.array(
    fc.record({
      slot: fc.integer({ min: 0, max: MAX_WORKERS - 1 }),
      atCall: fc.integer({ min: 1, max: 60 }),
      land: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
});

/** The faults a run arms. */
export function faultsOf(run: RunModel): RunFaults {
  const rates = Object.fromEntries(
    Object.entries(run.proxyFaults).map(([kind, value]) => [kind, value / 100]),
  ) as Record<SeamFault, number>;
  const c = run.connectFaults;
  return {
    proxies: { rates, seed: run.faultSeed },
    connect: {
      throttleRate: c.throttle / 100,
      errorRate: c.error / 100,
      dropRate: c.drop / 100,
      commitThenErrorRate: c.commitThenError / 100,
      holdBeforeRate: c.holdBefore / 100,
      holdAfterRate: c.holdAfter / 100,
      // Longer than the worker's request timeout: the call is answered (or done) after the worker gave up.
      holdMs: 500,
    },
    crashes: run.crashes.filter((crash) => crash.slot < run.workers),
  };
}

/** A request as it was sent. */
export interface SentRequest {
  /** Its place in the model's list (`R<index>` in reports). */
  readonly index: number;
  readonly body: string;
  /** The token it runs under: its own, a reused one, or the one the worker derives from its content. */
  readonly token: string | undefined;
  readonly valid: boolean;
  /** The contact it names, and the first contact of that contact's tree. */
  readonly contactId: string;
  readonly root: string;
  readonly destination: Destination;
  /** The parameters that make a request what it is (a token with other parameters is a reuse). */
  readonly parameters: string;
  /** Where its token came from (reports). */
  readonly tokenNote: string;
  readonly messageIds: string[];
}

/** The parameters of a `TransferContact` input, as a comparable string (the checker's own, not the worker's). */
export function parametersOf(input: Record<string, unknown>): string {
  return JSON.stringify(
    ['InstanceId', 'ContactId', 'ContactFlowId', 'QueueId', 'UserId'].map((field) => input[field] ?? null),
  );
}

let runCounter = 0;

/**
 * Plays a run: fresh contacts for its chains, its requests sent wave by wave (each wave drained by the
 * workers before the next is sent, so a later request can name the contact an earlier transfer created).
 */
export async function playRun(world: PropertyWorld, run: RunModel): Promise<SentRequest[]> {
  runCounter += 1;
  const runId = `p${runCounter}${Math.random().toString(36).slice(2, 6)}`;
  const roots = new Map<number, string>();
  const rootOf = (chain: number) => {
    let root = roots.get(chain);
    if (root === undefined) {
      root = world.seam.newContact(chain < 0 ? 'VOICE' : 'TASK');
      roots.set(chain, root);
    }
    return root;
  };
  for (const request of run.requests) rootOf(request.chain);
  const sent: SentRequest[] = [];
  const waves = [...new Set(run.requests.map((request) => request.wave))].sort();
  for (const wave of waves) {
    for (const [index, model] of run.requests.entries()) {
      if (model.wave !== wave) continue;
      const request = await sendRequest(world, model, index, rootOf(model.chain), runId, sent);
      sent.push(request);
    }
    await world.drain(run.workers, run.batchSize);
  }
  return sent;
}

async function sendRequest(
  world: PropertyWorld,
  model: RequestModel,
  index: number,
  root: string,
  runId: string,
  sent: readonly SentRequest[],
): Promise<SentRequest> {
  const contactId =
    model.target === 'current' ? world.seam.connect.currentContactOf('instance-1', root) : root;
  const reused =
    typeof model.token === 'object' && sent.length > 0 ? sent[model.token.reuse % sent.length] : undefined;
  const ownToken = model.token === 'own' || (typeof model.token === 'object' && !reused?.token);
  const explicitToken = reused?.token ?? (ownToken ? `${runId}-r${index}` : undefined);
  const input: Record<string, unknown> = {
    InstanceId: 'instance-1',
    ContactId: contactId,
    ContactFlowId: model.destination === 'agent-1' ? 'flow-agent' : 'flow-queue',
    ...(model.destination === 'agent-1' ? { UserId: 'agent-1' } : { QueueId: model.destination }),
    ...(explicitToken !== undefined && { ClientToken: explicitToken }),
    ...(model.invalid && { QueueID: 'typo' }),
  };
  const body = JSON.stringify(input);
  const parsed = parseTransferRequest(body, { messageId: 'unused' });
  const token = parsed.ok ? parsed.value.request.ClientToken : explicitToken;
  const messageIds: string[] = [];
  for (let copy = 0; copy < model.copies; copy += 1) messageIds.push(await world.send(body));
  return {
    index,
    body,
    token,
    valid: parsed.ok,
    contactId,
    root,
    destination: model.destination,
    parameters: parametersOf(input),
    tokenNote: reused ? `token of R${reused.index}` : explicitToken ? 'own token' : 'derived token',
    messageIds,
  };
}
