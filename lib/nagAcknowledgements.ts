import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CONNECT_RESOURCE_KINDS, renderedConnectArnPrefix } from './connectPermissions.js';

/** What the AwsSolutions and Serverless findings on the orchestrator are raised on. */
export interface NagScopes {
  readonly worker: IConstruct;
  readonly eventDeadLetterQueue: IConstruct;
  readonly deadLetterQueue: IConstruct;
  readonly activeTracing: boolean;
  readonly instanceIds: readonly string[];
  readonly hasCustomerKey: boolean;
}

/**
 * Acknowledges each finding the AwsSolutions and Serverless packs raise on the orchestrator, with its
 * reason. Nothing broader: a finding not listed here still fails `cdk synth` under cdk-nag.
 */
export function acknowledgeNagFindings(scopes: NagScopes): void {
  const ack = (scope: IConstruct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id, reason });
  const { worker } = scopes;
  acknowledgeFunctionFindings(worker, {
    name: 'the worker',
    activeTracing: scopes.activeTracing,
    hasCustomerKey: scopes.hasCustomerKey,
  });
  ack(
    scopes.eventDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: EventBridge rule targets send what they cannot deliver here.',
  );
  for (const [queue, what] of [
    [scopes.eventDeadLetterQueue, 'what EventBridge rule targets could not deliver'],
    [scopes.deadLetterQueue, 'the requests the worker dead-lettered, each with its reason'],
  ] as const) {
    ack(
      queue,
      'Serverless-SQSRedrivePolicy',
      `This queue is itself a dead-letter queue (${what}); nothing consumes it to fail again.`,
    );
  }
  ack(
    worker,
    'Serverless-LambdaDLQ',
    'The worker is invoked only by its SQS event source, synchronously: a function DLQ serves asynchronous invokes. Failed records go to the transfer queue’s DLQ, with their reason.',
  );
  ack(
    worker,
    'Serverless-LambdaEventSourceMappingDestination',
    'Lambda takes on-failure destinations only for stream and Kafka sources; for SQS the queue’s redrive policy and the worker’s own DLQ sends are the failure path.',
  );
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

/** What a function of the orchestrator is, for the findings every such function raises. */
export interface FunctionNagFacts {
  /** How the reasons name it (`the worker`, `the sweep`). */
  readonly name: string;
  readonly activeTracing: boolean;
  /** Whether aws-cdk granted it a customer KMS key's actions (a key of the queues or tables). */
  readonly hasCustomerKey: boolean;
}

/**
 * Acknowledges, with their reasons, the findings every Lambda function of the orchestrator raises: the
 * basic execution role, X-Ray's writes or the lack of active tracing, and a customer key's action families.
 */
export function acknowledgeFunctionFindings(fn: IConstruct, facts: FunctionNagFacts): void {
  const ack = (id: string, reason: string) => Validations.of(fn).acknowledge({ id, reason });
  ack(
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    `The AWS-managed basic execution role only lets ${facts.name} write its own CloudWatch logs.`,
  );
  if (facts.activeTracing)
    ack(
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing: X-Ray’s PutTraceSegments and PutTelemetryRecords take no resource-level permissions.',
    );
  else
    ack(
      'Serverless-LambdaTracing',
      `Active tracing was turned off on purpose for ${facts.name} (activeTracing: false).`,
    );
  if (facts.hasCustomerKey) {
    // aws-cdk's grants on a KMS-encrypted queue or table name these action families, each on that one key.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*'])
      ack(
        `AwsSolutions-IAM5[Action::${action}]`,
        `${action} comes from aws-cdk's grants on the customer key of the queues and tables ${facts.name} uses, on that key only.`,
      );
  }
}
