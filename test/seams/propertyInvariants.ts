import { DeadLetterAttribute } from '../../src/contract/index.js';
import type { SimulatorCall } from '../../tools/connect-simulator/ConnectSimulator.js';
import type { BusEvent } from '../../tools/local-eventbridge/LocalEventBridge.js';
import { parametersOf, type SentRequest } from './propertyModel.js';
import type { DriverLog, EngineState, Letter } from './propertyWorld.js';
import type { GateCall } from './serviceGate.js';

const DEFINITE = new Set(['InvalidRequest', 'CapReached', 'PermanentConnectError']);
/** SQS sends of the worker's whose failure throughout leaves a message to SQS's own move to the DLQ. */
const SQS_SENDS = new Set(['dlq.send', 'queue.requeue', 'queue.hold']);
/** How a call may have been applied without its caller learning the answer. */
const UNANSWERED = /^(error 5|abandoned|dropped|crash: landed)/;
/** The writes that give a reservation back. */
const SLOT_RETURNS = new Set(['ledger.release', 'request.forget']);

/** Everything a run left that the checks read. */
export interface RunEvidence {
  readonly requests: readonly SentRequest[];
  readonly state: EngineState;
  readonly driver: DriverLog;
  readonly calls: readonly GateCall[];
  readonly cap: number;
}

/** The checks' verdict: violations fail the run; notes are what the design allows and the report counts. */
export interface Verdict {
  readonly violations: string[];
  readonly notes: string[];
}

/** A DLQ letter read against the run: the producer's message it stands for, and the request. */
interface ReadLetter {
  readonly letter: Letter;
  readonly native: boolean;
  readonly messageId: string | undefined;
  readonly request: SentRequest | undefined;
  readonly errorClass: string | undefined;
  readonly errorCode: string | undefined;
}

/** The facts the checks share, computed once from the evidence. */
class RunFacts {
  readonly transfersByToken = new Map<string, SimulatorCall[]>();
  readonly letters: ReadLetter[];
  readonly completed: BusEvent[];
  readonly failed: BusEvent[];
  readonly rootOfContact = new Map<string, string>();
  readonly roots: Set<string>;

  constructor(readonly evidence: RunEvidence) {
    const { state, requests, driver } = evidence;
    for (const call of state.calls) {
      if (call.operation !== 'TransferContact' || !call.transferred) continue;
      const token = String(call.input.ClientToken ?? '');
      this.transfersByToken.set(token, [...(this.transfersByToken.get(token) ?? []), call]);
    }
    for (const contact of state.contacts) this.rootOfContact.set(contact.id, contact.chain);
    this.roots = new Set(requests.map((request) => request.root));
    const byMessage = new Map(requests.flatMap((request) => request.messageIds.map((id) => [id, request])));
    this.letters = state.letters
      .map((letter): ReadLetter => {
        const native = !(DeadLetterAttribute.ErrorClass in letter.attributes);
        const messageId =
          letter.attributes[DeadLetterAttribute.SourceMessageId] ??
          driver.originals.get(letter.messageId) ??
          letter.attributes.OriginalMessageId ??
          letter.messageId;
        const request =
          byMessage.get(messageId) ?? requests.find((candidate) => candidate.body === letter.body);
        return {
          letter,
          native,
          messageId: byMessage.has(messageId) ? messageId : undefined,
          request,
          errorClass: letter.attributes[DeadLetterAttribute.ErrorClass],
          errorCode: letter.attributes[DeadLetterAttribute.ErrorCode],
        };
      })
      // Letters of an earlier run (one that did not finish) are not this run's.
      .filter(
        (read) => read.request !== undefined || requests.some((r) => read.letter.body.includes(r.root)),
      );
    const tokens = new Set(requests.map((request) => request.token).filter(Boolean));
    const ours = state.events.filter(
      (event) =>
        tokens.has(String(event.detail.ClientToken ?? '')) ||
        requests.some((request) => request.messageIds.includes(String(event.detail.MessageId ?? ''))),
    );
    this.completed = ours.filter((event) => event['detail-type'] === 'Transfer Contact Completed');
    this.failed = ours.filter((event) => event['detail-type'] === 'Transfer Contact Failed');
  }

