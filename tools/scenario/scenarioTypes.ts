import type {
  ConnectSimulatorOptions,
  FaultPlan,
  SimulatorCall,
} from '../connect-simulator/ConnectSimulator.js';
import type { SeamFault } from '../local-engines/FaultProxy.js';
import type { SeamSiteReport } from '../local-runner/seamProxies.js';
import type { DeadLetter, InvariantResult } from './invariants.js';
import type { SweepReport } from './sweepPhase.js';
import type { ItemKind, Workload } from './workload.js';

/**
 * The harsh world every fault run uses by default: new contact ids after a transfer (a fifth keep theirs),
 * the old contact ended, Connect checking the contact before the token, and a token memory of 30 seconds
 * (the worker's replay window is 5), so retries outlive it during the run.
 */
export const HARSH_CONNECT: Partial<ConnectSimulatorOptions> = {
  contactIdMode: 'new',
  keepIdShare: 0.2,
  checkOrder: 'state-first',
  tokenWindowMs: 30_000,
};

/** How the worker's remote calls fail, at every service on a request's path. */
export interface SeamFaultPlan {
  /**
   * The share of the worker's calls given each fault, the same at DynamoDB, SQS, EventBridge and Connect
   * (Connect's reads as well as its writes). The local runner's own calls (receive, delete) are never faulted.
   */
  readonly rates: Readonly<Partial<Record<SeamFault, number>>>;
  /** The worker's SDK timeout (`REQUEST_TIMEOUT_MS`): a hang costs the worker this long. */
  readonly requestTimeoutMs: number;
  /** How long a hung call is held before it applies: past `requestTimeoutMs`, so the worker gives up first. */
  readonly hangMs: number;
  /** How long a share of new contacts stays unseen by Connect's reads (404, absent from the tree). */
  readonly readLagMs: number;
  /** The share of new contacts whose reads lag. */
  readonly readLagShare: number;
}

/**
 * How the seam faults split among the five kinds: half are refusals that did nothing (fail-before,
 * throttle), which the SDK retries; a third leave the worker in doubt (applied then an error, a lost answer),
 * what its promises are about; hangs cost the worker its request timeout each, so they are kept rarer.
 */
const SEAM_FAULT_SPLIT: Readonly<Record<SeamFault, number>> = {
  'fail-before': 0.3,
  'fail-after': 0.2,
  throttle: 0.2,
  'drop-answer': 0.15,
  hang: 0.15,
};

/**
 * The share of the worker's calls the harsh world faults by default (demo and chaos): 1 %. A message costs
 * the worker 14 (demo) to 20 (chaos) remote calls, so a run of 3,000 to 6,000 calls meets 30 to 60 faults,
 * at most of its call sites, and about 5 hangs of 1 s. Measured on `.ci/run`'s runs: the demo took 70 s
 * where it took 53 s without seam faults, chaos (seeds 1 and 2) 9 min where it took 12 (it faulted DynamoDB
 * at 5 % then, nothing else). At 2 % chaos kept its time but the demo took 2 min: a transient failure that
 * cannot be deferred waits out the queue's visibility timeout (42 s), and with more faults one lands on
 * the run's tail more often.
 */
export const DEFAULT_SEAM_FAULT_RATE = 0.01;

/**
 * The seam faults at `rate` (the share of the worker's calls faulted, split among the five kinds as
 * {@link SEAM_FAULT_SPLIT} says), with the worker's request timeout shortened to 1 s (a hang must outlast it,
 * and a short one keeps runs short) and a quarter of new contacts unseen by Connect's reads for 1.5 s (enough
 * that every run reads contacts Connect does not show yet; shorter than the worker's first retry of a contact
 * it cannot see, 3 s, so a lag delays a request and does not end it).
 *
 * @example
 * harshSeams(0.02).rates.hang; // 0.003
 */
export function harshSeams(rate = DEFAULT_SEAM_FAULT_RATE): SeamFaultPlan {
  const rates = Object.fromEntries(
    Object.entries(SEAM_FAULT_SPLIT).map(([fault, share]) => [fault, rate * share]),
  ) as Record<SeamFault, number>;
  return { rates, requestTimeoutMs: 1_000, hangMs: 1_500, readLagMs: 1_500, readLagShare: 0.25 };
}

/** EventBridge at its harshest documented: at-least-once delivery, so some events are delivered twice. */
export const HARSH_EVENTBRIDGE = { duplicateDeliveryRate: 0.05 } as const;

/** The app every scenario deploys: the stack, with a transfer rule on Connect's contact events. */
export const SCENARIO_APP = 'examples/escalate-queued-tasks.ts';

/**
 * The queue the contact-event tasks arrive on, which the app's rule watches (its `escalateFromQueueId`):
 * one the workload never transfers to, so the rule escalates only those tasks.
 */
export const SCENARIO_INTAKE_QUEUE = 'intake';

