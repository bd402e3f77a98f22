import { App, CfnParameter, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, propsFromContext } from '../../lib/contextProps.js';
import { Outcome, TableBilling } from '../../lib/index.js';
import type { TransferOrchestratorProps } from '../../lib/props.js';
import { TransferOrchestrator } from '../../lib/TransferOrchestrator.js';
import { TransferOrchestratorStack } from '../../lib/TransferOrchestratorStack.js';
import { TransferOrchestratorPropsError } from '../../lib/validateProps.js';
import { parseTransferRequest } from '../../src/request/index.js';

const INSTANCE = '11111111-2222-3333-4444-555555555555';
// Bundling is tested by test/bundle; here the template is what matters.
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

const build = (
  props: Partial<TransferOrchestratorProps> = {},
  setup?: (stack: Stack, o: TransferOrchestrator) => void,
) => {
  const stack = new Stack(newApp(), 'Test');
  const orchestrator = new TransferOrchestrator(stack, 'Orchestrator', { instanceIds: [INSTANCE], ...props });
  setup?.(stack, orchestrator);
  return { stack, orchestrator, template: Template.fromStack(stack) };
};

describe('TransferOrchestrator: queues', () => {
  const { template, stack, orchestrator } = build();

  it('encrypts the queues (requests, their DLQ, undeliverable events) with SQS-managed keys by default', () => {
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 3);
  });

  it('denies non-TLS access to both queues', () => {
    for (const queue of [orchestrator.queue, orchestrator.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [stack.resolve(queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('keeps dead letters 14 days and redrives after 5 deliveries with a visibility timeout 6x the function timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: stack.resolve(orchestrator.deadLetterQueue.queueArn),
      },
    });
  });

  it('uses a customer KMS key for queues and tables when given', () => {
    const stack2 = new Stack(newApp(), 'Keyed');
    const key = new kms.Key(stack2, 'Key', { enableKeyRotation: true });
    new TransferOrchestrator(stack2, 'Orchestrator', { instanceIds: [INSTANCE], encryptionKey: key });
    const keyed = Template.fromStack(stack2);
    const keyArn = stack2.resolve(key.keyArn);
    keyed.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: keyArn }, 3);
    keyed.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } },
      2,
    );
    // EventBridge may encrypt what it sends to the queue; the log group stays on CloudWatch Logs' own keys.
    keyed.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          }),
        ]),
      },
    });
    keyed.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
  });

  it('takes maxReceiveCount and the timeout from props', () => {
    const { template: custom } = build({ maxReceiveCount: 3, functionTimeout: Duration.seconds(30) });
    custom.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ MAX_RECEIVE_COUNT: '3' }) },
    });
  });
});

describe('TransferOrchestrator: worker', () => {
  const { template, stack, orchestrator } = build({
    transferCap: 4,
    transferRatePerSecond: 4,
    maxConcurrency: 3,
  });

  it('runs on ARM64 with the latest Node.js LTS runtime, minified with source maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('gives the worker its whole configuration through the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LEDGER_TABLE_NAME: stack.resolve(orchestrator.ledgerTable.tableName),
          IDEMPOTENCY_TABLE_NAME: stack.resolve(orchestrator.idempotencyTable.tableName),
          DEAD_LETTER_QUEUE_URL: stack.resolve(orchestrator.deadLetterQueue.queueUrl),
          ALLOWED_INSTANCE_IDS: INSTANCE,
          TRANSFER_CAP: '4',
          TRANSFER_RATE_PER_SECOND: '4',
          MAX_CONCURRENCY: '3',
          MAX_RECEIVE_COUNT: '5',
        }),
      },
    });
  });

  it('bounds log retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('consumes the queue with partial batch responses, batching and maxConcurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(orchestrator.queue.queueArn),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });
});

