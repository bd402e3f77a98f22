import { appendFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OUTCOME_EVENT_SOURCE, Outcome, WorkerEnv } from '../../src/contract/index.js';
import { seededRandom } from '../connect-simulator/random.js';
import { LocalOrchestrator } from '../local-runner/LocalOrchestrator.js';
import { parseOutcomeLine } from '../local-runner/outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';
import type { SeamFaultOptions } from '../local-runner/seamProxies.js';
import type { SeenOutcomeEvent } from './outcomeEventCheck.js';
import {
  HARSH_CONNECT,
  HARSH_EVENTBRIDGE,
  SCENARIO_APP,
  SCENARIO_INTAKE_QUEUE,
  type ScenarioOptions,
  type SeamFaultPlan,
} from './scenarioTypes.js';

/**
 * With `SCENARIO_TRACE_FILE` set, every line the workers log, every batch's result and every outcome event
 * is appended there, time-stamped (ms): what it takes to follow one message through a failed run.
 */
function trace(line: string): void {
  const file = process.env.SCENARIO_TRACE_FILE;
  if (file) appendFileSync(file, `${Date.now()} ${line}\n`);
}

// A run's parts: the stack it starts, what it counts, the chaos it makes. runScenario.ts orders them.
const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the worker's logs and batches told while the run went on. */
export interface RunCounters {
  /** Messages the worker sent back to the queue (their outcome line said `Requeued`). */
  readonly requeued: Set<string>;
  /** Messages the scenario sent that name an earlier message as the producer's (`OriginalMessageId`). */
  readonly originals: Map<string, string>;
  /** Outcome events seen on the orchestrator's bus. */
  readonly outcomeEvents: SeenOutcomeEvent[];
  /** Messages EventBridge delivered to the transfer queue (from the request rule and the contact-event rule). */
  readonly delivered: Map<string, string>;
  readonly outcomes: Map<string, number>;
  readonly codes: Map<string, number>;
  readonly deleted: Set<string>;
  readonly transferTimes: number[];
  invocations: number;
  invocationSeconds: number;
  logBytes: number;
}

/** The synthesized stack on the local engines, in the run's Connect world, counting what the worker does. */
export async function startStack(
  options: ScenarioOptions,
  functionTimeoutSeconds: number,
  counters: RunCounters,
): Promise<LocalOrchestrator> {
  return LocalOrchestrator.start({
    app: options.app ?? SCENARIO_APP,
    eventBridge: { ...HARSH_EVENTBRIDGE, ...options.eventBridge, seed: options.seed },
    context: {
      instanceIds: SAMPLE_INSTANCE_ID,
      transferRatePerSecond: String(options.rate),
      // A team that raised the transfer quota raises UpdateContactAttributes' with it (the simulator's follows).
      attributesRatePerSecond: String(options.rate),
      functionTimeoutSeconds: String(functionTimeoutSeconds),
      maxReceiveCount: String(options.maxReceiveCount),
      transferCap: String(options.cap),
      tokenReplayWindowSeconds: '5',
      escalateFromQueueId: SCENARIO_INTAKE_QUEUE,
      // The rule's sweep runs when the scenario fires it (after the queue drains), on contacts a second old.
      sweepSettleSeconds: '1',
      ...options.context,
    },
    simulator: {
      ratePerSecond: options.rate,
      burst: 5,
      seed: options.seed,
      ...HARSH_CONNECT,
      ...(options.seams && { readLagMs: options.seams.readLagMs, readLagShare: options.seams.readLagShare }),
      contactEventDropShare: options.contactEventDropShare ?? 0,
      ...options.connect,
    },
    schedules: { intervalMs: false },
    seed: options.workload.seed,
    // A hang must outlast the worker's SDK timeout; a short one keeps a run short.
    environment: {
      ...(options.seams && { [WorkerEnv.requestTimeoutMs]: String(options.seams.requestTimeoutMs) }),
      ...options.environment,
    },
    seamFaults: options.seams && seamFaultsOf(options.seams, options.seed),
    onLogLine: (line) => {
      counters.logBytes += Buffer.byteLength(line) + 1;
      trace(line);
      const outcome = parseOutcomeLine(line);
      if (!outcome) return;
      count(counters.outcomes, outcome.outcome);
      if (outcome.outcome === Outcome.Requeued && outcome.messageId) counters.requeued.add(outcome.messageId);
      if (outcome.errorCode) count(counters.codes, `${outcome.outcome}:${outcome.errorCode}`);
      if (outcome.outcome === Outcome.Transferred) counters.transferTimes.push(Date.now());
    },
    onBatch: (report) => {
      counters.invocations += 1;
      counters.invocationSeconds += report.durationMs / 1000;
      for (const id of report.deleted) counters.deleted.add(id);
      trace(`BATCH ${JSON.stringify(report)}`);
    },
  });
}

/**
 * The fault layer's plan: the same rates at every service, each drawn from its own seed (derived from the
 * run's), so a run is repeatable and one service's draws do not shift another's.
 */
