import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { SweepTimestamp } from '../../lib/enums.js';
import type { TransferRuleOptions } from '../../lib/props.js';
import { TransferOrchestrator } from '../../lib/TransferOrchestrator.js';
import { TransferOrchestratorStack } from '../../lib/TransferOrchestratorStack.js';
import { TransferOrchestratorPropsError } from '../../lib/validateProps.js';
import { RULE_ID_MAX_LENGTH, ruleToken } from '../../src/contract/sweep.js';
import { parseTransferRequest } from '../../src/request/schema.js';

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
      timestamp: 'INITIATION_TIMESTAMP',
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
    [{ schedule: Duration.seconds(90) }, /schedule must be a whole number of minutes, got 90 s/],
    [{ searchRatePerSecond: 5 }, /at most 2/],
    [{ queueIds: [] }, /queueIds must not be empty/],
    [
      { timestamp: 'CREATED_TIMESTAMP' as SweepTimestamp },
      /sweep\.timestamp must be SweepTimestamp\.INITIATION or SweepTimestamp\.ENQUEUE, got "CREATED_TIMESTAMP"/,
    ],
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

  it('may not hold what EventBridge’s input template reads as a placeholder (the sweep would send it as it is)', () => {
    expect(() =>
      build({
        ...RULE,
        destination: { ...RULE.destination, attributes: { Note: 'by <aws.events.rule-name>' } },
      }),
    ).toThrow(
      /destination\.attributes: Note's value holds <…>, which EventBridge's input template reads as a placeholder/,
    );
    expect(() =>
      build({ ...RULE, destination: { ...RULE.destination, attributes: { Note: 'a < b and 1 <= 2' } } }),
    ).not.toThrow();
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

/** The input a rule's schedule passes its sweep. */
const sweepInputOf = (template: Template): Record<string, unknown> => {
  const [rule] = Object.values(
    template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: Match.anyValue() } }),
  ) as { Properties: { Targets: { Input: string }[] } }[];
  return JSON.parse(String(rule?.Properties.Targets[0]?.Input));
};

describe('a rule’s sweep: the timestamp it searches by', () => {
  it('is the initiation time by default, and the enqueue time when the rule says so', () => {
    expect(sweepInputOf(build().template).timestamp).toBe('INITIATION_TIMESTAMP');
    const sweep = { ...(RULE.sweep ?? { instanceId: INSTANCE }), timestamp: SweepTimestamp.ENQUEUE };
    expect(sweepInputOf(build({ ...RULE, sweep }).template).timestamp).toBe('ENQUEUE_TIMESTAMP');
  });
});

describe('a rule’s sweep: the alarm on its failing', () => {
  const sweepAlarms = (template: Template) =>
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'Errors', Dimensions: [{ Value: { Ref: Match.stringLikeRegexp('Sweep') } }] },
    });

  it('fires on the sweep function’s errors in 3 consecutive periods of its schedule', () => {
    const { template, orchestrator, stack } = build();
    const alarms = sweepAlarms(template);
    expect(Object.keys(alarms)).toHaveLength(1);
    const [id] = Object.keys(alarms);
    expect(id).toMatch(/^OrchestratorEscalateSweepFailingAlarm/);
    expect(alarms[id as string]?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // A period the schedule's run fell out of neither fails nor clears it.
      TreatMissingData: 'ignore',
    });
    expect(orchestrator.alarms.sweepFailures.Escalate).toBeDefined();
    expect(stack.resolve(orchestrator.alarms.sweepFailures.Escalate?.alarmArn)).toEqual({
      'Fn::GetAtt': [id, 'Arn'],
    });
    // The dashboard shows it beside the others.
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain(id);
  });

  it('is not there without a sweep', () => {
    const { template, orchestrator } = build({ ...RULE, sweep: undefined });
    expect(Object.keys(sweepAlarms(template))).toHaveLength(0);
    expect(orchestrator.alarms.sweepFailures).toEqual({});
  });

  it.each([
    [Duration.minutes(2), Duration.hours(1), 120],
    [Duration.hours(1), Duration.hours(2), 3600],
    // CloudWatch takes at most 7 days over the 3 periods: a weekly sweep's periods are 56 hours.
    [Duration.days(7), Duration.days(8), 201_600],
  ])('takes a schedule of %s as periods CloudWatch takes', (schedule, window, period) => {
    const sweep = { ...(RULE.sweep ?? { instanceId: INSTANCE }), schedule, window };
    const [alarm] = Object.values(sweepAlarms(build({ ...RULE, sweep }).template));
    expect(alarm?.Properties).toMatchObject({ Period: period, EvaluationPeriods: 3 });
  });

  it('notifies the alarm topic and is one of the composite alarm’s', () => {
    const stack = new Stack(newApp(), 'Alarmed');
    const topic = sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:us-east-1:123456789012:ops');
    const orchestrator = new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], alarmTopic: topic });
    orchestrator.addTransferRule('Escalate', RULE);
    orchestrator.addTransferRule('Other', RULE);
    const template = Template.fromStack(stack);
    const alarms = sweepAlarms(template);
    expect(Object.keys(alarms)).toHaveLength(2);
    for (const alarm of Object.values(alarms))
      expect(alarm.Properties.AlarmActions).toEqual([topic.topicArn]);
    const composite = JSON.stringify(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    for (const id of Object.keys(alarms)) expect(composite).toContain(`"${id}","Arn"`);
    // And still the orchestrator's own alarms.
    expect(composite).toContain('DeadLettersAlarm');
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [topic.topicArn] }, 9);
  });
});

