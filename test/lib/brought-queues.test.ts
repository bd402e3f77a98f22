import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TransferOrchestrator } from '../../lib/TransferOrchestrator.js';

const INSTANCE = '11111111-2222-3333-4444-555555555555';
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

const fitting = (
  stack: Stack,
  extra: Partial<sqs.QueueProps> = {},
  dlqExtra: Partial<sqs.QueueProps> = {},
) => {
  const deadLetterQueue = new sqs.Queue(stack, 'TeamDlq', { enforceSSL: true, ...dlqExtra });
  const transferQueue = new sqs.Queue(stack, 'TeamQueue', {
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(360),
    maxMessageSizeBytes: 262_144,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    ...extra,
  });
  return { transferQueue, deadLetterQueue };
};

describe('TransferOrchestrator: brought queues, as a platform team brings them', () => {
  it('refuses a FIFO transfer queue (per-message DelaySeconds holds/requeues, no MessageGroupId)', () => {
    const stack = new Stack(newApp(), 'Fifo');
    const deadLetterQueue = new sqs.Queue(stack, 'TeamDlq', { fifo: true });
    const transferQueue = new sqs.Queue(stack, 'TeamQueue', {
      fifo: true,
      visibilityTimeout: Duration.seconds(360),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    });
    expect(
      () => new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], transferQueue, deadLetterQueue }),
    ).toThrow(/fifo|FIFO/);
  });

  it('refuses a DLQ that cannot take the worker’s 262,144-byte dead letters', () => {
    const stack = new Stack(newApp(), 'SmallDlq');
    const queues = fitting(stack, {}, { maxMessageSizeBytes: 1_024 });
    expect(() => new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], ...queues })).toThrow(
      /deadLetterQueue.*(size|bytes)/,
    );
  });

  it('passes cdk-nag with a brought queue encrypted by the team’s own KMS key', () => {
    const app = newApp();
    const stack = new Stack(app, 'Kms');
    const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    const queues = fitting(
      stack,
      { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key },
      { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key },
    );
    new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], ...queues });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(String((error as Error | undefined)?.message ?? 'no error').slice(0, 3000)).toBe('no error');
  });

  it('refuses the team’s queues defined in another stack of the app, which would make a dependency cycle', () => {
    const app = newApp();
    const queueStack = new Stack(app, 'TeamQueues');
    const queues = fitting(queueStack);
    const stack = new Stack(app, 'Orchestrator');
    expect(() => new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], ...queues })).toThrow(
      /defined in stack TeamQueues.*import it by ARN/,
    );
  });

  it('refuses a DLQ that keeps messages shorter than the transfer queue (redriven messages expire on the original enqueue time)', () => {
    const stack = new Stack(newApp(), 'Retention');
    const queues = fitting(
      stack,
      { retentionPeriod: Duration.days(4) },
      { retentionPeriod: Duration.minutes(5) },
    );
    expect(() => new TransferOrchestrator(stack, 'O', { instanceIds: [INSTANCE], ...queues })).toThrow(
      /retention/i,
    );
  });
});