describe('TransferOrchestrator: tables', () => {
  const { template } = build();

  it('creates the ledger and the idempotency table, with PITR and encryption, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
      DeletionPolicy: 'Retain',
    });
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      2,
    );
  });

  it('provisions capacity sized to the default rate (3 ledger and 2 idempotency writes a transfer, 25 % more), auto scaled up to 4 times', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 8 },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 5 },
    });
    for (const [dimension, min, max] of [
      ['dynamodb:table:WriteCapacityUnits', 8, 32],
      ['dynamodb:table:ReadCapacityUnits', 3, 12],
      ['dynamodb:table:WriteCapacityUnits', 5, 20],
      ['dynamodb:table:ReadCapacityUnits', 2, 8],
    ] as const) {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ScalableDimension: dimension,
        MinCapacity: min,
        MaxCapacity: max,
      });
    }
    template.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      { TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 90 }) },
      4,
    );
  });

  it('sizes the capacity to the configured rate, the call time claims counted above 5/s', () => {
    const { template: fast } = build({ transferRatePerSecond: 10, functionTimeout: Duration.seconds(60) });
    // 10/s × (3 ledger writes + 2 for the call time's claim) × 1.25 headroom.
    fast.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 13, WriteCapacityUnits: 63 },
    });
    // At 5/s the bucket is a second deep: calls keep their slots, no claim, 3 writes a transfer.
    const { template: atBurst } = build({ transferRatePerSecond: 5, functionTimeout: Duration.seconds(60) });
    atBurst.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 19 },
    });
  });

  it('bills on demand when asked, with no capacity and no scaling', () => {
    const { template: onDemand } = build({ tableBilling: TableBilling.ON_DEMAND });
    onDemand.resourcePropertiesCountIs('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' }, 2);
    expect(onDemand.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).toEqual({});
  });

  it('refuses provisioned capacity for a rate only known at deploy', () => {
    const stack = new Stack(newApp(), 'RateToken');
    const rate = new CfnParameter(stack, 'Rate', { type: 'Number' }).valueAsNumber;
    expect(
      () =>
        new TransferOrchestrator(stack, 'O', {
          instanceIds: [INSTANCE],
          transferRatePerSecond: rate,
          functionTimeout: Duration.seconds(60),
        }),
    ).toThrow(/sizes capacity to transferRatePerSecond, which is a token/);
    expect(
      () =>
        new TransferOrchestrator(stack, 'OnDemand', {
          instanceIds: [INSTANCE],
          transferRatePerSecond: rate,
          tableBilling: TableBilling.ON_DEMAND,
        }),
    ).not.toThrow();
  });

  it('refuses an unknown billing', () => {
    expect(() => build({ tableBilling: 'reserved' as never })).toThrow(
      /tableBilling must be 'provisioned' or 'on-demand', got "reserved"/,
    );
  });
});

