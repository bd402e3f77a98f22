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
  /** The queue's `MaximumMessageSize` (bytes), when the template sets it. */
  readonly maximumMessageSize?: number;
  readonly redrive?: { readonly deadLetterLogicalId: string; readonly maxReceiveCount: number };
}

/** A function of the stack: its bundled asset, the handler it exports, its environment and timeout. */
export interface FunctionModel {
  readonly logicalId: string;
  /** Absolute path of the bundled asset directory. */
  readonly assetDirectory: string;
  /** The module file inside the asset (`index.mjs`) and the exported handler name. */
  readonly moduleFile: string;
  readonly handlerName: string;
  /** Environment variables, with CloudFormation references still unresolved. */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
}

/** The worker function and the event source mapping that feeds it. */
export interface WorkerModel extends FunctionModel {
  readonly eventSource: {
    readonly queueLogicalId: string;
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly reportBatchItemFailures: boolean;
  };
}

/** An EventBridge rule's target as the template declares it (an SQS queue here). */
export interface RuleTargetModel {
  readonly id: string;
  /** The logical id of the queue it delivers to. */
  readonly queueLogicalId: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap?: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
  /** The logical id of the queue it sends what it cannot deliver to. */
  readonly deadLetterLogicalId?: string;
  readonly retryAttempts?: number;
  readonly maxEventAgeSeconds?: number;
}

/** An EventBridge rule as the template declares it. */
export interface RuleModel {
  readonly logicalId: string;
  /** A custom bus's logical id, or a bus name (`default`). */
  readonly bus: { readonly logicalId: string } | { readonly name: string };
  readonly eventPattern: unknown;
  readonly enabled: boolean;
  readonly targets: readonly RuleTargetModel[];
}

/** A scheduled EventBridge rule (`rate(…)`) whose targets are functions of the stack. */
export interface ScheduleModel {
  readonly logicalId: string;
  /** How often it fires (seconds). */
  readonly rateSeconds: number;
  readonly enabled: boolean;
  readonly targets: readonly { readonly function: FunctionModel; readonly input: unknown }[];
}

/** An event bus the stack creates. */
export interface BusModel {
  readonly logicalId: string;
  readonly name: string;
}

/** What the local mode needs of a synthesized stack. */
export interface StackModel {
  readonly stackName: string;
  readonly tables: readonly TableModel[];
  readonly queues: readonly QueueModel[];
  readonly worker: WorkerModel;
  readonly buses: readonly BusModel[];
  /** The rules on event patterns (scheduled rules are in `schedules`). */
  readonly rules: readonly RuleModel[];
  /** The scheduled rules that invoke functions of the stack. */
  readonly schedules: readonly ScheduleModel[];
  /** For each queue (logical id), the rules (logical ids) its queue policy lets EventBridge deliver for. */
  readonly eventsAllowedBy: ReadonlyMap<string, ReadonlySet<string>>;
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
      maximumMessageSize:
        Properties.MaximumMessageSize === undefined ? undefined : Number(Properties.MaximumMessageSize),
      redrive:
        deadLetterLogicalId && redrive?.maxReceiveCount
          ? { deadLetterLogicalId, maxReceiveCount: Number(redrive.maxReceiveCount) }
          : undefined,
    };
  });
}