  /** The transfer Connect made for this request (its token, its parameters), if any. */
  transferOf(request: SentRequest): SimulatorCall | undefined {
    if (!request.valid || !request.token) return undefined;
    return this.transfersByToken
      .get(request.token)
      ?.find((call) => parametersOf(call.input) === request.parameters);
  }

  /**
   * The transfer of another token that a `Completed` event's reconciliation took for its own: Connect never
   * transferred under the event's token, but the contact it names was created, at the requested destination,
   * by another token's transfer of the contact the request named (its successor), or is the very contact the
   * request named (already there). The design accepts this ("calling transferred a transfer that another
   * request to the same place made only over-counts the chain, the safe side"); anything else is a violation.
   */
  adoptedBy(event: BusEvent): SimulatorCall | undefined {
    const detail = event.detail as {
      SettledBy?: string;
      Request?: Record<string, unknown>;
      ContactId?: string;
    };
    if (detail.SettledBy !== 'reconciliation' || !detail.Request) return undefined;
    const request = detail.Request;
    const named = String(request.ContactId);
    return [...this.transfersByToken.values()]
      .flat()
      .find(
        (call) =>
          call.output?.ContactId === detail.ContactId &&
          (call.input.ContactId === named || call.output?.ContactId === named) &&
          call.input.QueueId === request.QueueId &&
          call.input.UserId === request.UserId,
      );
  }

  /** The `Completed` events for this request (its token and its parameters). */
  completedOf(request: SentRequest): BusEvent[] {
    return this.completed.filter((event) => {
      const detail = event.detail as { ClientToken?: string; Request?: Record<string, unknown> };
      return (
        detail.ClientToken === request.token && parametersOf(detail.Request ?? {}) === request.parameters
      );
    });
  }

  /** Whether the request ended transferred: by its own transfer, or settled onto a twin's (see {@link adoptedBy}). */
  endedTransferred(request: SentRequest): boolean {
    return (
      this.transferOf(request) !== undefined ||
      this.completedOf(request).some((event) => this.adoptedBy(event) !== undefined)
    );
  }

  /**
   * Whether the request's token was also given to a request with other parameters (a producer's token reuse):
   * while that one owns the token, this one is refused as a reuse, truthfully, even if it runs later.
   */
  tokenShared(request: SentRequest): boolean {
    return this.evidence.requests.some(
      (other) => other.token === request.token && other.parameters !== request.parameters,
    );
  }

  lettersOf(request: SentRequest): ReadLetter[] {
    return this.letters.filter((read) => read.request === request);
  }

  /** The ledger's chain items of a tree (any contact of it), by key. */
  chainItemsOf(root: string): [string, Set<string>][] {
    const contacts = [...this.rootOfContact].filter(([, chain]) => chain === root).map(([id]) => id);
    return contacts.flatMap((contact) => {
      const key = `chain#instance-1#${contact}`;
      const item = this.evidence.state.ledger.get(key);
      return item ? [[key, tokensOf(item)] as [string, Set<string>]] : [];
    });
  }

  /** Whether the worker could not send this request's message anywhere: it crashed, or SQS failed its sends. */
  nativeMoveExplained(request: SentRequest, messageId: string | undefined): boolean {
    const crashed = this.evidence.driver.crashes.some((crash) =>
      crash.messages.some((message) =>
        messageId ? message.original === messageId : request.messageIds.includes(message.original),
      ),
    );
    const escaped = JSON.stringify(request.body).slice(1, -1);
    const sendFailed = this.evidence.calls.some(
      (call) =>
        call.service === 'sqs' &&
        SQS_SENDS.has(call.site) &&
        call.outcome !== 'ok' &&
        call.body.includes(escaped),
    );
    return crashed || sendFailed;
  }

