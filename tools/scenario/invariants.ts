import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SimulatorCall } from '../connect-simulator/ConnectSimulator.js';

/** A message in the DLQ. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** The worker's attributes (none when SQS itself redrove it). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The token it ran under, when its body is a valid request. */
  readonly clientToken?: string;
  /** To delete it once redriven. */
  readonly receiptHandle?: string;
  /** Its message attributes as SQS returned them, for a redrive that keeps them. */
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
}

/** What the engines hold once the queue has drained. */
export interface DrainedState {
  /** Every message sent, by SQS message id. */
  readonly sent: ReadonlyMap<string, string>;
  /** Messages the event source deleted from the transfer queue (processed). */
  readonly deleted: ReadonlySet<string>;
  /** The DLQ's messages: body, and the worker's attributes when it put them there. */
  readonly deadLetters: readonly DeadLetter[];
  /** Messages still in the transfer queue (visible or in flight). */
  readonly stillQueued: number;
  /** The simulator's call log. */
  readonly calls: readonly SimulatorCall[];
  /** Transfers Connect made per chain. */
  readonly transfersPerChain: ReadonlyMap<string, number>;
  /** The ledger's chains: chain key → tokens holding a reservation. */
  readonly ledger: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Tokens the ledger records as having had an attempt that may have transferred (`ambiguousSince`): such
   * a reservation is kept until something proves otherwise, so it may count a transfer that did not happen.
   */
  readonly ambiguousTokens?: ReadonlySet<string>;
  /** Sent messages that name an earlier producer's message (`OriginalMessageId`): a redrive of a moved copy. */
  readonly originals?: ReadonlyMap<string, string>;
  readonly cap: number;
}

/**
 * Whether SQS moved a DLQ entry there by itself (its redrive policy), rather than the worker sending it: SQS
 * moves a message under its own id (one the scenario sent) or, for a copy the worker sent back to the queue
 * (a hold or a requeue), a message carrying `OriginalMessageId`, which the worker's own dead letters never
 * carry. (The reason attributes prove nothing: a redriven message keeps its earlier trip's.)
 *
 * @example
 * if (movedBySqs(dead, sent)) console.log('maxReceiveCount reached');
 */
export const movedBySqs = (dead: DeadLetter, sent: ReadonlyMap<string, string>): boolean =>
  sent.has(dead.messageId) || dead.attributes.OriginalMessageId !== undefined;

/**
 * The sent message a DLQ entry stands for: its own id if SQS moved a message the scenario sent, the producer's
 * message a copy names (directly, or through a redriven message that named it), else the worker's
 * `SourceMessageId`.
 *
 * @example
 * const id = sentMessageOf(dead, sent, originals);
 */
export function sentMessageOf(
  dead: DeadLetter,
  sent: ReadonlyMap<string, string>,
  originals: ReadonlyMap<string, string> = new Map(),
): string {
  if (sent.has(dead.messageId)) return dead.messageId;
  const named = movedBySqs(dead, sent) ? dead.attributes.OriginalMessageId : dead.attributes.SourceMessageId;
  if (named === undefined) return dead.messageId;
  if (sent.has(named)) return named;
  // A redriven message that already named an earlier producer's message passes that name on to its copies.
  const redriven = [...originals].find(([id, original]) => original === named && sent.has(id));
  return redriven?.[0] ?? named;
}

/** One invariant's verdict. */
export interface InvariantResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const fingerprint = (input: Record<string, unknown>) =>
  JSON.stringify(
    ['InstanceId', 'ContactId', 'ContactFlowId', 'QueueId', 'UserId'].map((k) => input[k] ?? null),
  );

