import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { DeadLetterAttribute } from '../../src/contract/index.js';
import { SEAM_FAULTS, type SeamFault } from '../../tools/local-engines/FaultProxy.js';
import { queueTransfer } from '../support/factories.js';
import { type DeadLetter, hasReason, type SeamProxies, type SeamWorld } from '../support/seamWorld.js';

/** What a scenario set up: the request whose end the checks follow. */
export interface Setup {
  readonly token: string;
  readonly body: string;
  /** The contact whose chain the request counts against. */
  readonly chainRoot: string;
  /** How it ends with no fault: transferred, or dead-lettered with this class. */
  readonly expected: 'transferred' | string;
  /** Transfers under the token before the request was sent (a reused token's first request). */
  readonly transfersBefore?: number;
  /** The request's `Attributes`: a transfer must leave them on the contact it started. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A request's path through the worker, set up on a fresh contact. */
export interface Scenario {
  readonly name: string;
  setup(world: SeamWorld): Promise<Setup>;
}

const token = (name: string) => `seam-${name}-${Math.random().toString(36).slice(2, 10)}`;

async function sendRequest(
  world: SeamWorld,
  request: Record<string, unknown>,
  attributes?: Record<string, MessageAttributeValue>,
): Promise<string> {
  const body = JSON.stringify(request);
  await world.send(body, attributes);
  return body;
}

/** The paths a request takes: each reaches its own call sites. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'transfer of an unseen contact',
    async setup(world) {
      const contact = world.newContact();
      const t = token('transfer');
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }));
      return { token: t, body, chainRoot: contact, expected: 'transferred' };
    },
  },
  {
    name: 'transfer with attributes',
    async setup(world) {
      const contact = world.newContact();
      const t = token('attributes');
      const attributes = { EscalationReason: 'seam', CaseId: t.slice(-8) };
      const body = await sendRequest(
        world,
        queueTransfer({ ContactId: contact, ClientToken: t, Attributes: attributes }),
      );
      return { token: t, body, chainRoot: contact, expected: 'transferred', attributes };
    },
  },
  {
    name: 'cap reached',
    async setup(world) {
      const contact = world.newContact();
      for (let i = 0; i < 11; i += 1) await world.ledger.reserve(`chain#instance-1#${contact}`, `other-${i}`);
      const t = token('cap');
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }));
      return { token: t, body, chainRoot: contact, expected: 'CapReached' };
    },
  },
  {
    name: 'refused by Connect (a VOICE contact)',
    async setup(world) {
      const contact = world.newContact('VOICE');
      const t = token('refused');
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }));
      return { token: t, body, chainRoot: contact, expected: 'PermanentConnectError' };
    },
  },
  {
    name: 'invalid request',
    async setup(world) {
      const contact = world.newContact();
      const t = token('invalid');
      const body = await sendRequest(world, {
        ...queueTransfer({ ContactId: contact, ClientToken: t }),
        QueueID: 'x',
      });
      return { token: t, body, chainRoot: contact, expected: 'InvalidRequest' };
    },
  },
  {
    name: 'token reused for another contact',
    async setup(world) {
      const first = world.newContact();
      const t = token('reuse');
      await sendRequest(world, queueTransfer({ ContactId: first, ClientToken: t }));
      await world.drain();
      world.takeEvents(t);
      await world.drainDlq();
      const other = world.newContact();
      const body = await sendRequest(world, queueTransfer({ ContactId: other, ClientToken: t }));
      return { token: t, body, chainRoot: other, expected: 'InvalidRequest', transfersBefore: 1 };
    },
  },
  {
    name: 'first call answered 500 after transferring',
    async setup(world) {
      const contact = world.newContact();
      const t = token('ambiguous');
      world.connect.injectFaults({ script: [{ kind: 'commit-then-error' }] });
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }));
      return { token: t, body, chainRoot: contact, expected: 'transferred' };
    },
  },
  {
    name: 'throttled throughout its first delivery',
    async setup(world) {
      const contact = world.newContact();
      const t = token('throttled');
      world.connect.injectFaults({
        script: Array.from({ length: 4 }, () => ({ kind: 'throttle' as const })),
      });
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }));
      return { token: t, body, chainRoot: contact, expected: 'transferred' };
    },
  },
  {
    name: 'a producer that lies (control characters, forged copy attributes)',
    async setup(world) {
      const contact = world.newContact();
      const t = `${token('liar')}\u0001\ud800`;
      const body = await sendRequest(world, queueTransfer({ ContactId: contact, ClientToken: t }), {
        SlotAt: { DataType: 'Number', StringValue: String(Date.now() + 86_400_000) },
        SlotEpoch: { DataType: 'Number', StringValue: '0' },
        Requeues: { DataType: 'Number', StringValue: '-5' },
        DeadLetteredAs: { DataType: 'String', StringValue: 'forged-id' },
        OriginalMessageId: { DataType: 'String', StringValue: 'not-mine' },
      });
      return { token: t, body, chainRoot: contact, expected: 'transferred' };
    },
  },
];

/** One cell: a fault at one call site, throughout one delivery. */
export interface Cell {
  readonly service: keyof SeamProxies;
  readonly site: string;
  readonly fault: SeamFault;
  readonly delivery: number;
}

/** What a run left, as the checks read it from the engines. */
export interface Observed {
  readonly transfers: number;
  readonly chainSize: number;
  /** Whether the request's token has a reservation in the chain. */
  readonly holdsToken: boolean;
  readonly letters: readonly DeadLetter[];
  readonly completed: number;
  readonly failed: number;
  readonly unfinished: boolean;
  readonly refusedBySqs: number;
  /** Whether a `TransferContact` call under the token may have transferred (faulted, 5xx or unanswered). */
  readonly ambiguousCall: boolean;
  /** The attributes of the contact the request's transfer started, if it started one. */
  readonly successorAttributes?: Readonly<Record<string, string>>;
}

/** Where a physical bound excuses a check: the only way to keep it needs the very call that fails throughout. */
export interface Bounds {
  /** SQS moved the message itself: every way to the DLQ or back to the queue was failing. */
  readonly nativeMove: boolean;
  /** The reservation could not be given back: the write that gives it back was failing. */
  readonly slotKept: boolean;
}

const SQS_SENDS = new Set(['dlq.send', 'queue.requeue', 'queue.hold']);
const SLOT_RETURNS = new Set(['ledger.release', 'request.forget']);

/** The bounds a cell may meet, on the last delivery only (an earlier one is retried). */
export function boundsOf(cell: Cell | undefined, lastDelivery: boolean): Bounds {
  const throughoutLast = cell !== undefined && lastDelivery;
  return {
    nativeMove: throughoutLast && SQS_SENDS.has(cell.site),
    slotKept: throughoutLast && SLOT_RETURNS.has(cell.site),
  };
}

const DEFINITE = new Set(['InvalidRequest', 'CapReached', 'PermanentConnectError']);

/**
 * The six invariants (and that a transfer left its attributes on the new contact), checked from the engines' state after one request ran to its end: the violations found
 * (empty when all hold).
 */
export function checkInvariants(setup: Setup, seen: Observed, bounds: Bounds, cap = 11): string[] {
  const violations: string[] = [];
  const worker = seen.letters.filter(hasReason);
  const native = seen.letters.filter((letter) => !hasReason(letter));
  const transferred = seen.transfers === 1;
  if (seen.unfinished) violations.push('never ended: still in the queue');
  if (seen.transfers > 1) violations.push(`2. once per token: ${seen.transfers} transfers`);
  if (seen.chainSize > cap) violations.push(`1. cap: the chain holds ${seen.chainSize}`);
  if (!transferred && seen.letters.length === 0)
    violations.push('4. lost: neither transferred nor in the DLQ');
  if (transferred && worker.length > 0)
    violations.push(
      `4. transferred and dead-lettered as ${worker[0]?.attributes[DeadLetterAttribute.ErrorClass]} ${worker[0]?.attributes[DeadLetterAttribute.ErrorCode]}`,
    );
  if (native.length > 0 && !bounds.nativeMove)
    violations.push('4. moved to the DLQ by SQS, without a reason');
  for (const letter of seen.letters)
    if (letter.body !== setup.body) violations.push('4. the DLQ changed the body');
  if (transferred && seen.failed > 0) violations.push('6. a Failed event for a transfer that happened');
  if (transferred && seen.completed === 0 && native.length === 0)
    violations.push('6. transferred, never announced');
  if (worker.length > 0 && seen.failed === 0) violations.push('6. dead-lettered, never announced');
  const reason = worker[0]?.attributes[DeadLetterAttribute.ErrorClass];
  if (!transferred && reason && DEFINITE.has(reason) && seen.holdsToken) {
    if (!bounds.slotKept) violations.push(`5. ${reason} kept its slot`);
  }
  if (seen.refusedBySqs > 0) violations.push(`SQS refused ${seen.refusedBySqs} of the worker's sends`);
  if (setup.attributes && transferred) {
    const carried = seen.successorAttributes ?? {};
    if (Object.entries(setup.attributes).some(([key, value]) => carried[key] !== value))
      violations.push('7. transferred without its attributes on the new contact');
  }
  if (reason === 'AmbiguousTransfer' && !seen.ambiguousCall)
    violations.push('5. dead-lettered as ambiguous, but no call under the token may have transferred');
  return violations;
}

/** Whether the run ended as the scenario does with no fault. */
export function endsAsExpected(setup: Setup, seen: Observed): boolean {
  if (setup.expected === 'transferred') return seen.transfers === 1 && seen.letters.length === 0;
  return (
    seen.transfers === 0 &&
    seen.letters.some((letter) => letter.attributes[DeadLetterAttribute.ErrorClass] === setup.expected)
  );
}

/** Runs one scenario, with one cell's fault (or none), and reads what it left. */
export async function runScenario(
  world: SeamWorld,
  scenario: Scenario,
  cell: Cell | undefined,
): Promise<{ setup: Setup; seen: Observed; sites: Map<string, number> }> {
  world.resetProxies();
  const refusedBefore = world.realisticSqs.refusals.length;
  const setup = await scenario.setup(world);
  world.resetProxies();
  const run = await world.drain((delivery) => {
    if (cell && delivery === cell.delivery)
      world.inject(cell.service, { site: cell.site, fault: cell.fault, times: 1_000 });
  });
  await world.settled();
  const sites = world.sites();
  const letters = await world.drainDlq();
  const events = world.takeEvents(setup.token);
  world.connect.injectFaults({});
  const chain = await world.chainTokens(setup.chainRoot);
  const successor = world.connect.snapshot().contacts.find((c) => c.previousContactId === setup.chainRoot);
  const seen: Observed = {
    successorAttributes: successor?.attributes,
    transfers: world.transfersOf(setup.token) - (setup.transfersBefore ?? 0),
    chainSize: chain.size,
    holdsToken: chain.has(setup.token),
    letters,
    completed: events.completed.length,
    failed: events.failed.length,
    unfinished: run.unfinished,
    refusedBySqs: world.realisticSqs.refusals.length - refusedBefore,
    // A begin applied after its caller gave up (a hang) leaves an open attempt no one can tell from a worker
    // that died during its call: ambiguity is then the safe side, as for a faulted call.
    ambiguousCall:
      cell?.site === 'connect.transfer' ||
      (cell?.site === 'request.begin' && cell.fault === 'hang') ||
      world.connect.calls.some(
        (call) =>
          call.operation === 'TransferContact' &&
          call.input.ClientToken === setup.token &&
          (call.status === 0 || call.status >= 500 || call.fault !== undefined),
      ),
  };
  return { setup, seen, sites };
}

/** The sites a fault-free run reached (the local poller's own calls left out). */
export function reachedSites(sites: Map<string, number>): { service: keyof SeamProxies; site: string }[] {
  return [...sites.keys()]
    .map((key) => {
      const [service, site] = key.split(':') as [keyof SeamProxies, string];
      return { service, site };
    })
    .filter(
      ({ site }) =>
        !/\.(receive|delete)$/.test(site) && site !== 'Admin' && !site.startsWith('connect.Admin'),
    );
}

export { SEAM_FAULTS };