  /**
   * Whether anything under the token may have transferred without the worker learning how it ended, so that
   * ambiguity (a kept reservation, an `AmbiguousTransfer`) is the safe side: a `TransferContact` call faulted,
   * answered 5xx or given up on; a worker that died while holding one of its messages; or a begin applied
   * after its caller gave up (its open mark cannot be told from a worker that died during its call).
   */
  ambiguityPossible(token: string): boolean {
    const faultedCall = this.evidence.state.calls.some(
      (call) =>
        call.operation === 'TransferContact' &&
        call.input.ClientToken === token &&
        (call.status === 0 || call.status >= 500 || call.fault !== undefined),
    );
    const quoted = JSON.stringify(token);
    const unansweredCall = this.evidence.calls.some(
      (call) =>
        call.body.includes(quoted) &&
        ((call.site === 'connect.transfer' && UNANSWERED.test(call.outcome)) ||
          (call.site === 'request.begin' && call.outcome === 'abandoned')),
    );
    const messages = this.evidence.requests
      .filter((request) => request.token === token)
      .flatMap((request) => request.messageIds);
    const crashed = this.evidence.driver.crashes.some((crash) =>
      crash.messages.some((message) => messages.includes(message.original)),
    );
    return faultedCall || unansweredCall || crashed;
  }

  /** Whether a write giving this token's reservation back failed (a physical bound on "failures cost nothing"). */
  slotReturnFailed(token: string): boolean {
    const quoted = JSON.stringify(token);
    return this.evidence.calls.some(
      (call) => SLOT_RETURNS.has(call.site) && call.outcome !== 'ok' && call.body.includes(quoted),
    );
  }
}

function tokensOf(item: Record<string, unknown>): Set<string> {
  const tokens = item.tokens;
  return tokens instanceof Set ? new Set([...tokens].map(String)) : new Set();
}

const name = (request: SentRequest) => `R${request.index}`;

/** 1. Cap: no chain past the cap, by Connect's count and by the ledger's; every transfer counted. */
function checkCap(facts: RunFacts, verdict: Verdict): void {
  const { state, cap } = facts.evidence;
  for (const root of facts.roots) {
    const transfers = state.transfersPerChain.get(`instance-1/${root}`) ?? 0;
    if (transfers > cap)
      verdict.violations.push(`1. cap: Connect transferred ${root}'s chain ${transfers} times (cap ${cap})`);
    const items = facts.chainItemsOf(root);
    for (const [key, tokens] of items)
      if (tokens.size > cap)
        verdict.violations.push(`1. cap: the ledger's ${key} holds ${tokens.size} tokens`);
    if (items.length > 1)
      verdict.violations.push(
        `1. cap: ${root}'s tree is counted in ${items.length} chains: ${items.map(([key]) => key).join(', ')}`,
      );
  }
  for (const [token, calls] of facts.transfersByToken) {
    const root = facts.rootOfContact.get(String(calls[0]?.input.ContactId ?? ''));
    if (!root || !facts.roots.has(root)) continue;
    const counted = facts.chainItemsOf(root).some(([, tokens]) => tokens.has(token));
    if (!counted)
      verdict.violations.push(
        `1. cap: the transfer under ${token} is not counted in ${root}'s chain (a later request could pass the cap)`,
      );
  }
}

/** 2. Once per token; 3. a reused token is never answered with another request's transfer. */
function checkTokens(facts: RunFacts, verdict: Verdict): void {
  const tokens = new Set(facts.evidence.requests.map((request) => request.token).filter(Boolean) as string[]);
  for (const token of tokens) {
    const transfers = facts.transfersByToken.get(token) ?? [];
    if (transfers.length > 1)
      verdict.violations.push(`2. once per token: ${token} transferred ${transfers.length} times`);
  }
  for (const event of facts.completed) {
    const detail = event.detail as {
      ClientToken?: string;
      Request?: Record<string, unknown>;
      ContactId?: string;
    };
    const token = String(detail.ClientToken ?? '');
    const transfer = facts.transfersByToken.get(token)?.[0];
    const asked = parametersOf(detail.Request ?? {});
    if (!transfer) {
      const adopted = facts.adoptedBy(event);
      if (adopted)
        verdict.notes.push(
          `${token}: settled by reconciliation onto ${String(adopted.input.ClientToken)}'s transfer (the same contact, the same destination): an over-count`,
        );
      else
        verdict.violations.push(
          `3. a Completed event for ${token} (${asked}, contact ${String(detail.ContactId)}), but Connect never transferred under it, nor anyone to that place`,
        );
      continue;
    }
    if (parametersOf(transfer.input) !== asked)
      verdict.violations.push(
        `3. token reuse: a Completed event for ${asked} under ${token}, whose transfer was ${parametersOf(transfer.input)}`,
      );
    else if (detail.ContactId !== transfer.output?.ContactId)
      verdict.violations.push(
        `3. a Completed event for ${token} names contact ${detail.ContactId}, Connect made ${String(transfer.output?.ContactId)}`,
      );
  }
}

