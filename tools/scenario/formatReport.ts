import { SEAM_FAULTS } from '../local-engines/FaultProxy.js';
import type { ScenarioOptions, ScenarioReport } from './scenarioTypes.js';

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** The rule's sweep: what Connect dropped, what the sweep found and sent. */
function sweepRows(report: ScenarioReport): [string, number | string][] {
  const sweep = report.sweep;
  if (!sweep || sweep.runs === 0) return [];
  return [
    ['  contact events Connect dropped', sweep.droppedEvents],
    [
      '  sweep: runs, found, already requested, enqueued',
      `${sweep.runs}, ${sweep.found}, ${sweep.alreadyRequested}, ${sweep.enqueued}`,
    ],
    [
      '  sweep: SearchContacts pages, throttled, failed runs',
      `${sweep.pages}, ${sweep.throttled}, ${sweep.failedRuns}`,
    ],
  ];
}

/** The summary's rows: what happened to the requests, and what Connect and the engines saw. */
function summaryRows(report: ScenarioReport): [string, number | string][] {
  const get = (key: string) => report.outcomes.get(key) ?? 0;
  const transferCalls = report.calls.filter((c) => c.operation === 'TransferContact');
  const rows: [string, number | string][] = [
    ['requests sent (queue and bus)', report.sent.size],
    ['  put on the bus as events', report.viaBus],
    ['  from contact events (tasks started)', report.contactEventTasks],
    ...sweepRows(report),
    ['transferred', get('Transferred')],
    ['duplicates absorbed (replayed)', get('Duplicate')],
    ['duplicates retried while in flight', report.codes.get('RetryScheduled:TransferInFlight') ?? 0],
    ['cap rejections', get('CapReached')],
    ['invalid (incl. token reuse)', get('InvalidRequest')],
    ['refused by Connect', get('ConnectRejected')],
    ['ambiguous (for a person, reservation kept)', get('AmbiguousTransfer')],
    ['retried (transient)', get('RetryScheduled')],
    ['retries exhausted', get('RetriesExhausted')],
    ['sent back (throttled on last delivery)', get('Requeued')],
    ['in the DLQ', report.deadLetters.length],
    ['Connect calls', transferCalls.length],
    [
      '  refused "not active" (state-first)',
      transferCalls.filter((c) => /not active/.test(c.errorMessage ?? '')).length,
    ],
    [
      'DescribeContact / contact-tree reads',
      report.calls.filter((c) => c.operation !== 'TransferContact').length,
    ],
    ['contacts a transfer started (new ids)', report.newContactIds],
    ['  answered 429', transferCalls.filter((c) => c.status === 429).length],
    [
      '  answered 5xx / dropped / abandoned',
      transferCalls.filter((c) => c.status >= 500 || c.status === 0).length,
    ],
    [
      'outcome events: completed / failed',
      `${report.outcomeEvents.completed} / ${report.outcomeEvents.failed}`,
    ],
    ['  repeated (at least once)', report.outcomeEvents.repeats],
    [
      'EventBridge deliveries (twice: harsh)',
      `${report.eventBridge.delivered ?? 0} (${report.eventBridge.duplicated ?? 0})`,
    ],
    [
      '  undeliverable: event DLQ / lost',
      `${report.eventBridge.deadLettered ?? 0} / ${report.eventBridge.lost ?? 0}`,
    ],
    ['worker environments killed', report.kills],
    ['seam faults injected (every service)', seamFaultTotal(report)],
    ['elapsed', `${Math.round(report.elapsedSeconds)} s`],
  ];
  return rows;
}

/** Faults the fault layer injected at the worker's calls, all sites and kinds together. */
function seamFaultTotal(report: ScenarioReport): number {
  return report.seamSites.reduce(
    (sum, site) => sum + Object.values(site.faults).reduce((a, b) => a + b, 0),
    0,
  );
}

/**
 * The worker's calls per site (both phases), and the faults injected there by kind: which seams the run
 * reached and how hard each was hit.
 */
function seamSiteRows(report: ScenarioReport): string[] {
  if (report.seamSites.length === 0) return [];
  const header = ['calls', ...SEAM_FAULTS].map((name) => name.padStart(12)).join('');
  const rows = report.seamSites.map(
    ({ site, calls, faults }) =>
      `  ${site.padEnd(34)}${[calls, ...SEAM_FAULTS.map((fault) => faults[fault])].map((n) => String(n).padStart(12)).join('')}`,
  );
  return [
    "\nThe worker's calls per site, and the faults injected there",
    `  ${'site'.padEnd(34)}${header}`,
    ...rows,
  ];
}

/**
 * The report as the demo and the chaos suite print it: a summary, the DLQ by reason, the worker's calls and
 * the faults injected per call site, the invariants.
 *
 * @example
 * process.stdout.write(formatReport(report));
 */
export function formatReport(report: ScenarioReport): string {
  const rows = summaryRows(report);
  const byReason = new Map<string, number>();
  for (const dead of report.deadLetters)
    count(
      byReason,
      // SQS moves a message under its own id; a redriven one may still carry its earlier trip's attributes.
      report.sent.has(dead.messageId) || !dead.attributes.ErrorClass
        ? 'moved there by SQS itself / -'
        : `${dead.attributes.ErrorClass} / ${dead.attributes.ErrorCode ?? '-'}`,
    );
  const redrive = report.redrive;
  const failed =
    report.invariants.filter((r) => !r.ok).length + (redrive?.invariants.filter((r) => !r.ok).length ?? 0);
  return [
    '\nSummary',
    ...rows.map(([k, v]) => `  ${k.padEnd(40)} ${String(v).padStart(6)}`),
    '\nIn the DLQ, by reason',
    ...([...byReason].sort().map(([k, v]) => `  ${k.padEnd(52)} ${String(v).padStart(4)}`) || []),
    ...(byReason.size === 0 ? ['  (empty)'] : []),
    ...seamSiteRows(report),
    "\nInvariants (docs/DESIGN.md), from the engines' own state",
    ...report.invariants.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`),
    ...(redrive
      ? [
          `\nAfter Connect forgot every token (+8 days) and the idempotency records expired: ${redrive.redriven} redriven from the DLQ with new message ids, ${redrive.resent} transferred requests sent again, ${redrive.newTransfers} new transfers${redrive.drained ? '' : ' (did not drain)'}`,
          ...redrive.invariants.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`),
        ]
      : []),
    `\n${!report.drained || (redrive && !redrive.drained) ? 'The queue did not drain in time. ' : ''}${failed === 0 ? 'All invariants hold.' : `${failed} invariant(s) failed.`}\n`,
  ].join('\n');
}

/**
 * A progress bar for a terminal, or a line every few seconds elsewhere (CI logs).
 *
 * @example
 * runScenario({ ..., onProgress: progressPrinter() });
 */
export function progressPrinter(): NonNullable<ScenarioOptions['onProgress']> {
  let lastLine = 0;
  let finished = '';
  return ({ done, total, remaining, elapsedSeconds }) => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} done, ${remaining} queued or retrying, ${Math.round(elapsedSeconds)} s`;
    // A finished bar is printed once, however many quiet ticks follow it.
    const key = `${done}/${total}`;
    if (remaining === 0 && finished === key) return;
    if (remaining === 0) finished = key;
    // Clear the whole line first: a shorter line must not leave the end of a longer one behind.
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}${remaining === 0 ? '\n' : ''}`);
    else if (Date.now() - lastLine > 5_000 || remaining === 0) {
      process.stdout.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
}
