/** The fields of the worker's `transfer outcome` log line that the local tools read. */
export interface OutcomeLog {
  readonly outcome: string;
  readonly messageId?: string;
  readonly contactId?: string;
  readonly clientToken?: string;
  readonly transferredContactId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly attempt?: number;
  readonly timestamp?: string;
}

/**
 * Reads one line the worker logged: its `transfer outcome` record, or undefined for anything else (metrics,
 * other log lines, text).
 *
 * @example
 * parseOutcomeLine('{"message":"transfer outcome","outcome":"Transferred"}')?.outcome; // 'Transferred'
 */
export function parseOutcomeLine(line: string): OutcomeLog | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record = JSON.parse(line) as { message?: string } & OutcomeLog;
    return record.message === 'transfer outcome' ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One human line per outcome, for the local mode's console.
 *
 * @example
 * formatOutcome({ outcome: 'Transferred', contactId: 'task-1', transferredContactId: 'c-9', clientToken: 't' });
 */
export function formatOutcome(log: OutcomeLog): string {
  const time = (log.timestamp ?? new Date().toISOString()).slice(11, 19);
  const target =
    log.transferredContactId && log.transferredContactId !== log.contactId
      ? ` → ${log.transferredContactId}`
      : '';
  const reason = log.errorCode ? `  ${log.errorCode}: ${log.errorMessage ?? ''}` : '';
  return `${time}  ${log.outcome.padEnd(16)} ${log.contactId ?? '(unparsed)'}${target}  token=${log.clientToken ?? '-'}  attempt=${log.attempt ?? 1}${reason}`;
}

/**
 * The worker's `pacing rate` log line as one human line, or undefined for any other line.
 *
 * @example
 * parsePacingLine('{"message":"pacing rate","pacingRate":1.2,"timestamp":"2026-11-29T10:00:00Z"}'); // '10:00:00  pacing: 1.2 calls/s'
 */
export function parsePacingLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record = JSON.parse(line) as { message?: string; pacingRate?: number; timestamp?: string };
    if (record.message !== 'pacing rate' || typeof record.pacingRate !== 'number') return undefined;
    return `${(record.timestamp ?? new Date().toISOString()).slice(11, 19)}  pacing: ${record.pacingRate} TransferContact calls/s`;
  } catch {
    return undefined;
  }
}