describe('a rule’s id: its tokens fit ClientToken', () => {
  const ARN = `arn:aws:connect:us-east-1:123456789012:instance/${INSTANCE}`;
  /** The request EventBridge makes of a contact event with the rule's input transformer. */
  const eventRequest = (template: Template, contactId: string): string => {
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.anyValue() } }),
    ).filter((r) => JSON.stringify(r).includes('aws.connect')) as {
      Properties: { Targets: { InputTransformer: { InputTemplate: string } }[] };
    }[];
    const values: Record<string, string> = {
      id: 'event-1',
      source: 'aws.connect',
      'detail-instanceArn': ARN,
      'detail-contactId': contactId,
    };
    // A placeholder standing for a value is quoted; one inside a string is the bare text.
    return String(rule?.Properties.Targets[0]?.InputTransformer.InputTemplate)
      .replace(/:<([\w-]+)>/g, (_, key: string) => `:${JSON.stringify(values[key])}`)
      .replace(/<([\w-]+)>/g, (_, key: string) => values[key] ?? '');
  };

  it('is at most 238 characters: with a contact id of 256, the longest token is 500', () => {
    expect(RULE_ID_MAX_LENGTH).toBe(238);
    expect(ruleToken('r'.repeat(RULE_ID_MAX_LENGTH), 'c'.repeat(256))).toHaveLength(500);
  });

  it('of the longest, its events’ requests are accepted by the worker, with the sweep’s token', () => {
    const id = 'R'.repeat(RULE_ID_MAX_LENGTH);
    const stack = new Stack(newApp(), 'Long');
    new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE] }).addTransferRule(id, RULE);
    const contactId = 'c'.repeat(256);
    const parsed = parseTransferRequest(eventRequest(Template.fromStack(stack), contactId), {
      messageId: 'm-1',
    });
    expect(parsed.ok && parsed.value.request.ClientToken).toBe(ruleToken(id, contactId));
    expect(parsed.ok && parsed.value.request.ClientToken).toHaveLength(500);
  });

  it('one character longer fails synth, naming the limit', () => {
    const id = 'R'.repeat(RULE_ID_MAX_LENGTH + 1);
    const stack = new Stack(newApp(), 'TooLong');
    const orchestrator = new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE] });
    const add = () => orchestrator.addTransferRule(id, { ...RULE, sweep: undefined });
    expect(add).toThrow(TransferOrchestratorPropsError);
    expect(add).toThrow(
      /id must be at most 238 characters \(its token rule-<id>-<contactId>, with a contact id of up to 256, must fit ClientToken's 500\), got 239/,
    );
    // What the worker would have done with such a token: refused it.
    const token = ruleToken(id, 'c'.repeat(256));
    const refused = parseTransferRequest(
      JSON.stringify({
        InstanceId: INSTANCE,
        ContactId: 'c',
        ContactFlowId: 'f',
        QueueId: 'q',
        ClientToken: token,
      }),
      { messageId: 'm-1' },
    );
    expect(refused.ok).toBe(false);
  });
});
