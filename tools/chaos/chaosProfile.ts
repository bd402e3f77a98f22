import { DEFAULT_SEAM_FAULT_RATE, harshSeams, type ScenarioOptions } from '../scenario/runScenario.js';
import { buildWorkload } from '../scenario/workload.js';

/** The size of a chaos run. */
export interface ChaosSize {
  readonly requests: number;
  readonly chains: number;
  readonly hotChainRequests: number;
  readonly seed: number;
  /** The stack's transfer cap. @default 4 for even seeds, 11 for odd ones */
  readonly cap?: number;
  /**
   * The share of the worker's calls faulted at every seam (DynamoDB, SQS, EventBridge, Connect); 0 turns
   * the seam faults and Connect's read lag off.
   * @default DEFAULT_SEAM_FAULT_RATE
   */
  readonly seamFaultRate?: number;
}

/**
 * A chaos run, in the harsh world (new contact ids, checks before the token, a token memory shorter than
 * the retries, SQS-native moves to the DLQ, then a redrive with new ids after Connect forgot every token):
 * duplicates, a hot chain hit by many requests at once, tokens reused with other parameters,
 * invalid messages; Connect throttling, server errors, ambiguous commits, latency, and calls held before or
 * after they act while worker environments are killed (after the reservation is taken, after Connect answered but
 * before the idempotency record completed, mid-batch); and at every remote call of the worker (each
 * DynamoDB read and write, each SQS send, each `PutEvents`, Connect's transfers and reads) a failure before
 * applying, one after applying, a throttle, a lost answer or a hang past the worker's timeout, with
 * Connect's reads lagging new contacts ({@link harshSeams}).
 *
 * @example
 * const report = await runScenario(chaosScenario({ requests: 120, chains: 10, hotChainRequests: 30, seed: 1 }));
 */
export function chaosScenario(size: ChaosSize): ScenarioOptions {
  // Every second seed runs with a cap below Connect's 11, so the orchestrator's own cap is what stops chains.
  const cap = size.cap ?? (size.seed % 2 === 0 ? 4 : 11);
  const seamFaultRate = size.seamFaultRate ?? DEFAULT_SEAM_FAULT_RATE;
  return {
    workload: buildWorkload({
      requests: size.requests,
      chains: size.chains,
      seed: size.seed,
      cap,
      hotChainRequests: size.hotChainRequests,
    }),
    rate: 20,
    // Low, so that environments killed on a message's last delivery make SQS move it to the DLQ itself.
    maxReceiveCount: 3,
    seed: size.seed,
    cap,
    connectFaults: {
      throttleRate: 0.05,
      errorRate: 0.05,
      commitThenErrorRate: 0.03,
      latencyMs: 10,
      holdBeforeRate: 0.05,
      holdAfterRate: 0.05,
      holdMs: 1_500,
    },
    killWhileHeldRate: 0.5,
    seams: seamFaultRate > 0 ? harshSeams(seamFaultRate) : undefined,
    redrive: true,
    // A fifth of the requests through the bus, and tasks whose contact events the app's rule escalates.
    busShare: 0.2,
    contactEvents: Math.ceil(size.requests / 20),
    // Connect drops a tenth of its contact events: the rule's sweep finds those tasks.
    contactEventDropShare: 0.1,
    timeoutSeconds: 900,
  };
}