describe('TransferOrchestrator: IAM', () => {
  const { template } = build({ instanceIds: [INSTANCE, 'aaaa-bbbb'] });
  const statements = () =>
    Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );

  it('grants reading contacts (DescribeContact, the contact tree) only on the configured instances’ contacts', () => {
    const read = statements().filter((s) => JSON.stringify(s.Action).includes('connect:DescribeContact'));
    expect(read).toHaveLength(1);
    expect(read[0]?.Action).toEqual(['connect:DescribeContact', 'connect:ListAssociatedContacts']);
    const resources = JSON.stringify(read[0]?.Resource);
    for (const id of [INSTANCE, 'aaaa-bbbb']) expect(resources).toContain(`:instance/${id}/contact/*"`);
    expect(resources).not.toContain('/queue/');
  });

  it('grants connect:TransferContact only on the configured instances, never on *', () => {
    const connect = statements().filter((s) => JSON.stringify(s.Action).includes('connect:TransferContact'));
    expect(connect).toHaveLength(1);
    expect(connect[0]?.Action).toBe('connect:TransferContact');
    const resources = JSON.stringify(connect[0]?.Resource);
    for (const id of [INSTANCE, 'aaaa-bbbb']) {
      for (const suffix of ['', '/contact/*', '/contact-flow/*', '/queue/*', '/agent/*']) {
        expect(resources).toContain(`:instance/${id}${suffix}"`);
      }
    }
    // Only X-Ray's writes (active tracing) take `*`: they have no resource-level permissions.
    const anywhere = statements().filter((s) => s.Resource === '*');
    expect(anywhere.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('grants the tables and the DLQ to the worker, and nothing on Connect without instances', () => {
    expect(statements().some((s) => JSON.stringify(s.Action).includes('dynamodb:UpdateItem'))).toBe(true);
    expect(statements().some((s) => JSON.stringify(s.Action).includes('sqs:SendMessage'))).toBe(true);
    const { template: none } = build({ instanceIds: [] });
    expect(JSON.stringify(none.findResources('AWS::IAM::Policy'))).not.toContain('connect:');
  });
});

describe('TransferOrchestrator: EventBridge', () => {
  const { template, stack, orchestrator } = build({}, (_, o) => {
    o.addTransferRule('Escalate', {
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['Amazon Connect Contact Event'],
        detail: { channel: ['TASK'] },
      },
      destination: { queueId: 'queue-9', contactFlowId: 'flow-9' },
    });
  });

  it('creates a custom bus and a rule on Transfer Contact Requested targeting the queue', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: stack.resolve(orchestrator.eventBus.eventBusName),
      EventPattern: { 'detail-type': ['Transfer Contact Requested'] },
      Targets: [Match.objectLike({ Arn: stack.resolve(orchestrator.queue.queueArn) })],
    });
  });

  it('scopes the queue policy for EventBridge to the rules (aws:SourceArn)', () => {
    const policy = JSON.stringify(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policy).toContain('events.amazonaws.com');
    const grants = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
      .flatMap(
        (p) =>
          (
            p as {
              Properties: {
                PolicyDocument: { Statement: { Principal?: { Service?: string }; Condition?: unknown }[] };
              };
            }
          ).Properties.PolicyDocument.Statement,
      )
      .filter((s) => s.Principal?.Service === 'events.amazonaws.com');
    // The transfer queue and the event DLQ, each for the request rule and the transfer rule.
    expect(grants.length).toBe(4);
    for (const grant of grants) expect(JSON.stringify(grant.Condition)).toContain('aws:SourceArn');
  });

  it('turns a Connect contact event into a transfer request with an input transformer on the default bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.connect'], 'detail-type': ['Amazon Connect Contact Event'] },
      EventBusName: 'default',
      Targets: [
        Match.objectLike({
          InputTransformer: {
            InputPathsMap: Match.objectLike({
              'detail-instanceArn': '$.detail.instanceArn',
              'detail-contactId': '$.detail.contactId',
              id: '$.id',
            }),
            InputTemplate: Match.stringLikeRegexp('"detail-type":"Transfer Contact Requested"'),
          },
        }),
      ],
    });
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r) =>
      JSON.stringify(r).includes('aws.connect'),
    );
    const inputTemplate =
      (rule as { Properties: { Targets: { InputTransformer: { InputTemplate: string } }[] } }).Properties
        .Targets[0]?.InputTransformer.InputTemplate ?? '';
    expect(inputTemplate).toContain('"ClientToken":"rule-Escalate-<detail-contactId>"');
    expect(inputTemplate).toContain('"QueueId":"queue-9"');
    expect(inputTemplate).toContain('"ContactFlowId":"flow-9"');
  });

  it('renders a Connect contact event into a message the worker accepts', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r) =>
      JSON.stringify(r).includes('aws.connect'),
    );
    const { InputPathsMap, InputTemplate } = (
      rule as {
        Properties: {
          Targets: { InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
        };
      }
    ).Properties.Targets[0]?.InputTransformer ?? { InputPathsMap: {}, InputTemplate: '' };
    const event = {
      id: 'connect-event-1',
      source: 'aws.connect',
      detail: {
        instanceArn: `arn:aws:connect:us-east-1:123456789012:instance/${INSTANCE}`,
        contactId: 'task-42',
      },
    };
    // EventBridge substitutes each <name> with the JSON value at its path; inside a string, with its text.
    const valueAt = (name: string) =>
      (InputPathsMap[name] ?? '')
        .slice(2)
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], event);
    let rendered = '';
    let inString = false;
    for (let i = 0; i < InputTemplate.length; i += 1) {
      const char = InputTemplate[i] ?? '';
      const placeholder = /^<([\w-]+)>/.exec(InputTemplate.slice(i));
      if (placeholder?.[1] && placeholder[1] in InputPathsMap) {
        const json = JSON.stringify(valueAt(placeholder[1]));
        rendered += inString ? json.slice(1, -1) : json;
        i += placeholder[0].length - 1;
        continue;
      }
      if (char === '"' && InputTemplate[i - 1] !== '\\') inString = !inString;
      rendered += char;
    }
    const parsed = parseTransferRequest(rendered, { messageId: 'sqs-1' });
    expect(parsed).toEqual({
      ok: true,
      value: {
        request: {
          InstanceId: INSTANCE,
          ContactId: 'task-42',
          ContactFlowId: 'flow-9',
          QueueId: 'queue-9',
          ClientToken: 'rule-Escalate-task-42',
        },
        envelope: 'eventbridge',
        tokenOrigin: 'request',
      },
    });
  });

  it('gives every rule target a retry policy and a dead-letter queue, watched by an alarm', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { Targets: { DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: unknown }[] };
    }[];
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.Properties.Targets[0]?.DeadLetterConfig?.Arn).toEqual(
        stack.resolve(orchestrator.eventDeadLetterQueue.queueArn),
      );
      expect(rule.Properties.Targets[0]?.RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: 86_400,
        MaximumRetryAttempts: 185,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(orchestrator.eventDeadLetterQueue.queueName) }],
    });
  });

  it('leaves out contacts a transfer started, so a rule never re-triggers on its own transfers', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.connect'],
        detail: { channel: ['TASK'], initiationMethod: [{ 'anything-but': ['TRANSFER'] }] },
      },
    });
  });

  it('matches transferred contacts only when asked, and keeps a pattern that names initiationMethod', () => {
    const { template: opted } = build({}, (_, o) => {
      o.addTransferRule('All', {
        eventPattern: { source: ['aws.connect'], detail: { channel: ['TASK'] } },
        destination: { userId: 'agent-1', contactFlowId: 'flow-1' },
        includeTransferredContacts: true,
      });
      o.addTransferRule('Named', {
        eventPattern: { source: ['aws.connect'], detail: { initiationMethod: ['API'] } },
        destination: { userId: 'agent-1', contactFlowId: 'flow-1' },
      });
    });
    opted.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.connect'], detail: { channel: ['TASK'] } },
    });
    opted.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.connect'], detail: { initiationMethod: ['API'] } },
    });
  });

  it('uses an existing bus when given', () => {
    const stack2 = new Stack(newApp(), 'Bus');
    new TransferOrchestrator(stack2, 'O', {
      instanceIds: [INSTANCE],
      eventBus: events.EventBus.fromEventBusName(stack2, 'B', 'crm-bus'),
    });
    const t = Template.fromStack(stack2);
    t.resourceCountIs('AWS::Events::EventBus', 0);
    t.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'crm-bus' });
  });
});

