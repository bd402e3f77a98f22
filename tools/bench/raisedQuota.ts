// Issue 24: a team whose TransferContact quota AWS raised keeps Connect's burst of 5. At 10/s and 40/s, the
// share of the rate the orchestrator uses over a steady backlog and the throttles it causes, read from the
// Connect simulator's call log; and, to say what limits the share, where the bucket's tokens went unused.
import { appendFileSync } from 'node:fs';
import type { SimulatorCall } from '../connect-simulator/types.js';
import { runScenario } from '../scenario/runScenario.js';
import { buildBacklog } from '../scenario/workload.js';

/** One raised quota as a team would deploy for it. */
export interface RaisedQuotaCase {
  /** The raised quota (the simulator's `ratePerSecond`) and the construct's `transferRatePerSecond`. */
  readonly rate: number;
  /** The construct's `maxConcurrency`: each worker paces to rate / maxConcurrency (5/s in both cases). */
  readonly maxConcurrency: number;
  /** Requests waiting at the start: a minute and a half of work or more at the full rate. */
  readonly backlog: number;
}

/** 10/s with 2 workers, 40/s with 8: each worker's share is 5/s, the batch of 10 two seconds of calls. */
const ALL_RAISED_QUOTA_CASES: readonly RaisedQuotaCase[] = [
  { rate: 10, maxConcurrency: 2, backlog: 900 },
  { rate: 40, maxConcurrency: 8, backlog: 3_000 },
];
/**
 * The cases a run measures: all, or those whose rate `RAISED_QUOTA_RATES` names (`RAISED_QUOTA_RATES=40`),
 * so that one rate can be measured again without the other's minutes on a shared machine.
 */
export const RAISED_QUOTA_CASES: readonly RaisedQuotaCase[] = ((only) =>
  only
    ? ALL_RAISED_QUOTA_CASES.filter((c) => only.split(',').map(Number).includes(c.rate))
    : ALL_RAISED_QUOTA_CASES)(process.env.RAISED_QUOTA_RATES);
/**
 * `RAISED_QUOTA_READ_FACTOR=2` (a diagnosis, not the case a team deploys): Connect's reads and the worker's
 * read rate at twice the transfer rate, to tell what the reads bound from what the pacing does.
 */
const READ_FACTOR = Number(process.env.RAISED_QUOTA_READ_FACTOR ?? 1);
/** The read rate of a case (`contactReadRatePerSecond`, and Connect's read quotas). */
const readRateOf = (c: RaisedQuotaCase) => c.rate * READ_FACTOR;

/** Connect's burst, which a raised rate keeps. */
export const RAISED_QUOTA_BURST = 5;
/** Left out at the start: the workers' first polls, the pacer's first reads. */
const WARMUP_MS = 10_000;

const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const at = (x: SimulatorCall) => x.receivedAt ?? 0;

