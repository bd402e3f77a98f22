import { Annotations, type Duration, Stack, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { DEFAULTS } from '../src/contract/defaults.js';
import type { TransferOrchestratorProps } from './props.js';

/** SQS's own defaults, for a queue that leaves them unset. */
const SQS_DEFAULT_VISIBILITY_SECONDS = 30;
const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/** SQS's default retention (4 days), for a queue that leaves it unset. */
const SQS_DEFAULT_RETENTION_SECONDS = 345_600;

const retentionOf = (queue: sqs.Queue): unknown =>
  (queue.node.defaultChild as sqs.CfnQueue).messageRetentionPeriod ?? SQS_DEFAULT_RETENTION_SECONDS;

/** What a brought DLQ defined in the app must take: the worker's dead letters, up to the maximum size. */
function deadLetterQueueProblems(deadLetterQueue: sqs.IQueue): string[] {
  if (!(deadLetterQueue instanceof sqs.Queue)) return [];
  const size =
    (deadLetterQueue.node.defaultChild as sqs.CfnQueue).maximumMessageSize ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
  return known(size) && size < DEFAULTS.maxMessageBytes
    ? [
        `deadLetterQueue must take messages of ${DEFAULTS.maxMessageBytes} bytes (the worker's dead letters), got ${size}`,
      ]
    : [];
}

/** The queues a deployer brought, as the orchestrator uses them. */
export interface BroughtQueues {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

const known = (value: unknown): value is number => typeof value === 'number' && !Token.isUnresolved(value);

/**
 * The problems of queues brought with `transferQueue` and `deadLetterQueue`, each naming the fix; empty when
 * none were brought or they fit. A queue defined in the app is read as it will deploy: its visibility timeout,
 * maximum size and redrive policy must be what the worker relies on. An imported queue cannot be read: it is
 * trusted, and a warning says what it must have.
 */
export function broughtQueueProblems(
  scope: IConstruct,
  props: TransferOrchestratorProps,
  settings: { readonly visibilityTimeout: Duration; readonly maxReceiveCount: number },
): string[] {
  const { transferQueue, deadLetterQueue } = props;
  if (transferQueue === undefined && deadLetterQueue === undefined) return [];
  if (transferQueue === undefined || deadLetterQueue === undefined)
    return [
      'transferQueue and deadLetterQueue are given together (the queue redrives to that DLQ), or neither',
    ];
  const needs = `a visibility timeout of at least ${settings.visibilityTimeout.toSeconds()} s, a maximum message size of ${DEFAULTS.maxMessageBytes} bytes, and a redrive policy to deadLetterQueue after ${settings.maxReceiveCount} deliveries`;
  if (transferQueue.fifo || deadLetterQueue.fifo)
    return [
      'transferQueue and deadLetterQueue must be standard queues, not FIFO: the worker holds and requeues each request on its own (per-message delays, no message group)',
    ];
  const problems = deadLetterQueueProblems(deadLetterQueue);
  if (!(transferQueue instanceof sqs.Queue)) {
    Annotations.of(scope).addWarningV2(
      'connect-transfer-orchestrator:importedTransferQueue',
      `transferQueue is imported, so it cannot be checked: it must have ${needs}; its policy must let the orchestrator's rules send to it, and its key (if any) let EventBridge and the worker use it`,
    );
    return problems;
  }
  // Its queue policy names the orchestrator's rules, and the orchestrator names it: two stacks would depend
  // on each other.
  if (Stack.of(transferQueue) !== Stack.of(scope))
    return [
      `transferQueue is defined in stack ${Stack.of(transferQueue).stackName}, another than the orchestrator's: define it in the orchestrator's stack, or import it by ARN (sqs.Queue.fromQueueArn), to avoid a dependency cycle`,
    ];
  const cfn = transferQueue.node.defaultChild as sqs.CfnQueue;
  const visibility = cfn.visibilityTimeout ?? SQS_DEFAULT_VISIBILITY_SECONDS;
  if (known(visibility) && visibility < settings.visibilityTimeout.toSeconds())
    problems.push(
      `transferQueue must hide a message for at least visibilityTimeout (${settings.visibilityTimeout.toSeconds()} s), got ${visibility} s`,
    );
  const size = cfn.maximumMessageSize ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
  if (known(size) && size < DEFAULTS.maxMessageBytes)
    problems.push(
      `transferQueue must take messages of ${DEFAULTS.maxMessageBytes} bytes (the worker's copies fill it), got ${size}`,
    );
  const dlqRetention = deadLetterQueue instanceof sqs.Queue ? retentionOf(deadLetterQueue) : undefined;
  const queueRetention = retentionOf(transferQueue);
  if (known(dlqRetention) && known(queueRetention) && dlqRetention < queueRetention)
    problems.push(
      `deadLetterQueue's retention must be at least transferQueue's (${queueRetention} s): SQS expires a dead letter by its first enqueue time, got ${dlqRetention} s`,
    );
  const redrive = transferQueue.deadLetterQueue;
  if (redrive?.queue !== deadLetterQueue)
    problems.push('transferQueue must redrive to deadLetterQueue (its deadLetterQueue.queue)');
  else if (known(redrive.maxReceiveCount) && redrive.maxReceiveCount !== settings.maxReceiveCount)
    problems.push(
      `transferQueue must redrive after maxReceiveCount (${settings.maxReceiveCount}) deliveries, as the worker counts them, got ${redrive.maxReceiveCount}`,
    );
  return problems;
}