/** A run of a workload through the synthesized stack on the local engines. */
export interface ScenarioOptions {
  readonly workload: Workload;
  /** The simulator's `TransferContact` quota and the stack's rate, per second. */
  readonly rate: number;
  readonly maxReceiveCount: number;
  readonly seed: number;
  readonly cap: number;
  readonly connectFaults?: FaultPlan;
  /** How Connect behaves. @default HARSH_CONNECT */
  readonly connect?: Partial<ConnectSimulatorOptions>;
  /**
   * Faults at every remote call of the worker (DynamoDB, SQS, EventBridge, Connect's writes and reads), and
   * Connect's reads lagging new contacts. Demo and chaos use {@link harshSeams} unless told otherwise.
   * @default - none: the worker talks to the engines directly
   */
  readonly seams?: SeamFaultPlan;
  /** Chance, each time the simulator holds a call, that an execution environment is killed meanwhile. */
  readonly killWhileHeldRate?: number;
  /**
   * Once the queue drained: move Connect's clock past its token window, expire the idempotency records (as
   * their TTL would), redrive the DLQ as `StartMessageMoveTask` does (new message ids), send again a share of
   * the requests that transferred, drain again, and check the invariants over both phases.
   * @default false
   */
  readonly redrive?: boolean;
  readonly timeoutSeconds: number;
  /**
   * Share of the valid requests put on the orchestrator's bus as `Transfer Contact Requested` events
   * (`PutEvents`) instead of sent to its queue.
   * @default 0.2
   */
  readonly busShare?: number;
  /**
   * New tasks the simulator starts, queued on the intake queue, spread over the rounds: Connect's contact
   * events then reach the app's transfer rule, which asks for each to be escalated.
   * @default 0
   */
  readonly contactEvents?: number;
  /**
   * The share of contact events Connect drops (best effort, as documented): the app's rule misses those
   * tasks, and its sweep (run after the queue drains) finds them.
   * @default 0
   */
  readonly contactEventDropShare?: number;
  /** The CDK app deployed. @default SCENARIO_APP */
  readonly app?: string;
  /** How EventBridge delivers. @default HARSH_EVENTBRIDGE */
  readonly eventBridge?: { readonly duplicateDeliveryRate?: number };
  /** More CDK context (for instance `maxConcurrency`). */
  readonly context?: Readonly<Record<string, string>>;
  /** More worker environment (for instance `AWS_RETRY_MODE`). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: {
    done: number;
    total: number;
    remaining: number;
    elapsedSeconds: number;
  }) => void;
  readonly onLog?: (text: string) => void;
}

/** What a redrive phase did. */
export interface RedriveReport {
  /** DLQ messages moved back to the transfer queue, each under a new message id. */
  readonly redriven: number;
  /** Requests that had transferred, sent again after every memory but the ledger's had expired. */
  readonly resent: number;
  /** Transfers Connect made during the phase (each must be a request that had not transferred before). */
  readonly newTransfers: number;
  readonly invariants: readonly InvariantResult[];
  readonly drained: boolean;
}

/** What a run did, read from the engines once the queue drained. */
export interface ScenarioReport {
  readonly sent: ReadonlyMap<string, string>;
  readonly kinds: ReadonlyMap<ItemKind, number>;
  readonly outcomes: ReadonlyMap<string, number>;
  readonly codes: ReadonlyMap<string, number>;
  readonly deadLetters: readonly DeadLetter[];
  readonly calls: readonly SimulatorCall[];
  readonly invariants: readonly InvariantResult[];
  readonly drained: boolean;
  readonly kills: number;
  /** Every call site of the worker's path the run reached, its calls and the faults injected there. */
  readonly seamSites: readonly SeamSiteReport[];
  /** From the first message sent to the queue drained. */
  readonly elapsedSeconds: number;
  /** Seconds from the first successful transfer to the last. */
  readonly transferSpanSeconds: number;
  readonly invocations: number;
  /** The invocations' total duration, in seconds (Lambda bills it by the GB-second). */
  readonly invocationSeconds: number;
  /** Bytes the worker logged (CloudWatch Logs ingests them). */
  readonly logBytes: number;
  readonly functionTimeoutSeconds: number;
  /** Contacts a transfer started with a new id (the harsh default), and transfers that kept the id. */
  readonly newContactIds: number;
  /** Requests put on the bus (`PutEvents`), and tasks started for the contact-event rule. */
  readonly viaBus: number;
  readonly contactEventTasks: number;
  /** Outcome events seen on the bus, and the repeats among them. */
  readonly outcomeEvents: { readonly completed: number; readonly failed: number; readonly repeats: number };
  /** What the local EventBridge did (deliveries, duplicates, retries, its DLQ). */
  readonly eventBridge: Readonly<Record<string, number>>;
  /** The redrive phase, when asked for. */
  readonly redrive?: RedriveReport;
  /** What the rule's sweep found and did, and the contact events Connect dropped. */
  readonly sweep?: SweepReport;
}

/**
 * Whether a run kept its promises: it drained and every invariant held, and so did its redrive phase, if
 * it had one (a failure after the redrive fails the run as much as one before it).
 *
 * @example
 * process.exit(runKeptInvariants(report) ? 0 : 1);
 */
export function runKeptInvariants(report: ScenarioReport): boolean {
  const phaseOk = (phase: { drained: boolean; invariants: readonly InvariantResult[] }) =>
    phase.drained && phase.invariants.every((r) => r.ok);
  return phaseOk(report) && (report.redrive === undefined || phaseOk(report.redrive));
}
