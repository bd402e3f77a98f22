import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ContextProps } from './contextProps.js';
import { TransferOrchestrator } from './TransferOrchestrator.js';

/** Properties of the {@link TransferOrchestratorStack}. */
export interface TransferOrchestratorStackProps extends StackProps {
  /** The orchestrator's own props. */
  readonly orchestrator: ContextProps;
  /**
   * ARN of a customer-managed KMS key for the queues and tables.
   * @default - SQS-managed and AWS-owned encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Name of an existing event bus to take `Transfer Contact Requested` events from.
   * @default - a new custom bus
   */
  readonly eventBusName?: string;
  /**
   * ARN of an SNS topic the alarms notify.
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string;
  /**
   * ARNs of an existing transfer queue and its DLQ (both, or neither): imported, so trusted to redrive to
   * that DLQ after `maxReceiveCount` deliveries with a long enough visibility timeout (a synth warning says
   * what they must have).
   * @default - new queues
   */
  readonly transferQueueArn?: string;
  /** @default - a new DLQ, with the new transfer queue */
  readonly deadLetterQueueArn?: string;
}

/**
 * The deployable app: one {@link TransferOrchestrator} and the outputs producers and operators need.
 *
 * @example
 * new TransferOrchestratorStack(app, 'ConnectTransferOrchestrator', { orchestrator: { instanceIds: ['…'] } });
 */
export class TransferOrchestratorStack extends Stack {
  /** The orchestrator this stack deploys. */
  public readonly orchestrator: TransferOrchestrator;

  constructor(scope: Construct, id: string, props: TransferOrchestratorStackProps) {
    super(scope, id, props);
    this.orchestrator = new TransferOrchestrator(this, 'Orchestrator', {
      ...props.orchestrator,
      encryptionKey: props.kmsKeyArn ? kms.Key.fromKeyArn(this, 'Key', props.kmsKeyArn) : undefined,
      eventBus: props.eventBusName
        ? events.EventBus.fromEventBusName(this, 'Bus', props.eventBusName)
        : undefined,
      alarmTopic: props.alarmTopicArn
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined,
      transferQueue: props.transferQueueArn
        ? sqs.Queue.fromQueueArn(this, 'TransferQueue', props.transferQueueArn)
        : undefined,
      deadLetterQueue: props.deadLetterQueueArn
        ? sqs.Queue.fromQueueArn(this, 'BroughtDeadLetterQueue', props.deadLetterQueueArn)
        : undefined,
    });
    const { queue, deadLetterQueue, eventBus, worker } = this.orchestrator;
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl, description: 'Send transfer requests here' });
    new CfnOutput(this, 'QueueArn', { value: queue.queueArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: deadLetterQueue.queueUrl,
      description: 'Failed requests, with reasons',
    });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: deadLetterQueue.queueArn });
    new CfnOutput(this, 'EventBusName', {
      value: eventBus.eventBusName,
      description: "Put 'Transfer Contact Requested' events here",
    });
    new CfnOutput(this, 'LedgerTableName', { value: this.orchestrator.ledgerTable.tableName });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.orchestrator.idempotencyTable.tableName });
    // What TransferOrchestrator.fromAttributes takes, for producers in other stacks and apps.
    new CfnOutput(this, 'EventBusArn', { value: this.orchestrator.eventBus.eventBusArn });
    new CfnOutput(this, 'LedgerTableArn', { value: this.orchestrator.ledgerTable.tableArn });
    new CfnOutput(this, 'IdempotencyTableArn', { value: this.orchestrator.idempotencyTable.tableArn });
    new CfnOutput(this, 'WorkerFunctionName', { value: worker.functionName });
  }
}
