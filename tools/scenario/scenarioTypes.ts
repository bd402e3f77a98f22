import type {
  ConnectSimulatorOptions,
  FaultPlan,
  SimulatorCall,
} from '../connect-simulator/ConnectSimulator.js';
import type { DynamoDBFaults } from '../local-engines/FaultyDynamoDBProxy.js';
import type { DeadLetter, InvariantResult } from './invariants.js';
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
  readonly dynamodbFaults?: DynamoDBFaults;
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
  readonly dynamodbRequests: ReadonlyMap<string, number>;
  readonly dynamodbFaultsInjected: ReadonlyMap<string, number>;
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