describe('TransferOrchestrator: operations', () => {
  it('creates the alarms, notifying the topic when given, and a dashboard', () => {
    const { template } = build({}, undefined);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
    // How long requests wait: the oldest message's age, or the queue (held requests are delayed messages)
    // drained at the rate, whichever is longer.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 900,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([age, (visible + delayed) / 2])' }),
        Match.objectLike({
          Id: 'age',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ApproximateAgeOfOldestMessage' }),
          }),
        }),
        Match.objectLike({
          Id: 'delayed',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesDelayed' }),
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' });

    const stack2 = new Stack(newApp(), 'Alarmed');
    const topic = sns.Topic.fromTopicArn(stack2, 'T', 'arn:aws:sns:us-east-1:123456789012:ops');
    new TransferOrchestrator(stack2, 'O', { instanceIds: [INSTANCE], alarmTopic: topic });
    const alarmed = Template.fromStack(stack2);
    alarmed.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [topic.topicArn] }, 7);
    // One composite of them all, which pages no one itself (each alarm already notifies the topic).
    alarmed.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    expect(JSON.stringify(alarmed.findResources('AWS::CloudWatch::CompositeAlarm'))).not.toContain(
      'AlarmActions',
    );
  });

  it('alarms on DynamoDB throttling of either table, and on a pacing rate held under half the ceiling', () => {
    const { template } = build({ transferRatePerSecond: 4 });
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toContain('ReadThrottleEvents');
    expect(alarms).toContain('WriteThrottleEvents');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PacingRate',
      Threshold: 2,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 15,
    });
  });

  it('outputs the queue URL and ARN, the DLQ URL and the bus name', () => {
    const stack = new TransferOrchestratorStack(newApp(), 'App', {
      orchestrator: { instanceIds: [INSTANCE] },
    });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['QueueUrl', 'QueueArn', 'DeadLetterQueueUrl', 'EventBusName']),
    );
  });
});

