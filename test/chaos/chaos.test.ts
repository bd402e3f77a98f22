import { describe, expect, it } from 'vitest';
import { chaosScenario } from '../../tools/chaos/chaosProfile';
import { formatReport, runScenario } from '../../tools/scenario/runScenario';

// The small chaos run (the long one: `npm run chaos`). The real stack on local engines, with faults in
// Connect and DynamoDB and worker environments killed mid-flight; the invariants checked from the engines.
describe('chaos, small', () => {
  it('keeps all five invariants under Connect and DynamoDB faults and killed workers', async () => {
    const report = await runScenario(
      chaosScenario({ requests: 100, chains: 8, hotChainRequests: 25, seed: 11 }),
    );
    const text = formatReport(report);
    expect(report.drained, text).toBe(true);
    for (const invariant of report.invariants)
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}\n${text}`).toBe(true);
    // The faults did happen.
    expect(
      report.kills + [...report.dynamodbFaultsInjected.values()].reduce((a, b) => a + b, 0),
    ).toBeGreaterThan(0);
    expect(report.calls.some((c) => c.status === 429)).toBe(true);
  }, 900_000);
});
