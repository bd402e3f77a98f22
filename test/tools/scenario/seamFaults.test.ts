import { describe, expect, it } from 'vitest';
import { SEAM_FAULTS } from '../../../tools/local-engines/FaultProxy.js';
import { formatReport } from '../../../tools/scenario/formatReport.js';
import {
  DEFAULT_SEAM_FAULT_RATE,
  harshSeams,
  type ScenarioReport,
} from '../../../tools/scenario/scenarioTypes.js';

const total = (rates: Partial<Record<string, number>>) =>
  Object.values(rates).reduce((sum: number, rate) => sum + (rate ?? 0), 0);

const report = (overrides: Partial<ScenarioReport> = {}): ScenarioReport => ({
  sent: new Map(),
  kinds: new Map(),
  outcomes: new Map(),
  codes: new Map(),
  deadLetters: [],
  calls: [],
  invariants: [],
  drained: true,
  kills: 0,
  seamSites: [],
  elapsedSeconds: 1,
  transferSpanSeconds: 0,
  invocations: 0,
  invocationSeconds: 0,
  logBytes: 0,
  functionTimeoutSeconds: 7,
  newContactIds: 0,
  viaBus: 0,
  contactEventTasks: 0,
  outcomeEvents: { completed: 0, failed: 0, repeats: 0 },
  eventBridge: {},
  ...overrides,
});

describe('the harsh seams of demo and chaos', () => {
  it('faults the asked share of calls, every one of the five faults among them', () => {
    const seams = harshSeams(0.02);
    expect(total(seams.rates)).toBeCloseTo(0.02, 10);
    for (const fault of SEAM_FAULTS) expect(seams.rates[fault]).toBeGreaterThan(0);
    expect(total(harshSeams().rates)).toBeCloseTo(DEFAULT_SEAM_FAULT_RATE, 10);
  });

  it('hangs calls past the worker’s request timeout, and lags Connect’s reads of some new contacts', () => {
    const seams = harshSeams();
    expect(seams.hangMs).toBeGreaterThan(seams.requestTimeoutMs);
    expect(seams.readLagMs).toBeGreaterThanOrEqual(1_000);
    expect(seams.readLagShare).toBeGreaterThan(0);
    expect(seams.readLagShare).toBeLessThan(1);
  });
});

describe('formatReport', () => {
  it('prints the calls and the faults injected per call site, and their total', () => {
    const faults = { 'fail-before': 1, 'fail-after': 0, throttle: 2, 'drop-answer': 0, hang: 1 };
    const text = formatReport(
      report({
        seamSites: [
          { site: 'dynamodb:ledger.reserve', calls: 120, faults },
          {
            site: 'connect:connect.transfer',
            calls: 80,
            faults: { ...faults, 'fail-before': 0, throttle: 0, hang: 0 },
          },
        ],
      }),
    );
    expect(text).toMatch(/seam faults injected \(every service\)\s+4/);
    expect(text).toMatch(/dynamodb:ledger\.reserve\s+120\s+1\s+0\s+2\s+0\s+1/);
    expect(text).toMatch(/connect:connect\.transfer\s+80\s+0\s+0\s+0\s+0\s+0/);
  });

  it('prints no site table for a run without seam faults', () => {
    expect(formatReport(report())).not.toContain('faults injected there');
  });
});
