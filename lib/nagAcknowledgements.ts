import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CONNECT_RESOURCE_KINDS, renderedConnectArnPrefix } from './connectPermissions.js';

/** What the AwsSolutions findings on the orchestrator are raised on. */
export interface NagScopes {
  readonly worker: IConstruct;
  readonly eventDeadLetterQueue: IConstruct;
  readonly instanceIds: readonly string[];
  readonly hasCustomerKey: boolean;
}

/**
 * Acknowledges each finding the AwsSolutions pack raises on the orchestrator, with its reason. Nothing
 * broader: a finding not listed here still fails `cdk synth` under cdk-nag.
 */
export function acknowledgeNagFindings(scopes: NagScopes): void {
  const ack = (scope: IConstruct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id, reason });
  const { worker } = scopes;
  ack(
    worker,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The AWS-managed basic execution role only lets the worker write its own CloudWatch logs.',
  );
  ack(
    scopes.eventDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: EventBridge rule targets send what they cannot deliver here.',
  );
  if (scopes.hasCustomerKey) {
    // aws-cdk's grants on a KMS-encrypted queue or table name these action families; each is scoped to the
    // one key given as encryptionKey.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      ack(
        worker,
        `AwsSolutions-IAM5[Action::${action}]`,
        `${action} comes from aws-cdk's grants on the customer key of the queues and tables, on that key only.`,
      );
    }
  }
  // Each Connect wildcard is a kind of resource inside one configured instance: contacts are created at run
  // time, and the request names the flow, queue or agent. Named as cdk-nag renders the ARN.
  const arnPrefix = renderedConnectArnPrefix(worker);
  for (const instanceId of scopes.instanceIds) {
    for (const kind of CONNECT_RESOURCE_KINDS) {
      ack(
        worker,
        `AwsSolutions-IAM5[Resource::${arnPrefix}:instance/${instanceId}/${kind}/*]`,
        `TransferContact acts on ${kind} resources created or chosen at run time, only inside configured instance ${instanceId}.`,
      );
    }
  }
}
