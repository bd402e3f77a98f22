// The other callers of `TransferContact` the bench runs against (the local stack in `neighbours.ts`, the
// model in `pacingModel.ts`).

import { seededRandom } from '../connect-simulator/random.js';

/** When another caller uses `TransferContact`: its call times within a phase (ms from the phase's start). */
export interface NeighbourPattern {
  readonly name: string;
  /** Its average calls/s. */
  readonly average: number;
  readonly schedule: (phaseMs: number) => number[];
}

const alone: NeighbourPattern = { name: 'alone', average: 0, schedule: () => [] };

/** A caller on the second, like clockwork: the harshest steady neighbour (it loses races in phase). */
const steady = (perSecond: number): NeighbourPattern => ({
  name: `steady ${perSecond}/s`,
  average: perSecond,
  schedule: (ms) =>
    Array.from({ length: Math.floor((ms / 1000) * perSecond) }, (_, i) => (i * 1000) / perSecond),
});

/** Calls at random (a Poisson process, seeded): what many independent agents and flows add up to. */
const random = (perSecond: number, seed: number): NeighbourPattern => ({
  name: `random ${perSecond}/s`,
  average: perSecond,
  schedule: (ms) => {
    const draw = seededRandom(seed);
    const gap = () => (-Math.log(1 - draw()) / perSecond) * 1000;
    const calls: number[] = [];
    for (let at = gap(); at < ms; at += gap()) calls.push(at);
    return calls;
  },
});

/** The neighbours the bench runs against, in this order (the adaptive pacer keeps what it learned). */
export const NEIGHBOURS: readonly NeighbourPattern[] = [
  alone,
  ...[0.25, 0.5, 1].map(steady),
  {
    name: 'bursts of 5 every 5 s',
    average: 1,
    schedule: (ms: number) =>
      Array.from({ length: Math.floor(ms / 5000) }, (_, i) => Array(5).fill(i * 5000)).flat(),
  },
];

/**
 * Neighbours the bench does not run, for the model only (`pacingModel.ts --others`): callers at random, and
 * steady ones that leave less room.
 */
export const OTHER_NEIGHBOURS: readonly NeighbourPattern[] = [
  alone,
  random(0.5, 3),
  random(1, 5),
  random(1.5, 7),
  steady(0.75),
  steady(1.5),
];
