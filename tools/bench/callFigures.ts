// What the neighbour figures count, the same for the local stack (`neighbours.ts`, from the Connect
// simulator's call log) and for the model (`pacingModel.ts`, from its token bucket).

import type { NeighbourPattern } from './neighbourPatterns.js';

/** One `TransferContact` call: whose, when, and what the quota made of it. */
export interface CountedCall {
  /** When it reached Connect (ms). */
  readonly at: number;
  /** The neighbour's, not ours. */
  readonly theirs: boolean;
  /** Connect transferred (the bucket had a token). */
  readonly ok: boolean;
  /** Connect answered 429. */
  readonly throttled: boolean;
}

/** One phase's figures. */
export interface PhaseResult {
  readonly neighbour: string;
  readonly ourPerSecond: number;
  /** Our transfers/s over what the neighbour leaves of the quota (2 − its average). */
  readonly shareOfWhatIsLeft: number;
  readonly ourThrottledShare: number;
  readonly neighbourCalls: number;
  readonly neighbourThrottledShare: number;
}

/** A figure to three decimals, as every neighbour figure is printed. */
export const round = (x: number) => Math.round(x * 1000) / 1000;
const throttledShare = (calls: readonly CountedCall[]) =>
  round(calls.filter((c) => c.throttled).length / Math.max(1, calls.length));

/** Our calls and the neighbour's within `[from, to)`. */
export function phaseFigures(
  calls: readonly CountedCall[],
  pattern: NeighbourPattern,
  from: number,
  to: number,
): PhaseResult {
  const inWindow = calls.filter((c) => c.at >= from && c.at < to);
  const ours = inWindow.filter((c) => !c.theirs);
  const theirs = inWindow.filter((c) => c.theirs);
  const ourPerSecond = ours.filter((c) => c.ok).length / ((to - from) / 1000);
  return {
    neighbour: pattern.name,
    ourPerSecond: round(ourPerSecond),
    shareOfWhatIsLeft: round(ourPerSecond / (2 - pattern.average)),
    ourThrottledShare: throttledShare(ours),
    neighbourCalls: theirs.length,
    neighbourThrottledShare: throttledShare(theirs),
  };
}

/**
 * The calls of each `stepMs` since `from`, as `ours ok/throttled · theirs ok/throttled`, one line a step:
 * how the pacer moved over a run (the phase figures are its averages).
 */
export function callTimeline(calls: readonly CountedCall[], from: number, stepMs: number): string[] {
  const steps: number[][] = [];
  for (const call of calls) {
    if (call.at < from) continue;
    const step = Math.floor((call.at - from) / stepMs);
    const row = steps[step] ?? [0, 0, 0, 0];
    const column = (call.theirs ? 2 : 0) + (call.throttled ? 1 : 0);
    row[column] = (row[column] ?? 0) + 1;
    steps[step] = row;
  }
  return Array.from(steps, (row, i) => {
    const [a, b, c, d] = row ?? [0, 0, 0, 0];
    return `${(i * stepMs) / 1000}s ${a}/${b} · ${c}/${d}`;
  });
}
