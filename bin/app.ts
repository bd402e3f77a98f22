import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { propsFromContext } from '../lib/contextProps.js';
import { TransferOrchestratorStack } from '../lib/TransferOrchestratorStack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const optional = (key: string): string | undefined => {
  const value = context(key);
  return value === undefined || value === '' ? undefined : String(value);
};

new TransferOrchestratorStack(app, optional('stackName') ?? 'ConnectTransferOrchestrator', {
  description:
    'connect-transfer-orchestrator: capped, idempotent Amazon Connect TransferContact from SQS and EventBridge',
  orchestrator: propsFromContext(context),
  kmsKeyArn: optional('kmsKeyArn'),
  eventBusName: optional('eventBusName'),
  alarmTopicArn: optional('alarmTopicArn'),
  transferQueueArn: optional('transferQueueArn'),
  deadLetterQueueArn: optional('deadLetterQueueArn'),
});

// Every synth runs the AWS Solutions and Serverless checks; findings are acknowledged, each with its reason, in
// the construct.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
