import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A DynamoDB table as the template declares it. */
export interface TableModel {
  readonly logicalId: string;
  readonly keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly ttlAttribute?: string;
}

/** An SQS queue as the template declares it. */
export interface QueueModel {
  readonly logicalId: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds?: number;
  readonly redrive?: { readonly deadLetterLogicalId: string; readonly maxReceiveCount: number };
}

/** The worker function and the event source mapping that feeds it. */
export interface WorkerModel {
  readonly logicalId: string;
  /** Absolute path of the bundled asset directory. */
  readonly assetDirectory: string;
  /** The module file inside the asset (`index.mjs`) and the exported handler name. */
  readonly moduleFile: string;
  readonly handlerName: string;
  /** Environment variables, with CloudFormation references still unresolved. */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  readonly eventSource: {
    readonly queueLogicalId: string;
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly reportBatchItemFailures: boolean;
  };
}

/** What the local mode needs of a synthesized stack. */
export interface StackModel {
  readonly stackName: string;
  readonly tables: readonly TableModel[];
  readonly queues: readonly QueueModel[];
  readonly worker: WorkerModel;
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

const logicalIdOf = (value: unknown): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
};

/** The template's tables. */
function tablesOf(resources: readonly [string, Resource][]): TableModel[] {
  return resources.map(
    ([logicalId, { Properties = {} }]): TableModel => ({
      logicalId,
      keySchema: Properties.KeySchema as TableModel['keySchema'],
      attributeDefinitions: Properties.AttributeDefinitions as TableModel['attributeDefinitions'],
      ttlAttribute: (Properties.TimeToLiveSpecification as { AttributeName?: string } | undefined)
        ?.AttributeName,
    }),
  );
}

/** The template's queues, with their redrive policies. */
function queuesOf(resources: readonly [string, Resource][]): QueueModel[] {
  return resources.map(([logicalId, { Properties = {} }]): QueueModel => {
    const redrive = Properties.RedrivePolicy as
      | { deadLetterTargetArn?: unknown; maxReceiveCount?: number }
      | undefined;
    const deadLetterLogicalId = logicalIdOf(redrive?.deadLetterTargetArn);
    return {
      logicalId,
      visibilityTimeoutSeconds: Number(Properties.VisibilityTimeout ?? 30),
      retentionSeconds:
        Properties.MessageRetentionPeriod === undefined
          ? undefined
          : Number(Properties.MessageRetentionPeriod),
      redrive:
        deadLetterLogicalId && redrive?.maxReceiveCount
          ? { deadLetterLogicalId, maxReceiveCount: Number(redrive.maxReceiveCount) }
          : undefined,
    };
  });
}

/**
 * Reads the synthesized stack (`cdk.out`) into what the local mode runs: the tables, the queues with their
 * redrive policy, the worker's bundled asset and environment, and its SQS event source mapping. Whatever
 * the stack declares (batch size, `maxReceiveCount`, timeouts) is what runs locally: there is no second
 * place to edit.
 *
 * @example
 * const model = readStackModel('cdk.out', 'ConnectTransferOrchestrator');
 * model.worker.eventSource.batchSize; // 10
 */
export function readStackModel(cloudAssemblyDirectory: string, stackName: string): StackModel {
  const template = JSON.parse(
    readFileSync(join(cloudAssemblyDirectory, `${stackName}.template.json`), 'utf8'),
  ) as {
    Resources: Record<string, Resource>;
  };
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);

  const tables = tablesOf(ofType('AWS::DynamoDB::Table'));
  const queues = queuesOf(ofType('AWS::SQS::Queue'));

  const mappings = ofType('AWS::Lambda::EventSourceMapping');
  const [mappingId, mapping] = mappings[0] ?? [];
  if (!mapping?.Properties) throw new Error(`stack ${stackName} has no SQS event source mapping`);
  const functionLogicalId = logicalIdOf(mapping.Properties.FunctionName);
  const fn = functionLogicalId ? template.Resources[functionLogicalId] : undefined;
  if (!functionLogicalId || !fn?.Properties)
    throw new Error(`event source ${mappingId} names no function of the stack`);
  const assetPath = fn.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string')
    throw new Error(`function ${functionLogicalId} has no bundled asset in ${cloudAssemblyDirectory}`);
  const [moduleName = 'index', handlerName = 'handler'] = String(
    fn.Properties.Handler ?? 'index.handler',
  ).split('.');
  const scaling = mapping.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;

  return {
    stackName,
    tables,
    queues,
    worker: {
      logicalId: functionLogicalId,
      assetDirectory: join(cloudAssemblyDirectory, assetPath),
      moduleFile: `${moduleName}.mjs`,
      handlerName,
      environment:
        (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      timeoutSeconds: Number(fn.Properties.Timeout ?? 3),
      eventSource: {
        queueLogicalId: logicalIdOf(mapping.Properties.EventSourceArn) ?? '',
        batchSize: Number(mapping.Properties.BatchSize ?? 10),
        maxBatchingWindowSeconds: Number(mapping.Properties.MaximumBatchingWindowInSeconds ?? 0),
        // Lambda's own default when no maximum is set is the account's concurrency; locally, the cores.
        maxConcurrency: Number(scaling?.MaximumConcurrency ?? 2),
        reportBatchItemFailures: (
          (mapping.Properties.FunctionResponseTypes as string[] | undefined) ?? []
        ).includes('ReportBatchItemFailures'),
      },
    },
  };
}