/** How the calls spread: transfers per whole second, gaps between calls, where in the second they fall. */
function spreadOf(
  inWindow: readonly SimulatorCall[],
  from: number,
  start: number,
  windowSeconds: number,
  rate: number,
) {
  const ok = inWindow.filter((x) => x.transferred);
  const perSecond = Array.from({ length: Math.floor(windowSeconds) }, () => 0);
  for (const x of ok) {
    const s = Math.floor((at(x) - from) / 1000);
    if (s < perSecond.length) perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  // Gaps between one call reaching Connect and the next (any answer), in ms.
  const gaps = inWindow.slice(1).map((x, i) => at(x) - at(inWindow[i] as SimulatorCall));
  // Where in the second the calls fall (100 ms bins): bunching on whole seconds or on slots.
  const phase = Array.from({ length: 10 }, () => 0);
  for (const x of ok) {
    const bin = Math.floor((at(x) % 1000) / 100);
    phase[bin] = (phase[bin] ?? 0) + 1;
  }
  return {
    perSecond: {
      min: Math.min(...perSecond),
      p10: quantile(perSecond, 0.1),
      median: quantile(perSecond, 0.5),
      max: Math.max(...perSecond),
      secondsAtRate: perSecond.filter((n) => n >= rate).length,
      seconds: perSecond.length,
    },
    gapsMs: {
      interval: 1000 / rate,
      p10: quantile(gaps, 0.1),
      p50: quantile(gaps, 0.5),
      p90: quantile(gaps, 0.9),
      p99: quantile(gaps, 0.99),
      max: Math.max(...gaps),
      underTenMs: gaps.filter((g) => g < 10).length,
    },
    transfersBy100msOfTheSecond: phase,
    longestGaps: inWindow
      .slice(1)
      .map((_, i) => ({ atS: r3((at(inWindow[i] as SimulatorCall) - start) / 1000), gapMs: gaps[i] ?? 0 }))
      .sort((x, y) => y.gapMs - x.gapMs)
      .slice(0, 8),
  };
}

/**
 * The bucket replayed over the calls: the tokens that overflowed a full bucket are the quota left unused;
 * each overflow is charged to the gap (since the call before) it happened in, by the gap's length.
 */
function unusedTokens(calls: readonly SimulatorCall[], from: number, rate: number, burst: number) {
  const interval = 1000 / rate;
  const bands = [
    { gap: `< 2 intervals (${2 * interval} ms)`, upTo: 2 * interval, lost: 0, gaps: 0 },
    { gap: '2 intervals to 250 ms', upTo: 250, lost: 0, gaps: 0 },
    { gap: '250 ms to 1 s', upTo: 1000, lost: 0, gaps: 0 },
    { gap: '1 s or more', upTo: Number.POSITIVE_INFINITY, lost: 0, gaps: 0 },
  ];
  let tokens = burst;
  let last = from;
  let lost = 0;
  for (const x of calls) {
    const at = x.receivedAt ?? 0;
    const gap = at - last;
    const refilled = tokens + (gap / 1000) * rate;
    const overflow = Math.max(0, refilled - burst);
    const band = bands.find((b) => gap < b.upTo);
    if (band) {
      band.lost += overflow;
      band.gaps += 1;
    }
    lost += overflow;
    // A throttled call takes no token.
    tokens = Math.min(burst, refilled) - (x.status === 429 ? 0 : 1);
    tokens = Math.max(0, tokens);
    last = at;
  }
  return { lost, bands };
}

/**
 * The figures of one run's call log within its steady window: from `WARMUP_MS` after the first
 * `TransferContact` call to the moment the backlog had fewer than two batches per worker left to transfer
 * (the drain's tail, where workers run out of work, is not the pacer's doing).
 */
export function raisedQuotaFigures(calls: readonly SimulatorCall[], c: RaisedQuotaCase, burst: number) {
  const transfers = calls.filter((x) => x.operation === 'TransferContact' && x.receivedAt !== undefined);
  const done = transfers.filter((x) => x.transferred);
  const start = at(transfers[0] as SimulatorCall);
  const from = start + WARMUP_MS;
  const tailIndex = Math.max(0, done.length - 1 - 2 * 10 * c.maxConcurrency);
  const to = at(done[tailIndex] as SimulatorCall);
  const windowSeconds = (to - from) / 1000;
  const inWindow = transfers.filter((x) => at(x) >= from && at(x) < to);
  const ok = inWindow.filter((x) => x.transferred);
  const throttled = transfers.filter((x) => x.status === 429);
  const readThrottles = calls.filter((x) => x.operation !== 'TransferContact' && x.status === 429).length;

  // Each fresh request reads its contact once (`DescribeContact`, paced per worker at the read rate's share)
  // before its turn: the reads' own share of their rate bounds the transfers'.
  const reads = calls.filter(
    (x) => x.operation === 'DescribeContact' && (x.receivedAt ?? 0) >= from && (x.receivedAt ?? 0) < to,
  );
  const unused = unusedTokens(inWindow, from, c.rate, burst);
  const spread = spreadOf(inWindow, from, start, windowSeconds, c.rate);
  const capacity = windowSeconds * c.rate;
  return {
    rate: c.rate,
    burst,
    maxConcurrency: c.maxConcurrency,
    backlog: c.backlog,
    windowSeconds: r3(windowSeconds),
    windowFromS: WARMUP_MS / 1000,
    windowToS: r3((to - start) / 1000),
    transfersPerSecond: r3(ok.length / windowSeconds),
    shareOfRate: r3(ok.length / capacity),
    throttles: throttled.length,
    throttlesInWindow: inWindow.filter((x) => x.status === 429).length,
    throttleTimesS: throttled.map((x) => r3((at(x) - start) / 1000)),
    readThrottles,
    describesPerSecond: r3(reads.length / windowSeconds),
    describeShareOfReadRate: r3(reads.length / (windowSeconds * readRateOf(c))),
    wholeDrain: {
      transferred: done.length,
      seconds: r3((at(done.at(-1) as SimulatorCall) - start) / 1000),
      shareOfRate: r3(done.length / (((at(done.at(-1) as SimulatorCall) - start) / 1000) * c.rate)),
    },
    ...spread,
    // Tokens the bucket dropped (full) over the window, as a share of the window's capacity, by gap length.
    unusedShare: r3(unused.lost / capacity),
    unusedByGap: unused.bands.map((b) => ({
      gap: b.gap,
      gaps: b.gaps,
      shareOfCapacity: r3(b.lost / capacity),
    })),
  };
}

export type RaisedQuotaFigures = ReturnType<typeof raisedQuotaFigures> & {
  readonly machine?: ReturnType<ReturnType<typeof watchLoad>['stop']>;
  readonly deadLetters?: number;
  readonly invocations?: number;
};

/**
 * How busy this process was during a run: the share of each second its main thread (where the local
 * DynamoDB, SQS, the Connect simulator and the event source all run) was busy, and its CPU (that thread and
 * the workers' threads) per transfer. A main thread busy all the time delays every DynamoDB and SQS answer
 * the workers wait for: then the machine, not the pacing, bounds the rate.
 */
function watchLoad() {
  const cpuAtStart = process.cpuUsage();
  let last = performance.eventLoopUtilization();
  const busy: number[] = [];
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busy.push(performance.eventLoopUtilization(now, last).utilization);
    last = now;
  }, 1_000);
  return {
    stop(transfers: number) {
      clearInterval(timer);
      const cpu = process.cpuUsage(cpuAtStart);
      return {
        engineThreadBusy: {
          mean: r3(busy.reduce((a, b) => a + b, 0) / Math.max(1, busy.length)),
          p50: r3(quantile(busy, 0.5)),
          secondsOver90: busy.filter((b) => b > 0.9).length,
          seconds: busy.length,
        },
        cpuMsPerTransfer: r3((cpu.user + cpu.system) / 1000 / Math.max(1, transfers)),
      };
    },
  };
}

