import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterQueue } from './DeadLetterQueue.js';
import { QueueHold } from './QueueHold.js';
import { RequeueSender } from './RequeueSender.js';
import { RetryScheduler } from './RetryScheduler.js';

export type { DeadLetterQueue } from './DeadLetterQueue.js';
export { type CopyFacts, copyFactsOf } from './messageAttributes.js';
export type { HeldRequest, QueueHold } from './QueueHold.js';
export type { RequeueSender } from './RequeueSender.js';
export type { RetryScheduler } from './RetryScheduler.js';

/** Where the worker's copies go, and what they must fit in. */
export interface CopyQueues {
  /** The transfer queue: holds, requeues and announce-only copies go back to it. */
  readonly transferQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Both queues' maximum message size (bytes), body and attributes together. */
  readonly maxMessageBytes: number;
}

/**
 * Every copy the worker makes of a record, behind one door: a hold (until its slot), a requeue (a "not now"
 * on its last delivery), a visibility retry (the same message, sooner) and a dead letter (with its reason).
 * The copy attributes each carries, what it drops to fit, and what SQS accepts in them are the queue room's
 * (`messageAttributes.ts`), not its callers'.
 *
 * @example
 * const copies = createCopies(sqs, { transferQueueUrl, deadLetterQueueUrl, maxMessageBytes: 262_144 });
 * await copies.deadLetters.send(record, failure, attempt);
 */
export function createCopies(sqs: SQSClient, queues: CopyQueues) {
  return {
    hold: new QueueHold(sqs, queues.transferQueueUrl, queues.maxMessageBytes),
    requeue: new RequeueSender(sqs, queues.transferQueueUrl, queues.maxMessageBytes),
    retries: new RetryScheduler(sqs, queues.transferQueueUrl),
    deadLetters: new DeadLetterQueue(sqs, queues.deadLetterQueueUrl, queues.maxMessageBytes),
  };
}
