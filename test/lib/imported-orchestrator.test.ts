import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import type { ITransferOrchestrator } from '../../lib/orchestratorGrants.js';
import { TransferOrchestrator } from '../../lib/TransferOrchestrator.js';
import { TransferOrchestratorStack } from '../../lib/TransferOrchestratorStack.js';

const ARN = {
  queueArn: 'arn:aws:sqs:us-east-1:111122223333:transfers',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:111122223333:transfers-dlq',
  eventBusArn: 'arn:aws:events:us-east-1:111122223333:event-bus/transfers',
  ledgerTableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/ledger',
  idempotencyTableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/idempotency',
};

/** A producer's stack, in another app, granted on an orchestrator imported from its outputs. */
const producerPolicy = (grant: (o: ITransferOrchestrator, role: iam.Role) => void, key?: boolean) => {
  const stack = new Stack(new App(), 'Producer', { env: { account: '444455556666', region: 'us-east-1' } });
  const encryptionKey = key
    ? kms.Key.fromKeyArn(
        stack,
        'Key',
        'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      )
    : undefined;
  const orchestrator = TransferOrchestrator.fromAttributes(stack, 'Transfers', { ...ARN, encryptionKey });
  const role = new iam.Role(stack, 'Crm', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grant(orchestrator, role);
  return JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
};

describe('TransferOrchestrator.fromAttributes: an orchestrator deployed elsewhere', () => {
  it('grants a producer the queue and the bus, on their ARNs, and nothing else', () => {
    const policy = producerPolicy((o, role) => o.grantSendRequests(role));
    expect(policy).toContain('sqs:SendMessage');
    expect(policy).toContain(ARN.queueArn);
    expect(policy).toContain('events:PutEvents');
    expect(policy).toContain(ARN.eventBusArn);
    expect(policy).not.toContain('dynamodb:');
    expect(policy).not.toContain(ARN.deadLetterQueueArn);
  });

  it('grants a status reader the two tables, read only', () => {
    const policy = producerPolicy((o, role) => o.grantReadStatus(role));
    expect(policy).toContain('dynamodb:GetItem');
    expect(policy).toContain(ARN.ledgerTableArn);
    expect(policy).toContain(ARN.idempotencyTableArn);
    expect(policy).not.toContain('dynamodb:PutItem');
    expect(policy).not.toContain('sqs:');
  });

  it('grants an operator the DLQ and the queue to redrive it', () => {
    const policy = producerPolicy((o, role) => o.grantRedrive(role));
    expect(policy).toContain('sqs:StartMessageMoveTask');
    expect(policy).toContain(ARN.deadLetterQueueArn);
    expect(policy).toContain(ARN.queueArn);
  });

  it('adds the customer key to the grants when the orchestrator was encrypted with one', () => {
    expect(producerPolicy((o, role) => o.grantSendRequests(role), true)).toContain('kms:GenerateDataKey');
    // A status reader decrypts what it reads: ITable.grant alone never grants on the table's key.
    expect(producerPolicy((o, role) => o.grantReadStatus(role), true)).toContain('kms:Decrypt');
    expect(producerPolicy((o, role) => o.grantReadStatus(role))).not.toContain('kms:');
  });

  it('the stack outputs every attribute it takes', () => {
    const stack = new TransferOrchestratorStack(new App(), 'Stack', {
      orchestrator: { instanceIds: ['i-1'] },
    });
    const outputs = Object.keys(Template.fromStack(stack).findOutputs('*'));
    for (const name of [
      'QueueArn',
      'DeadLetterQueueArn',
      'EventBusArn',
      'LedgerTableArn',
      'IdempotencyTableArn',
    ])
      expect(outputs).toContain(name);
  });
});