/** Drains one case's backlog through the real stack (standard retry, as deployed) and reads its call log. */
export async function raisedQuotaRun(
  c: RaisedQuotaCase,
  log: (text: string) => void,
  callsFile?: string,
): Promise<RaisedQuotaFigures> {
  log(
    `raised quota: ${c.rate}/s, burst ${RAISED_QUOTA_BURST}, maxConcurrency ${c.maxConcurrency}, ${c.backlog} requests…`,
  );
  const load = watchLoad();
  const report = await runScenario({
    workload: buildBacklog(c.backlog),
    rate: c.rate,
    maxReceiveCount: 5,
    seed: 1,
    cap: 11,
    timeoutSeconds: 1_200,
    context: {
      transferRatePerSecond: String(c.rate),
      // Raised with the transfer quota, as the construct's docs ask (the simulator's reads scale with it).
      contactReadRatePerSecond: String(readRateOf(c)),
      maxConcurrency: String(c.maxConcurrency),
    },
    environment: { AWS_RETRY_MODE: 'standard' },
    onLog: (text) => {
      if (text.startsWith('Stack:')) log(`  ${text.trim().split('\n')[0]}`);
    },
    // Pacing is what is measured: every request names its chain's first contact, which keeps its id.
    connect: {
      contactIdMode: 'keep',
      checkOrder: 'token-first',
      tokenWindowMs: 7 * 86_400_000,
      burst: RAISED_QUOTA_BURST,
      ...(READ_FACTOR !== 1 && {
        readQuotas: Object.fromEntries(
          (['DescribeContact', 'ListAssociatedContacts', 'SearchContacts'] as const).map((op) => [
            op,
            { ratePerSecond: readRateOf(c), burst: RAISED_QUOTA_BURST },
          ]),
        ),
      }),
    },
  });
  const machine = load.stop(report.calls.filter((x) => x.transferred).length);
  const figures = raisedQuotaFigures(report.calls, c, RAISED_QUOTA_BURST);
  // Each TransferContact call, one line each: ms since the case's first call, Connect's answer, the token.
  if (callsFile) {
    const transfers = report.calls.filter((x) => x.operation === 'TransferContact');
    const first = transfers[0]?.receivedAt ?? 0;
    const lines = transfers.map(
      (x) =>
        `${c.rate}/s ${(x.receivedAt ?? 0) - first} ${x.status} ${x.transferred ? 'T' : '-'} ${x.input.ClientToken}`,
    );
    appendFileSync(callsFile, `${lines.join('\n')}\n`);
  }
  const dlq = report.deadLetters.length;
  log(
    `  ${figures.shareOfRate} of the rate over ${figures.windowSeconds} s, ${figures.throttles} throttled, ${dlq} in the DLQ, invariants ${report.invariants.every((i) => i.ok) ? 'hold' : 'BROKEN'}`,
  );
  log(
    `  engines' thread busy ${machine.engineThreadBusy.mean} of the time (${machine.engineThreadBusy.secondsOver90} s over 0.9), ${machine.cpuMsPerTransfer} ms of CPU a transfer`,
  );
  return {
    ...figures,
    machine,
    deadLetters: dlq,
    // The workers' invocations (held requests come back as deliveries of their own).
    invocations: report.invocations,
  };
}