/** 4. Nothing lost: every message transferred or in the DLQ, the body unchanged. */
function checkNothingLost(facts: RunFacts, verdict: Verdict): void {
  const { requests, driver, state } = facts.evidence;
  if (driver.unfinished) verdict.violations.push('4. never ended: messages still in the queue after 60 s');
  if (state.refusedBySqs > 0)
    verdict.violations.push(`4. SQS refused ${state.refusedBySqs} of the workers' sends`);
  for (const request of requests) {
    const transferred = facts.endedTransferred(request);
    const letters = facts.lettersOf(request);
    for (const id of request.messageIds) {
      const mine = letters.filter((read) => read.messageId === id || read.messageId === undefined);
      if (!transferred && mine.length === 0)
        verdict.violations.push(
          `4. lost: ${name(request)}'s message ${id} neither transferred nor in the DLQ`,
        );
    }
    for (const read of letters) {
      if (read.letter.body !== request.body)
        verdict.violations.push(`4. the DLQ changed ${name(request)}'s body`);
      if (read.native) {
        if (!facts.nativeMoveExplained(request, read.messageId))
          verdict.violations.push(
            `4. ${name(request)} moved to the DLQ by SQS without a reason, though its worker neither crashed nor failed to send it`,
          );
        else
          verdict.notes.push(
            `${name(request)}: moved to the DLQ by SQS (its worker crashed or could not send it)`,
          );
        continue;
      }
      if (read.errorClass === 'AmbiguousTransfer' && request.token && !facts.ambiguityPossible(request.token))
        verdict.violations.push(
          `5. ${name(request)} dead-lettered as ambiguous, but no call under its token may have transferred and no worker holding it died`,
        );
      if (!transferred) continue;
      const what = `${read.errorClass} ${read.errorCode}`;
      const reuseRefusal = read.errorCode === 'IdempotentParameterMismatch' && facts.tokenShared(request);
      if (DEFINITE.has(read.errorClass ?? '') && facts.transferOf(request) && reuseRefusal)
        verdict.notes.push(
          `${name(request)}: a copy refused as a token reuse while another request held the token, another transferred once it was free`,
        );
      else if (DEFINITE.has(read.errorClass ?? '') && facts.transferOf(request))
        verdict.violations.push(`4. ${name(request)} transferred, yet dead-lettered as ${what}`);
      else if (DEFINITE.has(read.errorClass ?? ''))
        verdict.notes.push(
          `${name(request)}: a copy dead-lettered as ${what}, another settled onto a twin's transfer (nothing ran under its token)`,
        );
      else
        verdict.notes.push(
          `${name(request)}: transferred, and a copy dead-lettered as ${what} (a redrive replays it)`,
        );
    }
  }
  for (const read of facts.letters)
    if (!read.request)
      verdict.violations.push(`4. a DLQ letter matches no message sent: ${read.letter.body.slice(0, 200)}`);
}