/** The template's event buses. */
function busesOf(resources: readonly [string, Resource][]): BusModel[] {
  return resources.map(([logicalId, { Properties = {} }]) => ({
    logicalId,
    name: String(Properties.Name ?? logicalId),
  }));
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

/** The template's scheduled rules (`rate(…)` only) and the functions they invoke. */
function schedulesOf(
  resources: readonly [string, Resource][],
  all: Readonly<Record<string, Resource>>,
  cloudAssemblyDirectory: string,
): ScheduleModel[] {
  return resources.flatMap(([logicalId, { Properties = {} }]): ScheduleModel[] => {
    const rate = RATE.exec(String(Properties.ScheduleExpression));
    if (!rate) throw new Error(`rule ${logicalId}: the local mode runs rate(…) schedules only`);
    const targets = ((Properties.Targets as Record<string, unknown>[] | undefined) ?? []).flatMap(
      (target) => {
        const id = logicalIdOf(target.Arn);
        const fn = id ? all[id] : undefined;
        if (!id || fn?.Type !== 'AWS::Lambda::Function') return [];
        return [
          {
            function: functionOf(id, fn, cloudAssemblyDirectory),
            input: target.Input === undefined ? {} : JSON.parse(String(target.Input)),
          },
        ];
      },
    );
    return [
      {
        logicalId,
        rateSeconds: Number(rate[1]) * (UNIT_SECONDS[rate[2] as string] ?? 60),
        enabled: (Properties.State ?? 'ENABLED') === 'ENABLED',
        targets,
      },
    ];
  });
}

/** A function of the template: its bundled asset, handler, environment and timeout. */
function functionOf(logicalId: string, fn: Resource, cloudAssemblyDirectory: string): FunctionModel {
  const assetPath = fn.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string')
    throw new Error(`function ${logicalId} has no bundled asset in ${cloudAssemblyDirectory}`);
  const [moduleName = 'index', handlerName = 'handler'] = String(
    fn.Properties?.Handler ?? 'index.handler',
  ).split('.');
  return {
    logicalId,
    assetDirectory: join(cloudAssemblyDirectory, assetPath),
    moduleFile: `${moduleName}.mjs`,
    handlerName,
    environment:
      (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    timeoutSeconds: Number(fn.Properties?.Timeout ?? 3),
  };
}

/** The template's rules and their SQS targets. */
function rulesOf(resources: readonly [string, Resource][]): RuleModel[] {
  return resources.map(([logicalId, { Properties = {} }]): RuleModel => {
    const busRef = logicalIdOf(Properties.EventBusName);
    const targets = (Properties.Targets as Record<string, unknown>[] | undefined) ?? [];
    return {
      logicalId,
      bus: busRef ? { logicalId: busRef } : { name: String(Properties.EventBusName ?? 'default') },
      eventPattern: Properties.EventPattern,
      enabled: (Properties.State ?? 'ENABLED') === 'ENABLED',
      targets: targets.map((target): RuleTargetModel => {
        const transformer = target.InputTransformer as
          | { InputPathsMap?: Record<string, string>; InputTemplate: string }
          | undefined;
        const retry = target.RetryPolicy as
          | { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number }
          | undefined;
        return {
          id: String(target.Id),
          queueLogicalId: logicalIdOf(target.Arn) ?? '',
          input: target.Input as string | undefined,
          inputPath: target.InputPath as string | undefined,
          inputTransformer: transformer && {
            inputPathsMap: transformer.InputPathsMap,
            inputTemplate: transformer.InputTemplate,
          },
          deadLetterLogicalId: logicalIdOf((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn),
          retryAttempts: retry?.MaximumRetryAttempts,
          maxEventAgeSeconds: retry?.MaximumEventAgeInSeconds,
        };
      }),
    };
  });
}

type PolicyStatement = {
  Effect?: string;
  Principal?: { Service?: unknown };
  Action?: unknown;
  Condition?: unknown;
};

/**
 * For each queue, the rules its queue policies let `events.amazonaws.com` send for (`sqs:SendMessage` on
 * condition `ArnEquals aws:SourceArn` of the rule). EventBridge cannot deliver to a queue for any other rule.
 */
function eventsAllowedByPolicies(resources: readonly [string, Resource][]): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  for (const [, { Properties = {} }] of resources) {
    const statements = (
      (Properties.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement ?? []
    ).filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        statement.Principal?.Service === 'events.amazonaws.com' &&
        [statement.Action].flat().some((action) => action === 'sqs:SendMessage' || action === 'sqs:*'),
    );
    const rules = statements
      .map((statement) =>
        logicalIdOf(
          (statement.Condition as { ArnEquals?: Record<string, unknown> } | undefined)?.ArnEquals?.[
            'aws:SourceArn'
          ],
        ),
      )
      .filter((id): id is string => id !== undefined);
    for (const queue of (Properties.Queues as unknown[] | undefined) ?? []) {
      const queueId = logicalIdOf(queue);
      if (!queueId) continue;
      const set = allowed.get(queueId) ?? new Set<string>();
      for (const rule of rules) set.add(rule);
      allowed.set(queueId, set);
    }
  }
  return allowed;
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
  const scaling = mapping.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;

  return {
    stackName,
    tables,
    queues,
    buses: busesOf(ofType('AWS::Events::EventBus')),
    rules: rulesOf(ofType('AWS::Events::Rule').filter(([, rule]) => !rule.Properties?.ScheduleExpression)),
    schedules: schedulesOf(
      ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties?.ScheduleExpression),
      template.Resources,
      cloudAssemblyDirectory,
    ),
    eventsAllowedBy: eventsAllowedByPolicies(ofType('AWS::SQS::QueuePolicy')),
    worker: {
      ...functionOf(functionLogicalId, fn, cloudAssemblyDirectory),
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
