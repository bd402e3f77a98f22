// The other callers of `TransferContact` the bench runs against (the local stack in `neighbours.ts`, the
// model in `pacingModel.ts`).

/** When another caller uses `TransferContact`: its call times within a phase (ms from the phase's start). */
export interface NeighbourPattern {
  readonly name: string;
  /** Its average calls/s. */
  readonly average: number;
  readonly schedule: (phaseMs: number) => number[];
}

/** The neighbours the bench runs against, in this order (the adaptive pacer keeps what it learned). */
export const NEIGHBOURS: readonly NeighbourPattern[] = [
  { name: 'alone', average: 0, schedule: () => [] },
  ...[0.25, 0.5, 1].map((perSecond) => ({
    name: `steady ${perSecond}/s`,
    average: perSecond,
    schedule: (ms: number) =>
      Array.from({ length: Math.floor((ms / 1000) * perSecond) }, (_, i) => (i * 1000) / perSecond),
  })),
  {
    name: 'bursts of 5 every 5 s',
    average: 1,
    schedule: (ms: number) =>
      Array.from({ length: Math.floor(ms / 5000) }, (_, i) => Array(5).fill(i * 5000)).flat(),
  },
];