describe('TransferOrchestrator: cdk-nag', () => {
  it('has no unacknowledged AwsSolutions or Serverless finding', () => {
    const app = newApp();
    new TransferOrchestratorStack(app, 'Nagged', { orchestrator: { instanceIds: [INSTANCE, 'aaaa-bbbb'] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    // Synthesis throws 'Validation failed' on any unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
  });

  it('reads Lambda’s system log level from context, and refuses a level Lambda does not have', () => {
    const read = (value: unknown) =>
      propsFromContext((key) => (key === 'systemLogLevel' ? value : undefined));
    expect(read('INFO').systemLogLevel).toBe(lambda.SystemLogLevel.INFO);
    expect(read(undefined).systemLogLevel).toBeUndefined();
    expect(() => read('ERROR')).toThrow(
      /context systemLogLevel must be 'DEBUG', 'INFO' or 'WARN', got "ERROR"/,
    );
  });

  it('synthesizes with every documented context key set, a customer KMS key included', () => {
    const context: Record<string, string> = {
      instanceIds: `${INSTANCE},aaaa-bbbb`,
      transferCap: '5',
      transferRatePerSecond: '1',
      contactReadRatePerSecond: '3',
      attributesRatePerSecond: '3',
      maxConcurrency: '3',
      batchSize: '5',
      maxBatchingWindowSeconds: '2',
      maxReceiveCount: '4',
      functionTimeoutSeconds: '120',
      idempotencyTtlHours: '48',
      tokenReplayWindowSeconds: '600',
      outcomeEvents: 'true',
      adaptivePacing: 'false',
      activeTracing: 'false',
      workerMemorySize: '192',
      tableBilling: 'on-demand',
      systemLogLevel: 'INFO',
      removalPolicy: 'destroy',
    };
    expect(Object.keys(context).sort()).toEqual([...CONTEXT_KEYS].sort());
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
    new TransferOrchestratorStack(app, 'AllKeys', {
      orchestrator: propsFromContext((key) => app.node.tryGetContext(key)),
      kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      eventBusName: 'crm-bus',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      transferQueueArn: 'arn:aws:sqs:us-east-1:123456789012:team-queue',
      deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:team-dlq',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('TransferOrchestrator: invalid props', () => {
  it.each([
    [
      'fails on an instance ARN instead of an id',
      { instanceIds: [`arn:aws:connect:us-east-1:123456789012:instance/${INSTANCE}`] },
      /instanceIds must be Amazon Connect instance ids \(not ARNs\), got "arn:/,
    ],
    [
      'fails on a cap above 11',
      { transferCap: 12 },
      /transferCap must be a whole number from 1 to 11 .*got 12/,
    ],
    ['fails on a cap of 0', { transferCap: 0 }, /got 0/],
    ['fails on a rate of 0', { transferRatePerSecond: 0 }, /transferRatePerSecond must be above 0 .*got 0/],
    [
      'fails on maxConcurrency 1',
      { maxConcurrency: 1 },
      /maxConcurrency must be a whole number from 2 to 1000 .*got 1/,
    ],
    ['fails on a batch of 11', { batchSize: 11 }, /batchSize must be a whole number from 1 to 10, got 11/],
    [
      'fails on a batching window over 5 minutes',
      { maxBatchingWindow: Duration.minutes(6) },
      /maxBatchingWindow must be at most 5 minutes, got 6 minutes/,
    ],
    [
      'fails on maxReceiveCount 0',
      { maxReceiveCount: 0 },
      /maxReceiveCount must be a whole number from 1 to 1000, got 0/,
    ],
    [
      'fails on a visibility timeout under 6x the function timeout',
      { visibilityTimeout: Duration.seconds(100) },
      /visibilityTimeout must be at least 6 times functionTimeout \(360 s\), got 100 s/,
    ],
    [
      'fails when a batch cannot fit in the function timeout at the paced rate',
      { functionTimeout: Duration.seconds(10) },
      /needs 15 s, more than functionTimeout \(10 s\): raise functionTimeout/,
    ],
    [
      'fails on an idempotency TTL under a minute',
      { idempotencyTtl: Duration.seconds(10) },
      /idempotencyTtl must be from 1 minute to 30 days, got 10 seconds/,
    ],
  ])('%s', (_, props, message) => {
    expect(() => build(props as Partial<TransferOrchestratorProps>)).toThrow(message);
  });

  it.each([
    [
      'fails on a transfer rule with both a queue and a user',
      { queueId: 'q', userId: 'u', contactFlowId: 'f' },
      /exactly one of destination.queueId or destination.userId/,
    ],
    [
      'fails on a transfer rule with neither a queue nor a user',
      { contactFlowId: 'f' },
      /exactly one of destination.queueId or destination.userId/,
    ],
    [
      'fails on a transfer rule without a flow',
      { queueId: 'q', contactFlowId: '' },
      /needs destination.contactFlowId, got ""/,
    ],
  ])('%s', (_, destination, message) => {
    expect(() =>
      build({}, (_, o) =>
        o.addTransferRule('R', { eventPattern: { source: ['x'] }, destination: destination as never }),
      ),
    ).toThrow(message);
  });
});

describe('TransferOrchestrator: validation reports everything at once', () => {
  it('lists every violated prop in one error, scoped to the construct', () => {
    let caught: unknown;
    try {
      build({ transferCap: 12, batchSize: 0, workerMemorySize: 64, idempotencyTtl: Duration.seconds(1) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TransferOrchestratorPropsError);
    const error = caught as TransferOrchestratorPropsError;
    expect(error.violations).toHaveLength(4);
    expect(error.message).toMatch(/TransferOrchestrator at Test\/Orchestrator: 4 invalid prop\(s\)/);
    for (const prop of ['transferCap', 'batchSize', 'workerMemorySize', 'idempotencyTtl'])
      expect(error.message).toContain(prop);
  });

  it('skips values that are tokens until deploy, and still checks the known ones', () => {
    const tokenProps = (stack: Stack) => ({
      transferCap: new CfnParameter(stack, 'Cap', { type: 'Number' }).valueAsNumber,
      batchSize: new CfnParameter(stack, 'Batch', { type: 'Number' }).valueAsNumber,
    });
    const app = new App();
    const stack = new Stack(app, 'Stack');
    expect(
      () => new TransferOrchestrator(stack, 'Tokens', { instanceIds: [INSTANCE], ...tokenProps(stack) }),
    ).not.toThrow();
    const other = new Stack(app, 'Other');
    expect(
      () =>
        new TransferOrchestrator(other, 'Mixed', {
          instanceIds: [INSTANCE],
          ...tokenProps(other),
          maxReceiveCount: 0,
        }),
    ).toThrow(/1 invalid prop\(s\):\n- maxReceiveCount must be a whole number from 1 to 1000, got 0/);
  });
});

describe('TransferOrchestrator: grants and metrics', () => {
  const policyOf = (setup: (o: TransferOrchestrator, role: iam.Role) => void) => {
    let role: iam.Role | undefined;
    const { stack, template } = build({}, (stack2, o) => {
      role = new iam.Role(stack2, 'Grantee', { assumedBy: new iam.AccountRootPrincipal() });
      setup(o, role);
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes(JSON.stringify(stack.resolve(role?.roleName))),
    );
    return JSON.stringify(policies);
  };

  it('lets a producer send to the queue and put events on the bus, nothing more', () => {
    const policy = policyOf((o, role) => o.grantSendRequests(role));
    expect(policy).toContain('sqs:SendMessage');
    expect(policy).toContain('events:PutEvents');
    expect(policy).not.toContain('dynamodb:');
    expect(policy).not.toContain('sqs:ReceiveMessage');
  });

  it('lets a status reader read the two tables, nothing more', () => {
    const policy = policyOf((o, role) => o.grantReadStatus(role));
    expect(policy).toContain('dynamodb:GetItem');
    expect(policy).toContain('dynamodb:BatchGetItem');
    expect(policy).not.toContain('dynamodb:PutItem');
    expect(policy).not.toContain('sqs:');
  });

  it('lets an operator list and redrive the DLQ', () => {
    const policy = policyOf((o, role) => o.grantRedrive(role));
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:StartMessageMoveTask',
      'sqs:SendMessage',
    ])
      expect(policy).toContain(action);
    expect(policy).not.toContain('dynamodb:');
  });

  it('names outcome metrics by the worker’s own outcome names, and charts every one', () => {
    const { orchestrator, template } = build();
    expect(orchestrator.metricOutcome(Outcome.AMBIGUOUS_TRANSFER).metricName).toBe('AmbiguousTransfer');
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const outcome of Object.values(Outcome)) expect(body).toContain(outcome);
  });

  it('takes the worker’s memory from props, and fails outside Lambda’s range', () => {
    build({ workerMemorySize: 512 }).template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
    });
    expect(() => build({ workerMemorySize: 64 })).toThrow(
      'workerMemorySize must be a whole number of MB from 128',
    );
  });

  it('logs in JSON with Lambda’s own lines at WARN by default (no START/REPORT line per invocation), INFO on request', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' },
    });
    build({ systemLogLevel: lambda.SystemLogLevel.INFO }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { LoggingConfig: Match.objectLike({ SystemLogLevel: 'INFO' }) },
    );
  });
});

describe('TransferOrchestrator: outcome events', () => {
  it('lets the worker put outcome events on the orchestrator’s bus, and names the bus in its environment', () => {
    const { stack, orchestrator, template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          OUTCOME_EVENT_BUS_NAME: stack.resolve(orchestrator.eventBus.eventBusName),
        }),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('events:PutEvents');
  });

  it('publishes nothing and grants nothing when turned off', () => {
    const { template } = build({ outcomeEvents: false });
    const fn = JSON.stringify(template.findResources('AWS::Lambda::Function'));
    expect(fn).not.toContain('OUTCOME_EVENT_BUS_NAME');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('events:PutEvents');
  });
});

describe('TransferOrchestrator: tracing', () => {
  it('traces the worker actively unless told not to, with X-Ray’s write permissions only then', () => {
    const worker = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function'))[0]?.Properties;
    const xrayWrites = (t: Template) =>
      JSON.stringify(t.findResources('AWS::IAM::Policy')).includes('xray:PutTraceSegments');
    const traced = build().template;
    expect(worker(traced)?.TracingConfig).toEqual({ Mode: 'Active' });
    expect(xrayWrites(traced)).toBe(true);
    const untraced = build({ activeTracing: false }).template;
    expect(worker(untraced)?.TracingConfig).toBeUndefined();
    expect(xrayWrites(untraced)).toBe(false);
  });
});

describe('TransferOrchestrator: a platform team’s own queues', () => {
  const own = (
    stack: Stack,
    overrides: { visibility?: number; size?: number; count?: number; redriveTo?: sqs.IQueue } = {},
  ) => {
    const deadLetterQueue = new sqs.Queue(stack, 'TeamDlq');
    const transferQueue = new sqs.Queue(stack, 'TeamQueue', {
      visibilityTimeout: Duration.seconds(overrides.visibility ?? 360),
      maxMessageSizeBytes: overrides.size ?? 262_144,
      deadLetterQueue: {
        queue: overrides.redriveTo ?? deadLetterQueue,
        maxReceiveCount: overrides.count ?? 5,
      },
    });
    return { transferQueue, deadLetterQueue };
  };

  it('uses queues that fit, and makes none of its own', () => {
    const stack = new Stack(newApp(), 'Test');
    const queues = own(stack);
    const orchestrator = new TransferOrchestrator(stack, 'Orchestrator', {
      instanceIds: [INSTANCE],
      ...queues,
    });
    const template = Template.fromStack(stack);
    expect(orchestrator.queue).toBe(queues.transferQueue);
    expect(orchestrator.deadLetterQueue).toBe(queues.deadLetterQueue);
    // Its own: only the event DLQ (EventBridge's), beside the team's two.
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).sort()).toEqual(
      [
        stack.getLogicalId(queues.deadLetterQueue.node.defaultChild as sqs.CfnQueue),
        stack.getLogicalId(queues.transferQueue.node.defaultChild as sqs.CfnQueue),
        stack.getLogicalId(orchestrator.eventDeadLetterQueue.node.defaultChild as sqs.CfnQueue),
      ].sort(),
    );
    const env = JSON.stringify(
      Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties?.Environment,
    );
    expect(env).toContain(stack.getLogicalId(queues.transferQueue.node.defaultChild as sqs.CfnQueue));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: {
        'Fn::GetAtt': [stack.getLogicalId(queues.transferQueue.node.defaultChild as sqs.CfnQueue), 'Arn'],
      },
    });
  });

  it('refuses queues the worker cannot rely on, each problem named', () => {
    const stack = new Stack(newApp(), 'Test');
    const other = new sqs.Queue(stack, 'Elsewhere');
    const short = own(stack, { visibility: 30, size: 1_024, count: 3 });
    expect(() => new TransferOrchestrator(stack, 'A', { instanceIds: [INSTANCE], ...short })).toThrow(
      /at least visibilityTimeout \(360 s\), got 30 s[\s\S]*262144 bytes[\s\S]*got 1024[\s\S]*maxReceiveCount \(5\) deliveries, as the worker counts them, got 3/,
    );
    const apart = new Stack(newApp(), 'Apart');
    const elsewhere = own(apart, { redriveTo: new sqs.Queue(apart, 'Elsewhere') });
    expect(() => new TransferOrchestrator(apart, 'B', { instanceIds: [INSTANCE], ...elsewhere })).toThrow(
      /must redrive to deadLetterQueue/,
    );
    expect(
      () => new TransferOrchestrator(stack, 'C', { instanceIds: [INSTANCE], transferQueue: other }),
    ).toThrow(/transferQueue and deadLetterQueue are given together/);
  });

  it('trusts an imported queue, and warns what it must have', () => {
    const stack = new Stack(newApp(), 'Test');
    new TransferOrchestrator(stack, 'Orchestrator', {
      instanceIds: [INSTANCE],
      transferQueue: sqs.Queue.fromQueueArn(
        stack,
        'Imported',
        'arn:aws:sqs:us-east-1:123456789012:team-queue',
      ),
      deadLetterQueue: sqs.Queue.fromQueueArn(
        stack,
        'ImportedDlq',
        'arn:aws:sqs:us-east-1:123456789012:team-dlq',
      ),
    });
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('cannot be checked'),
    );
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]?.entry.data)).toContain('at least 360 s');
  });
});
