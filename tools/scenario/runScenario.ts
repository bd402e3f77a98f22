import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { minimumFunctionTimeoutSeconds } from '../../src/contract/index.js';
import { parseTransferRequest } from '../../src/request/index.js';
import { seededRandom } from '../connect-simulator/random.js';
import { seamSiteReports } from '../local-runner/seamProxies.js';
import { attributesInvariant } from './attributesCheck.js';
import {
  drain,
  expireIdempotencyRecords,
  readLedger,
  redriveDeadLetters,
  takeDeadLetters,
} from './engineState.js';
import { checkInvariants, type DeadLetter, type InvariantResult } from './invariants.js';
import { checkOutcomeEvents, type OutcomeEventResult } from './outcomeEventCheck.js';
import {
  describeRun,
  newCounters,
  type RunContext,
  runContext,
  startKiller,
  startStack,
  watchEventBridge,
} from './runParts.js';
import type { RedriveReport, ScenarioOptions, ScenarioReport } from './scenarioTypes.js';
import { sendRounds } from './sendRounds.js';
import { ruleContactsInvariant, type SweepReport, sweepPhase } from './sweepPhase.js';

export { expireIdempotencyRecords } from './engineState.js';
export { formatReport, progressPrinter } from './formatReport.js';

export {
  DEFAULT_SEAM_FAULT_RATE,
  HARSH_CONNECT,
  harshSeams,
  type RedriveReport,
  type ScenarioOptions,
  type ScenarioReport,
  type SeamFaultPlan,
} from './scenarioTypes.js';

const _count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const _sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The six invariants over what was sent, from the engines' own state and the bus. */
async function invariantsOf(
  run: RunContext,
  sent: ReadonlyMap<string, string>,
  deadLetters: readonly DeadLetter[],
  stillQueued: number,
): Promise<InvariantResult[]> {
  return [
    ...(await stateInvariantsOf(run, sent, deadLetters, stillQueued)),
    outcomeEventsOf(run, sent, deadLetters),
  ];
}

/** The sixth invariant, with its counts. */
function outcomeEventsOf(
  run: RunContext,
  sent: ReadonlyMap<string, string>,
  deadLetters: readonly DeadLetter[],
): OutcomeEventResult {
  return checkOutcomeEvents({
    sent,
    deleted: run.counters.deleted,
    requeued: run.counters.requeued,
    originals: run.counters.originals,
    deadLetters,
    events: run.counters.outcomeEvents,
  });
}

/** The five invariants of the engines' state. */
async function stateInvariantsOf(
  run: RunContext,
  sent: ReadonlyMap<string, string>,
  deadLetters: readonly DeadLetter[],
  stillQueued: number,
): Promise<InvariantResult[]> {
  return checkInvariants({
    sent,
    deleted: run.counters.deleted,
    deadLetters,
    stillQueued,
    calls: [...run.local.connect.calls],
    transfersPerChain: new Map(run.local.connect.transfersPerChain()),
    ...(await readLedger(run.dynamodb, run.local.ledgerTableName)),
    originals: run.counters.originals,
    cap: run.options.cap,
  });
}

/**
 * The world after Connect forgot every token and the idempotency records expired: redrive the DLQ, send
 * again a quarter of the requests that transferred, drain, check again.
 */
async function redrivePhase(
  run: RunContext,
  sent: ReadonlyMap<string, string>,
  deadLetters: readonly DeadLetter[],
): Promise<RedriveReport> {
  const { local, sqs, options } = run;
  const callsBefore = local.connect.calls.length;
  local.connect.advanceClock(8 * 86_400_000);
  await expireIdempotencyRecords(run.dynamodb, local.idempotencyTableName);
  const phaseSent = await redriveDeadLetters(
    sqs,
    deadLetters,
    local.deadLetterQueueUrl,
    local.queueUrl,
    run.counters.originals,
  );
  const redriven = phaseSent.size;
  const transferredTokens = new Set(
    local.connect.calls.filter((c) => c.transferred).map((c) => String(c.input.ClientToken ?? '')),
  );
  const random = seededRandom(options.seed + 3);
  const resend = [...sent.values()]
    .filter((body) => {
      const parsed = parseTransferRequest(body, { messageId: 'resend' });
      return parsed.ok && transferredTokens.has(parsed.value.request.ClientToken);
    })
    .filter(() => random() < 0.25);
  for (const body of resend) {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: local.queueUrl, MessageBody: body }),
    );
    if (MessageId) phaseSent.set(MessageId, body);
  }
  options.onLog?.(
    `Redrive phase: Connect's clock +8 days, idempotency records expired, ${redriven} redriven with new ids, ${resend.length} transferred requests sent again\n`,
  );
  const left = await drain(sqs, local, run.deadline, run.tick(phaseSent.size));
  const phaseDead = await takeDeadLetters(sqs, local.deadLetterQueueUrl);
  return {
    redriven,
    resent: resend.length,
    newTransfers: local.connect.calls.slice(callsBefore).filter((c) => c.transferred).length,
    drained: left === 0,
    invariants: await invariantsOf(run, phaseSent, phaseDead, left),
  };
}

/**
 * Contact events are best effort: the rule's sweep finds the tasks whose events Connect dropped; the queue
 * is drained again after each sweep run that sent something.
 */
