import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { StackModel } from './stackModel.js';

/** A resource of the stack, created on the local engines. */
export interface LocalResource {
  /** What `Ref` resolves to: a table's name, a queue's URL. */
  readonly ref: string;
  readonly arn: string;
}

/** Where the local engines listen. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly sqs: string;
}

/**
 * Creates the stack's tables (key schema, TTL) and queues (visibility timeout, retention, redrive policy)
 * on the local engines, named by their logical ids. Creating what already exists (a persisted data
 * directory) is not an error.
 *
 * @example
 * const resources = await provisionStack(model, { dynamodb: 'http://127.0.0.1:4567', sqs: 'http://127.0.0.1:4568' });
 * resources.get(model.worker.eventSource.queueLogicalId)?.ref; // the transfer queue's URL
 */
export async function provisionStack(
  model: StackModel,
  endpoints: LocalEndpoints,
): Promise<Map<string, LocalResource>> {
  const resources = new Map<string, LocalResource>();
  const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false });

  for (const table of model.tables) {
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table.logicalId,
          KeySchema: table.keySchema,
          AttributeDefinitions: table.attributeDefinitions,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      if (table.ttlAttribute) {
        await dynamodb
          .send(
            new UpdateTimeToLiveCommand({
              TableName: table.logicalId,
              TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
            }),
          )
          // dynalite does not implement TTL; the idempotency layer checks expiry itself.
          .catch(() => undefined);
      }
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table.logicalId }));
    resources.set(table.logicalId, { ref: table.logicalId, arn: Table?.TableArn ?? '' });
  }

  // Dead-letter queues first: a redrive policy names its target's ARN.
  const ordered = [...model.queues].sort((a, b) => Number(Boolean(a.redrive)) - Number(Boolean(b.redrive)));
  for (const queue of ordered) {
    const attributes: Record<string, string> = { VisibilityTimeout: String(queue.visibilityTimeoutSeconds) };
    if (queue.retentionSeconds) attributes.MessageRetentionPeriod = String(queue.retentionSeconds);
    if (queue.maximumMessageSize) attributes.MaximumMessageSize = String(queue.maximumMessageSize);
    if (queue.redrive) {
      const target = resources.get(queue.redrive.deadLetterLogicalId);
      if (!target)
        throw new Error(
          `queue ${queue.logicalId} redrives to ${queue.redrive.deadLetterLogicalId}, not in the stack`,
        );
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target.arn,
        maxReceiveCount: queue.redrive.maxReceiveCount,
      });
    }
    const { QueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: queue.logicalId, Attributes: attributes }),
    );
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    resources.set(queue.logicalId, { ref: QueueUrl, arn: Attributes.QueueArn ?? '' });
  }
  // A bus is its name (what `Ref` gives), as the local EventBridge serves it.
  for (const bus of model.buses) {
    resources.set(bus.logicalId, {
      ref: bus.name,
      arn: `arn:aws:events:us-east-1:000000000000:event-bus/${bus.name}`,
    });
  }
  return resources;
}

/**
 * Resolves the worker's environment as CloudFormation would: `Ref` to a table's name or a queue's URL,
 * `Fn::GetAtt [X, Arn]` to its ARN. A reference to anything else is an error that names it.
 *
 * @example
 * resolveEnvironment({ LEDGER_TABLE_NAME: { Ref: 'Ledger' } }, resources); // { LEDGER_TABLE_NAME: 'Ledger' }
 */
export function resolveEnvironment(
  environment: Readonly<Record<string, unknown>>,
  resources: ReadonlyMap<string, LocalResource>,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value === 'string') {
      resolved[name] = value;
      continue;
    }
    const ref = (value as { Ref?: string }).Ref;
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt?.[1] === 'RoleId') {
      resolved[name] = localRoleId(getAtt[0]);
      continue;
    }
    const resource = resources.get(ref ?? getAtt?.[0] ?? '');
    if (!resource || (getAtt && getAtt[1] !== 'Arn')) {
      throw new Error(`cannot resolve ${name}=${JSON.stringify(value)} to a local resource`);
    }
    resolved[name] = ref ? resource.ref : resource.arn;
  }
  return resolved;
}

/**
 * The unique id a role of the template has locally (`AROA…`, as IAM gives one): the worker runs with it as
 * its access key, so the local SQS stamps it as the `SenderId` of what the worker sends.
 *
 * @example
 * localRoleId('WorkerServiceRole1234'); // 'AROALOCALWORKERSERVICEROLE1234'
 */
export function localRoleId(logicalId: string): string {
  return `AROALOCAL${logicalId.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.slice(0, 32);
}
