import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeamWorld, type SeamWorldOptions } from '../support/seamWorld.js';
import {
  boundsOf,
  type Cell,
  checkInvariants,
  endsAsExpected,
  reachedSites,
  runScenario,
  SCENARIOS,
  SEAM_FAULTS,
} from './matrix.js';

/**
 * Declares the seam matrix for one world: for each scenario, a fault-free run (which must end as the
 * scenario does) names the call sites its path reaches; then each site × each fault, throughout the chosen
 * delivery, and the six invariants are checked from the engines after each cell.
 */
export function describeSeamMatrix(
  name: string,
  options: SeamWorldOptions,
  delivery: 'first' | 'last',
): void {
  describe(`the seam matrix: every call site × every fault, on the ${name}`, () => {
    let world: SeamWorld;
    beforeAll(async () => {
      world = await SeamWorld.start(options);
      await world.loadWorker();
    });
    afterAll(async () => {
      await world?.stop();
    });

    for (const scenario of SCENARIOS) {
      it(`keeps the invariants: ${scenario.name}`, { timeout: 600_000 }, async () => {
        const clean = await runScenario(world, scenario, undefined);
        expect(endsAsExpected(clean.setup, clean.seen), JSON.stringify(clean.seen)).toBe(true);
        expect(checkInvariants(clean.setup, clean.seen, boundsOf(undefined, false))).toEqual([]);
        const sites = reachedSites(clean.sites);
        const violations: string[] = [];
        let cells = 0;
        for (const { service, site } of sites) {
          for (const fault of SEAM_FAULTS) {
            const cell: Cell = { service, site, fault, delivery: 1 };
            const { setup, seen } = await runScenario(world, scenario, cell);
            cells += 1;
            const found = checkInvariants(setup, seen, boundsOf(cell, delivery === 'last'));
            for (const violation of found) violations.push(`${site} × ${fault}: ${violation}`);
          }
        }
        process.stdout.write(
          `seam matrix (${name}) ${scenario.name}: ${sites.length} sites × ${SEAM_FAULTS.length} faults = ${cells} cells, ${violations.length} violations (${sites.map((s) => s.site).join(', ')})\n`,
        );
        expect(violations).toEqual([]);
      });
    }
  });
}