function seamFaultsOf(plan: SeamFaultPlan, seed: number): SeamFaultOptions {
  const random = (offset: number) => ({ rates: plan.rates, seed: seed * 16 + offset });
  return {
    hangMs: plan.hangMs,
    dynamodb: random(1),
    sqs: random(2),
    eventbridge: random(3),
    connect: random(4),
  };
}

/** The run's settings as the demo prints them first. */
export function describeRun(
  options: ScenarioOptions,
  local: LocalOrchestrator,
  functionTimeoutSeconds: number,
): string {
  const connect = { ...HARSH_CONNECT, ...options.connect };
  const ids =
    connect.contactIdMode === 'keep'
      ? 'kept'
      : `new (${Math.round((connect.keepIdShare ?? 0) * 100)} % kept)`;
  const memory = connect.tokenWindowMs === undefined ? '7 days' : `${connect.tokenWindowMs / 1000} s`;
  return (
    `Stack: rate ${options.rate}/s, timeout ${functionTimeoutSeconds} s, maxReceiveCount ${options.maxReceiveCount}, maxConcurrency ${local.model.worker.eventSource.maxConcurrency}, cap ${options.cap}\n` +
    `Connect: contact ids ${ids}, ${connect.checkOrder ?? 'state-first'} checks, token memory ${memory}\n` +
    describeSeams(options.seams)
  );
}

/** The seam faults as the demo prints them: the share of calls per fault, the timeout, Connect's read lag. */
function describeSeams(seams: SeamFaultPlan | undefined): string {
  if (!seams) return 'Seams: no faults (the worker talks to the engines directly)\n';
  const percent = (share: number) => `${Math.round(share * 10_000) / 100} %`;
  const total = Object.values(seams.rates).reduce((sum, rate) => sum + (rate ?? 0), 0);
  const kinds = Object.entries(seams.rates)
    .map(([fault, rate]) => `${fault} ${percent(rate ?? 0)}`)
    .join(', ');
  return (
    `Seams: ${percent(total)} of the worker's calls faulted at DynamoDB, SQS, EventBridge and Connect (${kinds}); ` +
    `request timeout ${seams.requestTimeoutMs} ms, hangs applied after ${seams.hangMs} ms; ` +
    `${percent(seams.readLagShare)} of new contacts unseen by Connect's reads for ${seams.readLagMs} ms\n`
  );
}

/**
 * Chaos: while the simulator holds a call (before or after it acted), sometimes kills an execution
 * environment. Returns a stop function that resolves to the number of kills.
 */
export function startKiller(local: LocalOrchestrator, options: ScenarioOptions): () => Promise<number> {
  let kills = 0;
  let killing = true;
  const loop = (async () => {
    const random = seededRandom(options.seed + 1);
    let lastKill = 0;
    while (killing && options.killWhileHeldRate) {
      await sleep(50);
      if (
        local.connect.heldCalls > 0 &&
        Date.now() - lastKill > 500 &&
        random() < options.killWhileHeldRate
      ) {
        await local.killEnvironment(Math.floor(random() * local.environmentCount));
        kills += 1;
        lastKill = Date.now();
      }
    }
  })();
  return async () => {
    killing = false;
    await loop;
    return kills;
  };
}

/** The engines the run reads from, and what it checks the invariants with. */
export interface RunContext {
  readonly options: ScenarioOptions;
  readonly local: LocalOrchestrator;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly counters: RunCounters;
  readonly deadline: number;
  readonly tick: (sentCount: number) => (remaining: number) => void;
}

/** Follows the bus: the outcome events, and the messages EventBridge delivers to the transfer queue. */
export function watchEventBridge(local: LocalOrchestrator, counters: RunCounters): void {
  local.eventBridge.onEvent((_, event) => {
    if (event.source !== OUTCOME_EVENT_SOURCE) return;
    const messageId = String((event.detail as { MessageId?: unknown }).MessageId ?? '');
    counters.outcomeEvents.push({ detailType: event['detail-type'], messageId });
    trace(`EVENT ${JSON.stringify(event)}`);
  });
  local.eventBridge.onDelivery((delivery) => {
    if (delivery.queueUrl === local.queueUrl) counters.delivered.set(delivery.messageId, delivery.body);
  });
}

/** Counters at zero. */
export function newCounters(): RunCounters {
  return {
    requeued: new Set(),
    originals: new Map(),
    outcomeEvents: [],
    delivered: new Map(),
    outcomes: new Map(),
    codes: new Map(),
    deleted: new Set(),
    transferTimes: [],
    invocations: 0,
    invocationSeconds: 0,
    logBytes: 0,
  };
}

/** The run's clients, deadline and progress reporting. */
export function runContext(
  options: ScenarioOptions,
  local: LocalOrchestrator,
  counters: RunCounters,
  started: number,
): RunContext {
  return {
    options,
    local,
    counters,
    sqs: new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false }),
    dynamodb: new DynamoDBClient({ endpoint: local.dynamodb.endpoint }),
    deadline: started + options.timeoutSeconds * 1000,
    tick: (sentCount) => (left) =>
      options.onProgress?.({
        done: Math.max(0, sentCount - left),
        total: sentCount,
        remaining: left,
        elapsedSeconds: (Date.now() - started) / 1000,
      }),
  };
}
