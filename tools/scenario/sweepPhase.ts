import type { SweepCounts } from '../../src/contract/sweep.js';
import type { SimulatorCall } from '../connect-simulator/types.js';
import type { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import type { DeadLetter, InvariantResult } from './invariants.js';

/** The app's transfer rule (examples/escalate-queued-tasks.ts): its tokens are `rule-<id>-<contactId>`. */
export const SCENARIO_RULE_ID = 'EscalateQueuedTasks';
/** Sweep runs after the queue drains, at most: each run after the first finds what the last one's sent. */
const MAX_SWEEPS = 3;

/** What the rule's sweep found and did over a run, and what Connect dropped. */
export interface SweepReport {
  /** Contact events Connect never put on the bus (`contactEventDropShare`). */
  readonly droppedEvents: number;
  readonly runs: number;
  readonly failedRuns: number;
  readonly found: number;
  readonly alreadyRequested: number;
  readonly enqueued: number;
  readonly pages: number;
  readonly throttled: number;
}

/**
 * Runs the rule's sweep (the stack's schedule, fired now) after the queue drained, draining again after
 * each run that enqueued something, until a run finds nothing to send (or `MAX_SWEEPS`). Waits out the
 * sweep's settle time first.
 */
export async function sweepPhase(
  local: LocalOrchestrator,
  drainAgain: () => Promise<number>,
  settleMs: number,
): Promise<SweepReport> {
  const totals = {
    runs: 0,
    failedRuns: 0,
    found: 0,
    alreadyRequested: 0,
    enqueued: 0,
    pages: 0,
    throttled: 0,
  };
  if (local.model.schedules.length === 0)
    return { droppedEvents: local.connect.droppedContactEvents, ...totals };
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep += 1) {
    let enqueued = 0;
    for (const run of await local.schedules.runNow()) {
      totals.runs += 1;
      if (run.result.kind !== 'response') {
        totals.failedRuns += 1;
        continue;
      }
      const counts = run.result.response as unknown as SweepCounts;
      totals.found += counts.found;
      totals.alreadyRequested += counts.alreadyRequested;
      totals.enqueued += counts.enqueued;
      totals.pages += counts.pages;
      totals.throttled += counts.throttled;
      enqueued += counts.enqueued;
    }
    if (enqueued === 0) break;
    await drainAgain();
  }
  return { droppedEvents: local.connect.droppedContactEvents, ...totals };
}

/**
 * The rule's contacts (the tasks the scenario started on the intake queue), each transferred once: never
 * twice, and never missed, whether its events were dropped, delivered twice or swept; a contact whose
 * request is in the DLQ with its reason counts as accounted for, not transferred.
 */
export function ruleContactsInvariant(
  tasks: number,
  calls: readonly SimulatorCall[],
  deadLetters: readonly DeadLetter[],
): InvariantResult {
  const contactIds = Array.from({ length: tasks }, (_, i) => `event-task-${i + 1}`);
  const transfers = new Map<string, number>();
  for (const call of calls)
    if (call.operation === 'TransferContact' && call.transferred)
      transfers.set(String(call.input.ClientToken), (transfers.get(String(call.input.ClientToken)) ?? 0) + 1);
  const token = (id: string) => `rule-${SCENARIO_RULE_ID}-${id}`;
  const deadTokens = new Set(deadLetters.map((d) => String(safeToken(d.body))));
  const twice = contactIds.filter((id) => (transfers.get(token(id)) ?? 0) > 1);
  const missed = contactIds.filter((id) => !transfers.has(token(id)) && !deadTokens.has(token(id)));
  const once = contactIds.filter((id) => transfers.get(token(id)) === 1).length;
  return {
    name: "7. the rule's contacts: each transferred once, whichever of its events Connect dropped",
    ok: twice.length === 0 && missed.length === 0,
    detail: `${contactIds.length} contacts, ${once} transferred once, ${contactIds.length - once - missed.length - twice.length} in the DLQ${twice.length ? `, twice: ${twice.join(', ')}` : ''}${missed.length ? `, missed: ${missed.join(', ')}` : ''}`,
  } as InvariantResult;
}

const safeToken = (body: string): unknown => {
  try {
    const parsed = JSON.parse(body) as { ClientToken?: unknown; detail?: { ClientToken?: unknown } };
    return parsed.ClientToken ?? parsed.detail?.ClientToken;
  } catch {
    return undefined;
  }
};