async function sweepAndDrain(
  run: RunContext,
  total: number,
): Promise<{ sweep: SweepReport; remaining: number | undefined }> {
  let remaining: number | undefined;
  const sweep = await sweepPhase(
    run.local,
    async () => {
      remaining = await drain(run.sqs, run.local, run.deadline, run.tick(total));
      return remaining;
    },
    1_500,
  );
  if (sweep.runs > 0)
    run.options.onLog?.(
      `Sweep: ${sweep.runs} run(s), ${sweep.found} found, ${sweep.alreadyRequested} already requested, ${sweep.enqueued} enqueued (${sweep.droppedEvents} contact events dropped)\n`,
    );
  return { sweep, remaining };
}

/** What the run measured, read from the engines and the counters once it ended. */
function buildReport(
  run: RunContext,
  measured: Pick<
    ScenarioReport,
    | 'sent'
    | 'kinds'
    | 'deadLetters'
    | 'invariants'
    | 'elapsedSeconds'
    | 'redrive'
    | 'kills'
    | 'functionTimeoutSeconds'
    | 'viaBus'
    | 'contactEventTasks'
    | 'outcomeEvents'
    | 'sweep'
  > & {
    readonly remaining: number;
  },
): ScenarioReport {
  const { local, counters } = run;
  const { transferTimes } = counters;
  const { remaining, ...rest } = measured;
  return {
    ...rest,
    outcomes: counters.outcomes,
    codes: counters.codes,
    calls: [...local.connect.calls],
    drained: remaining === 0,
    seamSites: seamSiteReports(local.seamProxies),
    transferSpanSeconds:
      transferTimes.length > 1 ? ((transferTimes.at(-1) ?? 0) - (transferTimes[0] ?? 0)) / 1000 : 0,
    invocations: counters.invocations,
    invocationSeconds: counters.invocationSeconds,
    logBytes: counters.logBytes,
    newContactIds: local.connect.snapshot().contacts.filter((c) => c.initiationMethod === 'TRANSFER').length,
    eventBridge: { ...local.eventBridge.counts },
  };
}

/**
 * Runs a workload through the real stack on the local engines (synthesized, bundled, polled as Lambda
 * does), in the harsh world unless told otherwise, with the faults asked for; waits for the queue to drain,
 * and checks the six invariants (five of the engines' state, one of the bus) from the engines' own state (and again after a redrive phase, if asked).
 *
 * @example
 * const report = await runScenario({ workload, rate: 20, maxReceiveCount: 4, seed: 7, cap: 11, timeoutSeconds: 600 });
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  // The shortest timeout that holds a paced batch (the construct checks it): retries come back sooner.
  const functionTimeoutSeconds =
    Math.ceil(
      minimumFunctionTimeoutSeconds({
        batchSize: 10,
        maxConcurrency: Number(options.context?.maxConcurrency ?? 2),
        transferRatePerSecond: options.rate,
      }),
    ) + 1;
  const counters = newCounters();
  const local = await startStack(options, functionTimeoutSeconds, counters);
  watchEventBridge(local, counters);
  options.onLog?.(describeRun(options, local, functionTimeoutSeconds));
  local.connect.injectFaults(options.connectFaults ?? {});

  const started = Date.now();
  const run = runContext(options, local, counters, started);
  const stopKiller = startKiller(local, options);

  const sentWorkload = await sendRounds(
    { sqs: run.sqs, events: new EventBridgeClient({ endpoint: local.eventBridge.endpoint }) },
    local,
    options.workload,
    {
      rate: options.rate,
      seed: options.seed,
      busShare: options.busShare ?? 0.2,
      contactEvents: options.contactEvents ?? 0,
    },
  );
  const { sent, kinds } = sentWorkload;
  options.onLog?.(
    `Sent ${sent.size + sentWorkload.viaBus} requests (${sentWorkload.viaBus} as events on the bus): ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; started ${sentWorkload.contactEventTasks} tasks for the contact-event rule\n`,
  );
  let remaining = await drain(run.sqs, local, run.deadline, run.tick(sent.size + sentWorkload.viaBus));
  const { sweep, remaining: afterSweep } = await sweepAndDrain(run, sent.size + sentWorkload.viaBus);
  remaining = afterSweep ?? remaining;
  // What EventBridge delivered counts as sent, under the ids SQS gave it.
  for (const [id, body] of counters.delivered) sent.set(id, body);
  const elapsedSeconds = (Date.now() - started) / 1000;
  const deadLetters = await takeDeadLetters(run.sqs, local.deadLetterQueueUrl);
  const ruleCheck = () =>
    ruleContactsInvariant(sentWorkload.contactEventTasks, local.connect.calls, deadLetters);
  const attributesCheck = (bodies: ReadonlyMap<string, string>) =>
    attributesInvariant(bodies.values(), local.connect.calls, local.connect.snapshot().contacts);
  const attributes = attributesCheck(sent);
  const invariants = [...(await invariantsOf(run, sent, deadLetters, remaining)), ruleCheck(), attributes];
  const redrive = options.redrive ? await redrivePhase(run, sent, deadLetters) : undefined;
  if (redrive) (redrive.invariants as InvariantResult[]).push(ruleCheck(), attributesCheck(sent));
  const kills = await stopKiller();

  const events = outcomeEventsOf(run, sent, deadLetters);
  const report = buildReport(run, {
    viaBus: sentWorkload.viaBus,
    contactEventTasks: sentWorkload.contactEventTasks,
    sweep,
    outcomeEvents: { completed: events.completed, failed: events.failed, repeats: events.repeats },
    sent,
    kinds,
    deadLetters,
    invariants,
    remaining,
    elapsedSeconds,
    redrive,
    kills,
    functionTimeoutSeconds,
  });
  await local.stop();
  return report;
}
