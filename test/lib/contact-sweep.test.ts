import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { TransferRuleOptions } from '../../lib/props.js';
import { TransferOrchestrator } from '../../lib/TransferOrchestrator.js';
import { TransferOrchestratorStack } from '../../lib/TransferOrchestratorStack.js';
import { TransferOrchestratorPropsError } from '../../lib/validateProps.js';

const INSTANCE = '11111111-2222-3333-4444-555555555555';
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const RULE: TransferRuleOptions = {
  eventPattern: {
    source: ['aws.connect'],
    detailType: ['Amazon Connect Contact Event'],
    detail: { channel: ['TASK'], eventType: ['QUEUED'] },
  },
  destination: { queueId: 'escalations', contactFlowId: 'flow-1' },
  sweep: { instanceId: INSTANCE, channels: ['TASK'], queueIds: ['support'] },
};

const build = (rule: TransferRuleOptions = RULE) => {
  const stack = new Stack(newApp(), 'Test');
  const orchestrator = new TransferOrchestrator(stack, 'Orchestrator', { instanceIds: [INSTANCE] });
  orchestrator.addTransferRule('Escalate', rule);
  return { stack, orchestrator, template: Template.fromStack(stack) };
};

describe('addTransferRule: the sweep', () => {
  const { stack, orchestrator, template } = build();

  it('adds a function from the worker asset (sweep.handler, Arm, Node.js 24) and no sweep without one', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'sweep.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: 300,
      Environment: {
        Variables: {
          LEDGER_TABLE_NAME: stack.resolve(orchestrator.ledgerTable.tableName),
          TRANSFER_QUEUE_URL: stack.resolve(orchestrator.queue.queueUrl),
          POWERTOOLS_SERVICE_NAME: 'contact-sweep',
        },
      },
    });
    const plain = build({ ...RULE, sweep: undefined }).template;
    plain.resourceCountIs('AWS::Lambda::Function', 1);
    plain.resourceCountIs('AWS::Events::Rule', 2);
  });

  it('fires it on a schedule with the rule’s settings as its input, undelivered runs to the event DLQ', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(5 minutes)' },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    const [target] = (Object.values(rules)[0] as { Properties: { Targets: Record<string, unknown>[] } })
      .Properties.Targets;
    expect(JSON.parse(String(target?.Input))).toEqual({
      ruleId: 'Escalate',
      instanceId: INSTANCE,
      destination: { ContactFlowId: 'flow-1', QueueId: 'escalations' },
      criteria: { Channels: ['TASK'], QueueIds: ['support'] },
      includeTransferredContacts: false,
      windowSeconds: 3600,
      settleSeconds: 60,
      searchRatePerSecond: 0.5,
    });
    expect(target?.DeadLetterConfig).toEqual({
      Arn: stack.resolve(orchestrator.eventDeadLetterQueue.queueArn),
    });
  });

  it('allows SearchContacts on the rule’s instance only, sends to the transfer queue, reads the ledger', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'SearchContactsOfTheRulesInstance',
            Action: 'connect:SearchContacts',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:instance/${INSTANCE}$`)])],
            },
          }),
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: stack.resolve(orchestrator.queue.queueArn),
          }),
          Match.objectLike({ Action: Match.arrayWith(['dynamodb:BatchGetItem']) }),
        ]),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('"connect:*"');
    expect(policies.match(/connect:SearchContacts/g)).toHaveLength(1);
  });

  it.each([
    [{ window: Duration.days(57) }, /at most 8 weeks/],
    [{ window: Duration.minutes(5) }, /at least schedule \+ settle/],
    [{ schedule: Duration.seconds(30) }, /at least 1 minute/],
    [{ searchRatePerSecond: 5 }, /at most 2/],
    [{ queueIds: [] }, /queueIds must not be empty/],
  ])('refuses %o', (sweep, message) => {
    const stack = new Stack(newApp(), 'Bad');
    const orchestrator = new TransferOrchestrator(stack, 'Orchestrator', { instanceIds: [INSTANCE] });
    const add = () =>
      orchestrator.addTransferRule('Bad', {
        ...RULE,
        sweep: { ...RULE.sweep, instanceId: INSTANCE, ...sweep },
      });
    expect(add).toThrow(TransferOrchestratorPropsError);
    expect(add).toThrow(message);
  });

  it.each([
    ['default', {}],
    ['no tracing, a customer key', { activeTracing: false }],
  ])('has no unacknowledged AwsSolutions or Serverless finding (%s)', (_what, props) => {
    const app = newApp();
    const stack = new TransferOrchestratorStack(app, 'Nagged', {
      orchestrator: { instanceIds: [INSTANCE], ...props },
      ...('activeTracing' in props && {
        kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    });
    stack.orchestrator.addTransferRule('Escalate', RULE);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('a rule’s sweep: its instance', () => {
  it('must search an instance the worker may touch', () => {
    const other = '99999999-2222-3333-4444-555555555555';
    expect(() =>
      build({ ...RULE, sweep: { ...(RULE.sweep ?? { instanceId: INSTANCE }), instanceId: other } }),
    ).toThrow(
      /sweep\.instanceId must be one of instanceIds \(the worker refuses any other instance\), got "99999999/,
    );
  });
});

describe('a rule’s attributes', () => {
  const attributes = { EscalatedBy: 'Escalate', Reason: 'queued too long' };
  const { template } = build({ ...RULE, destination: { ...RULE.destination, attributes } });
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
    Properties: {
      ScheduleExpression?: string;
      Targets: { Input?: string; InputTransformer?: { InputTemplate: string } }[];
    };
  }[];

  it('go with every request the rule’s events make and every request its sweep makes: one request, one token', () => {
    const eventRule = rules.find((rule) => JSON.stringify(rule).includes('aws.connect'));
    const sweepRule = rules.find((rule) => rule.Properties.ScheduleExpression);
    expect(eventRule?.Properties.Targets[0]?.InputTransformer?.InputTemplate).toContain(
      `"Attributes":${JSON.stringify(attributes)}`,
    );
    const input = JSON.parse(String(sweepRule?.Properties.Targets[0]?.Input));
    expect(input.destination).toEqual({
      ContactFlowId: 'flow-1',
      QueueId: 'escalations',
      Attributes: attributes,
    });
  });

  it('are checked at synth as Connect checks them', () => {
    expect(() =>
      build({
        ...RULE,
        destination: { ...RULE.destination, attributes: { 'bad key': 'x', K: 'é'.repeat(16_384) } },
      }),
    ).toThrow(
      /destination\.attributes: key "bad key" may hold only letters, digits, - and _[\s\S]*destination\.attributes: at most 32768 UTF-8 bytes \(keys and values\), got 32777/,
    );
  });
});