/** 5. Failures cost nothing: a reservation is kept only by a transfer, or by an attempt that may have transferred. */
function checkSlots(facts: RunFacts, verdict: Verdict): void {
  const { requests, state } = facts.evidence;
  for (const root of facts.roots) {
    for (const [key, tokens] of facts.chainItemsOf(root)) {
      for (const token of tokens) {
        if (facts.transfersByToken.has(token)) continue;
        const record = state.ledger.get(`request#${token}`);
        if (record?.ContactId !== undefined) {
          verdict.notes.push(
            `${token}: slot held by a transfer reconciliation proved (another token's): an over-count`,
          );
          continue;
        }
        if (record && (record.attemptedAt !== undefined || record.ambiguousSince !== undefined)) {
          if (facts.ambiguityPossible(token))
            verdict.notes.push(
              `${token}: slot kept after an attempt that may have transferred (over-count, the safe side)`,
            );
          else
            verdict.violations.push(
              `5. ${token} keeps its slot as ambiguous, but no call under it may have transferred and no worker holding it died`,
            );
          continue;
        }
        const mine = requests.filter((request) => request.token === token);
        const letters = mine.flatMap((request) => facts.lettersOf(request));
        if (letters.some((read) => read.native || !DEFINITE.has(read.errorClass ?? ''))) {
          verdict.notes.push(`${token}: slot held by a request left in the DLQ for a redrive`);
          continue;
        }
        if (facts.slotReturnFailed(token)) {
          verdict.notes.push(
            `${token}: slot kept because the write giving it back failed (a physical bound)`,
          );
          continue;
        }
        const ends = mine
          .map(
            (request) =>
              `${name(request)}: ${
                facts
                  .lettersOf(request)
                  .map((read) => `${read.errorClass} ${read.errorCode}`)
                  .join(', ') || 'no letter'
              }`,
          )
          .join('; ');
        verdict.violations.push(
          `5. ${token} keeps a slot of ${key} though nothing under it transferred and no attempt of it is open or ambiguous (${ends || 'no request'})`,
        );
      }
    }
  }
}

/** 6. Every end announced: a transfer by a Completed event, a dead letter by a Failed one. */
function checkAnnounced(facts: RunFacts, verdict: Verdict): void {
  for (const request of facts.evidence.requests) {
    const transfer = facts.endedTransferred(request);
    const letters = facts.lettersOf(request);
    const sameRequest = (event: BusEvent) => {
      const detail = event.detail as {
        ClientToken?: string;
        Request?: Record<string, unknown>;
        MessageId?: string;
      };
      return detail.Request
        ? detail.ClientToken === request.token && parametersOf(detail.Request) === request.parameters
        : request.messageIds.includes(String(detail.MessageId ?? ''));
    };
    if (transfer) {
      const announced = facts.completed.some(sameRequest);
      // A transfer Connect's record no longer shows (the token forgotten, the contact, which kept its id,
      // moved on by another request) ends as AmbiguousTransfer, for a person: its Failed event is the
      // announcement of that end, and says it may have transferred.
      const announcedAmbiguous = facts.failed.some(
        (event) => sameRequest(event) && event.detail.ErrorClass === 'AmbiguousTransfer',
      );
      if (!announced && announcedAmbiguous)
        verdict.notes.push(`${name(request)}: transferred, announced as AmbiguousTransfer`);
      else if (!announced && !letters.some((read) => read.native))
        verdict.violations.push(`6. ${name(request)} transferred, never announced`);
      for (const event of facts.failed.filter(sameRequest)) {
        const errorClass = String(event.detail.ErrorClass);
        const reuseRefusal =
          event.detail.ErrorCode === 'IdempotentParameterMismatch' && facts.tokenShared(request);
        if (DEFINITE.has(errorClass) && facts.transferOf(request) && !reuseRefusal)
          verdict.violations.push(
            `6. a Failed event (${errorClass} ${String(event.detail.ErrorCode)}) for ${name(request)}, whose transfer happened`,
          );
      }
    }
    for (const read of letters) {
      if (read.native) continue;
      const announced = facts.failed.some(
        (event) => sameRequest(event) && (!read.messageId || event.detail.MessageId === read.messageId),
      );
      const lostOnLast = letters.some(
        (other) => other.native && (!read.messageId || other.messageId === read.messageId),
      );
      if (!announced && lostOnLast)
        verdict.notes.push(
          `${name(request)}: dead-lettered, then lost by its worker on the last delivery before it was announced (SQS moved it too)`,
        );
      else if (!announced)
        verdict.violations.push(
          `6. ${name(request)} dead-lettered (${read.errorClass} ${read.errorCode}), never announced`,
        );
    }
  }
}