/**
 * Checks the first five invariants of docs/DESIGN.md (the sixth, outcome events, is outcomeEventCheck.ts) from the engines' own state: the simulator's call log and chain
 * counts, the ledger, the queues.
 *
 * @example
 * const results = checkInvariants(state);
 * const allHold = results.every((r) => r.ok);
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the five invariants are read from one pass over the engines' state; each check is a few lines over those shared facts, and the order of the report is the order of docs/DESIGN.md.
export function checkInvariants(state: DrainedState): InvariantResult[] {
  const transfersByToken = new Map<string, number>();
  const successFingerprints = new Map<string, Set<string>>();
  for (const call of state.calls) {
    if (call.operation !== 'TransferContact') continue;
    const token = String(call.input.ClientToken ?? '');
    if (call.transferred) transfersByToken.set(token, (transfersByToken.get(token) ?? 0) + 1);
    if (call.status === 200 || call.transferred) {
      const set = successFingerprints.get(token) ?? new Set<string>();
      set.add(fingerprint(call.input));
      successFingerprints.set(token, set);
    }
  }

  const overCap = [...state.transfersPerChain].filter(([, n]) => n > state.cap);
  const ledgerOverCap = [...state.ledger].filter(([, tokens]) => tokens.size > state.cap);
  const twice = [...transfersByToken].filter(([, n]) => n > 1);
  const mixed = [...successFingerprints].filter(([, set]) => set.size > 1);

  const byWorker = new Map<string, number>();
  const bySqs = new Set<string>();
  const changedBodies: string[] = [];
  for (const dead of state.deadLetters) {
    const id = sentMessageOf(dead, state.sent, state.originals);
    if (movedBySqs(dead, state.sent)) bySqs.add(id);
    else byWorker.set(id, (byWorker.get(id) ?? 0) + 1);
    const original = state.sent.get(id);
    if (original !== undefined && original !== dead.body) changedBodies.push(id);
  }
  const lost = [...state.sent.keys()].filter((id) => !state.deleted.has(id) && !bySqs.has(id));
  const deadTwice = [...byWorker].filter(([, n]) => n > 1).map(([id]) => id);
  const describeTwice = deadTwice
    .map((id) =>
      state.deadLetters
        .filter((d) => d.attributes.SourceMessageId === id)
        .map((d) => `${d.attributes.ErrorCode}@${d.attributes.ReceiveCount}`)
        .join('+'),
    )
    .join(', ');

  const transferredTokens = new Set(transfersByToken.keys());
  const heldAmbiguous = new Set(
    state.deadLetters
      .filter(
        (d) =>
          movedBySqs(d, state.sent) ||
          d.attributes.ErrorClass === 'Transient' ||
          d.attributes.ErrorClass === 'AmbiguousTransfer',
      )
      .map((d) => d.clientToken ?? d.attributes.ClientToken ?? ''),
  );
  const ledgerTokens = [...state.ledger.values()].flatMap((tokens) => [...tokens]);
  const ambiguous = state.ambiguousTokens ?? new Set<string>();
  const keptByAmbiguity = ledgerTokens.filter(
    (token) => !transferredTokens.has(token) && !heldAmbiguous.has(token) && ambiguous.has(token),
  );
  const keptByFailures = ledgerTokens.filter(
    (token) => !transferredTokens.has(token) && !heldAmbiguous.has(token) && !ambiguous.has(token),
  );
  const uncounted = [...transferredTokens].filter((token) => !ledgerTokens.includes(token));
  // What happened to a token, for a failing check: its Connect calls and its DLQ entries.
  const historyOf = (token: string) => {
    const tokenCalls = state.calls
      .filter((c) => c.input.ClientToken === token)
      .map(
        (c) =>
          `${c.status}${c.fault ? `/${c.fault}` : ''}${c.transferred ? '/T' : ''}:${String(c.input.QueueId ?? c.input.UserId)}`,
      );
    const dead = state.deadLetters
      .filter((d) => d.clientToken === token)
      .map((d) => (movedBySqs(d, state.sent) ? 'sqs-redrive' : d.attributes.ErrorCode));
    return `${token} [calls ${tokenCalls.join(' ') || 'none'}; dlq ${dead.join(' ') || 'none'}]`;
  };

  return [
    {
      name: '1. cap: no chain has more than `cap` transfers',
      ok: overCap.length === 0 && ledgerOverCap.length === 0,
      detail: `${state.transfersPerChain.size} chains, most transfers on one chain: ${Math.max(0, ...state.transfersPerChain.values())} (cap ${state.cap})`,
    },
    {
      name: '2. once per token: no ClientToken transferred twice',
      ok: twice.length === 0,
      detail: twice.length
        ? `twice: ${twice.map(([t]) => t).join(', ')}`
        : `${transferredTokens.size} tokens, each transferred once`,
    },
    {
      name: '3. token reuse: a token never succeeded with two sets of parameters',
      ok: mixed.length === 0,
      detail: mixed.length
        ? `mixed: ${mixed.map(([t]) => t).join(', ')}`
        : 'every successful token has one set of parameters',
    },
    {
      name: '4. nothing lost: each message transferred or in the DLQ, its body unchanged',
      ok: lost.length === 0 && changedBodies.length === 0 && state.stillQueued === 0,
      detail: `${state.sent.size} sent, ${state.deleted.size} processed, ${state.deadLetters.length} in the DLQ, ${state.stillQueued} still queued${lost.length ? `, lost: ${lost.length}` : ''}${changedBodies.length ? `, bodies changed: ${changedBodies.length}` : ''}; extra DLQ copies (a worker killed between sending a copy on and recording it: the DLQ send and its dead-letter record, or a hold and its acknowledgement): ${deadTwice.length}${deadTwice.length ? ` (${describeTwice})` : ''}`,
    },
    {
      name: '5. failures cost nothing, ambiguity costs a reservation: the ledger counts every transfer, and more only after an ambiguous attempt',
      ok: keptByFailures.length === 0 && uncounted.length === 0,
      detail: `${ledgerTokens.length} reservations held, ${transferredTokens.size} transfers, ${keptByAmbiguity.length} kept after an ambiguous attempt (over-counted, the safe side), ${heldAmbiguous.size} held by requests in the DLQ${keptByFailures.length ? `, kept by failures: ${keptByFailures.map(historyOf).join(', ')}` : ''}${uncounted.length ? `, transfers not counted: ${uncounted.map(historyOf).join(', ')}` : ''}`,
    },
  ];
}
