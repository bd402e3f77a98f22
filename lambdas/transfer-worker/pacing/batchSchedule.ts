import type { SQSRecord } from 'aws-lambda';
import {
  decideSlot,
  type PacingPolicy,
  slotHolds,
  unscheduledDelaySeconds,
} from '../../../src/domain/index.js';
import type { CarriedSlot, CopyFacts } from '../queue/messageAttributes.js';
import type { HeldRequest } from '../queue/QueueHold.js';
import type { SharedSchedule } from './SharedSchedule.js';

/** How long a request whose booking found the schedule busy waits in the queue before it asks again (s). */
const busyHoldSeconds = ({ min, max }: PacingPolicy['busyHoldSeconds'], random: number) =>
  min + Math.floor(random * (max - min + 1));

/** The slot of the deployment's schedule a call waits for (ms), when the batch's plan gave it one. */
export interface ScheduledTurn {
  readonly slotAt: number;
}

/** A record of the batch as the planner sees it. */
export interface PlannedRecord {
  readonly record: SQSRecord;
  /** What its copy attributes say: the slot it carries, believed only on the worker's own copies. */
  readonly facts: CopyFacts;
  /** The token the request runs under; `undefined` for a record that is not a valid request. */
  readonly clientToken: string | undefined;
  /**
   * Whether the record may wait in the queue: a valid request on an allowed instance, on its first delivery
   * (a retried record keeps its delivery count, which a new message would reset, so it runs in the function).
   */
  readonly schedulable: boolean;
}

/** Which records of a batch run now (with their slot, if any) and which wait in the queue. */
export interface BatchPlan {
  /** The records to run in this invocation, by message id, with the slot each waits for (if any). */
  readonly run: ReadonlyMap<string, ScheduledTurn | undefined>;
  /** The records to send back to wait in the queue. */
  readonly hold: readonly HeldRequest[];
}

/** How the planner reads the clock and draws (tests replace them). */
export interface PlanClock {
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * Plans a batch against the deployment's schedule: a request that came back with a slot still valid keeps
 * it; every other schedulable request books one (one booking for the batch). A request whose slot is at most
 * a second away runs now and waits for it; one further away waits in the queue until it; one beyond the
 * schedule's horizon waits there without a slot and asks again, as does one that found other workers
 * booking all the time. Bad input, retries, and anything when the schedule cannot be read or written run
 * now, paced in the function (with DynamoDB failing, their own writes fail and they are retried).
 *
 * @example
 * const plan = await planBatch(records, schedule, { now: Date.now, random: Math.random });
 */
export async function planBatch(
  records: readonly PlannedRecord[],
  schedule: SharedSchedule,
  clock: PlanClock,
): Promise<BatchPlan> {
  const { policy } = schedule;
  const run = new Map<string, ScheduledTurn | undefined>();
  const hold: HeldRequest[] = [];
  const place = (planned: PlannedRecord, clientToken: string, slot: CarriedSlot, now: number) => {
    const decision = decideSlot(slot.at, now, policy.maxInFunctionWaitMs);
    if (decision.kind === 'run') run.set(planned.record.messageId, { slotAt: slot.at });
    else
      hold.push({
        record: planned.record,
        facts: planned.facts,
        clientToken,
        delaySeconds: decision.delaySeconds,
        slot,
      });
  };

  const schedulable = records.filter((planned) => planned.schedulable && planned.clientToken);
  for (const planned of records)
    if (!schedulable.includes(planned)) run.set(planned.record.messageId, undefined);
  if (schedulable.length === 0) return { run, hold };

  const epoch = await schedule.epoch();
  const now = clock.now();
  const toBook: PlannedRecord[] = [];
  for (const planned of schedulable) {
    const slot = planned.facts.slot;
    if (slot && epoch !== undefined && slotHolds(slot, epoch, now, policy.slotStaleAfterMs))
      place(planned, planned.clientToken as string, slot, now);
    else toBook.push(planned);
  }
  if (toBook.length === 0) return { run, hold };

  const booked = await schedule.book(toBook.length);
  const bookedAt = clock.now();
  toBook.forEach((planned, i) => {
    const { record, facts } = planned;
    const clientToken = planned.clientToken as string;
    if (booked === undefined) run.set(record.messageId, undefined);
    else if (booked === 'busy')
      // No slot yet: a call now would come on top of the schedule. Ask again in a few seconds.
      hold.push({
        record,
        facts,
        clientToken,
        delaySeconds: busyHoldSeconds(policy.busyHoldSeconds, clock.random()),
      });
    else {
      const at = booked.slots[i];
      if (at !== undefined) place(planned, clientToken, { at, epoch: booked.epoch }, bookedAt);
      else {
        const delaySeconds = unscheduledDelaySeconds(
          booked.nextFreeAt,
          bookedAt,
          policy.scheduleHorizonMs,
          clock.random(),
        );
        hold.push({ record, facts, clientToken, delaySeconds });
      }
    }
  });
  return { run, hold };
}