/**
 * The six invariants of docs/DESIGN.md over a whole run, from the engines' state: the simulator's calls and
 * chains, the ledger, the DLQ and the bus; the gates' log only to recognise a physical bound (a worker that
 * crashed, a write that failed throughout).
 */
export function checkRun(evidence: RunEvidence): Verdict {
  const facts = new RunFacts(evidence);
  const verdict: Verdict = { violations: [], notes: [] };
  checkCap(facts, verdict);
  checkTokens(facts, verdict);
  checkNothingLost(facts, verdict);
  checkSlots(facts, verdict);
  checkAnnounced(facts, verdict);
  return verdict;
}

/** What happened to each request, for a report: its Connect calls, letters and events. */
export function describeEvidence(evidence: RunEvidence): string {
  const facts = new RunFacts(evidence);
  const lines: string[] = [];
  for (const request of evidence.requests) {
    const calls = evidence.state.calls
      .filter((call) => call.operation === 'TransferContact' && call.input.ClientToken === request.token)
      .map(
        (call) =>
          `${call.status}${call.errorType ? ` ${call.errorType}` : ''}${call.fault ? `/${call.fault}` : ''}${call.transferred ? '/T' : ''}${parametersOf(call.input) === request.parameters ? '' : ' (other params)'}`,
      );
    const letters = facts
      .lettersOf(request)
      .map((read) => (read.native ? 'sqs-move' : `${read.errorClass} ${read.errorCode}`));
    const events = [
      ...facts.completed.filter((event) => event.detail.ClientToken === request.token).map(() => 'C'),
      ...facts.failed
        .filter(
          (event) =>
            event.detail.ClientToken === request.token ||
            request.messageIds.includes(String(event.detail.MessageId)),
        )
        .map((event) => `F:${String(event.detail.ErrorCode)}`),
    ];
    const quoted = request.token ? JSON.stringify(request.token) : undefined;
    const odd = quoted
      ? evidence.calls
          .filter(
            (call) => call.service === 'dynamodb' && call.outcome !== 'ok' && call.body.includes(quoted),
          )
          .map((call) => `w${call.slot}#${call.seq} ${call.site}: ${call.outcome}`)
      : [];
    const record = request.token ? evidence.state.ledger.get(`request#${request.token}`) : undefined;
    const recordText = record
      ? Object.keys(record)
          .filter((key) => ['attemptedAt', 'ambiguousSince', 'ContactId'].includes(key))
          .join('+') || 'plain'
      : 'none';
    lines.push(
      `  ${name(request)} ${request.valid ? '' : '(invalid) '}${request.contactId === request.root ? 'root' : 'successor'} of ${request.root} → ${request.destination}, ${request.tokenNote} ${request.token ?? ''}, ${request.messageIds.length} cop${request.messageIds.length > 1 ? 'ies' : 'y'}: connect [${calls.join(' ')}] dlq [${letters.join(', ')}] events [${events.join(' ')}] record [${recordText}]${odd.length ? ` ledger faults [${odd.join('; ')}]` : ''}`,
    );
  }
  for (const root of facts.roots) {
    const transfers = evidence.state.transfersPerChain.get(`instance-1/${root}`) ?? 0;
    const chains = facts
      .chainItemsOf(root)
      .map(([key, tokens]) => `${key.split('#').pop()}: {${[...tokens].join(', ')}}`);
    lines.push(`  chain ${root}: ${transfers} transfers; ledger ${chains.join(' ') || '{}'}`);
  }
  for (const crash of evidence.driver.crashes)
    lines.push(
      `  worker ${crash.slot}: ${crash.reason}, batch ${crash.messages.map((m) => `${m.original}@${m.receiveCount}`).join(' ')}`,
    );
  return lines.join('\n');
}
