import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';

/**
 * A transfer orchestrator, made in this app or in another: what producers, status readers and operators are
 * granted access to. {@link TransferOrchestrator} is one; `TransferOrchestrator.fromAttributes` imports one
 * deployed elsewhere (another stack, another app) so that its producers are granted the same way.
 */
export interface ITransferOrchestrator extends IConstruct {
  /** Producers send transfer requests here. */
  readonly queue: sqs.IQueue;
  /** Failed requests, with their reason. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The bus whose `Transfer Contact Requested` events are enqueued, and outcome events are put on. */
  readonly eventBus: events.IEventBus;
  /** Chains, request records and rejection records (read by `transfer-contact status`). */
  readonly ledgerTable: dynamodb.ITable;
  /** Powertools idempotency records (read by `transfer-contact status`). */
  readonly idempotencyTable: dynamodb.ITable;
  /** Lets a producer send to the transfer queue and put events on the orchestrator's bus. */
  grantSendRequests(grantee: iam.IGrantable): iam.Grant;
  /** Lets a reader answer `transfer-contact status`: read (only) the two tables. */
  grantReadStatus(grantee: iam.IGrantable): iam.Grant;
  /** Lets an operator list the DLQ and redrive it to the transfer queue. */
  grantRedrive(grantee: iam.IGrantable): iam.Grant;
}

/** Where a deployed orchestrator's parts are, for `TransferOrchestrator.fromAttributes`. */
export interface TransferOrchestratorAttributes {
  /** The transfer queue's ARN (the stack's output `QueueArn`). */
  readonly queueArn: string;
  /** The DLQ's ARN (`DeadLetterQueueArn`). */
  readonly deadLetterQueueArn: string;
  /** The orchestrator bus's ARN (`EventBusArn`). */
  readonly eventBusArn: string;
  /** The ledger table's ARN (`LedgerTableArn`). */
  readonly ledgerTableArn: string;
  /** The idempotency table's ARN (`IdempotencyTableArn`). */
  readonly idempotencyTableArn: string;
  /**
   * The customer key the queues and tables are encrypted with, if one was given: grants then include it.
   * @default - SSE-SQS and AWS-owned table keys: no key to grant
   */
  readonly encryptionKey?: kms.IKey;
}

/** The parts the grants are made on. */
type GrantedParts = Pick<
  ITransferOrchestrator,
  'queue' | 'deadLetterQueue' | 'eventBus' | 'ledgerTable' | 'idempotencyTable'
>;

/** Sending requests: the queue and the bus. One rule for the construct and an imported orchestrator. */
export const grantSendRequests = (parts: GrantedParts, grantee: iam.IGrantable): iam.Grant =>
  parts.queue.grantSendMessages(grantee).combine(parts.eventBus.grantPutEventsTo(grantee));

/**
 * Reading a request's status: the two tables, read only, and their customer key's decrypt when they have one
 * (`ITable.grant` never grants on the key).
 */
export function grantReadStatus(parts: GrantedParts, grantee: iam.IGrantable): iam.Grant {
  const actions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
  let grant = parts.idempotencyTable
    .grant(grantee, ...actions)
    .combine(parts.ledgerTable.grant(grantee, ...actions));
  for (const key of new Set([parts.idempotencyTable.encryptionKey, parts.ledgerTable.encryptionKey]))
    if (key) grant = grant.combine(key.grantDecrypt(grantee));
  return grant;
}

/** Working the DLQ: list it, move its messages back (`StartMessageMoveTask`), or copy them to the queue. */
export const grantRedrive = (parts: GrantedParts, grantee: iam.IGrantable): iam.Grant =>
  parts.deadLetterQueue
    .grantConsumeMessages(grantee)
    .combine(
      parts.deadLetterQueue.grant(
        grantee,
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'sqs:CancelMessageMoveTask',
      ),
    )
    .combine(parts.queue.grantSendMessages(grantee));

/** An orchestrator deployed elsewhere, imported from its attributes. */
export class ImportedTransferOrchestrator extends Construct implements ITransferOrchestrator {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  readonly ledgerTable: dynamodb.ITable;
  readonly idempotencyTable: dynamodb.ITable;

  constructor(scope: Construct, id: string, attributes: TransferOrchestratorAttributes) {
    super(scope, id);
    const keyArn = attributes.encryptionKey?.keyArn;
    this.queue = sqs.Queue.fromQueueAttributes(this, 'Queue', { queueArn: attributes.queueArn, keyArn });
    this.deadLetterQueue = sqs.Queue.fromQueueAttributes(this, 'DeadLetterQueue', {
      queueArn: attributes.deadLetterQueueArn,
      keyArn,
    });
    this.eventBus = events.EventBus.fromEventBusArn(this, 'EventBus', attributes.eventBusArn);
    this.ledgerTable = dynamodb.Table.fromTableAttributes(this, 'LedgerTable', {
      tableArn: attributes.ledgerTableArn,
      encryptionKey: attributes.encryptionKey,
    });
    this.idempotencyTable = dynamodb.Table.fromTableAttributes(this, 'IdempotencyTable', {
      tableArn: attributes.idempotencyTableArn,
      encryptionKey: attributes.encryptionKey,
    });
  }

  grantSendRequests(grantee: iam.IGrantable): iam.Grant {
    return grantSendRequests(this, grantee);
  }

  grantReadStatus(grantee: iam.IGrantable): iam.Grant {
    return grantReadStatus(this, grantee);
  }

  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return grantRedrive(this, grantee);
  }
}
