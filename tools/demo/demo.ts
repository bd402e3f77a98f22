// `npm run demo`: the real stack on local engines, a mixed workload, a summary, and the invariants checked.
import { parseArgs } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalOrchestrator } from '../local-runner/LocalOrchestrator';
import { type OutcomeLog, parseOutcomeLine } from '../local-runner/outcomeLine';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter';
import { checkInvariants } from './invariants';
import { buildWorkload, type ItemKind } from './workload';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `npm run demo -- [options]: a mixed workload through the real stack on local engines

  --requests N          messages to send (default 300)
  --chains N            contact chains (default 30; a fifth are pushed past the cap)
  --rate N              TransferContact quota of the simulator and rate of the stack, per second (default 20)
  --throttle-rate P     share of Connect calls answered 429 (default 0.03)
  --error-rate P        share answered 500 without transferring (default 0.02)
  --ambiguous-rate P    share that transfer, then answer 500 (default 0.01)
  --max-receive-count N the stack's maxReceiveCount (default 4)
  --seed N              workload and fault seed (default 7)
  --timeout-seconds N   fail if the queue has not drained by then (default 600)

Exits 0 when every invariant of DESIGN.md holds, 1 otherwise.
`;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    chains: { type: 'string', default: '30' },
    rate: { type: 'string', default: '20' },
    'throttle-rate': { type: 'string', default: '0.03' },
    'error-rate': { type: 'string', default: '0.02' },
    'ambiguous-rate': { type: 'string', default: '0.01' },
    'max-receive-count': { type: 'string', default: '4' },
    seed: { type: 'string', default: '7' },
    'timeout-seconds': { type: 'string', default: '600' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const num = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number ≥ 0, got ${values[name]}`);
  return value;
};
const rate = num('rate');
const cap = 11;
const workload = buildWorkload({ requests: num('requests'), chains: num('chains'), seed: num('seed'), cap });
// The shortest timeout that holds a paced batch (the construct checks it): retries come back sooner.
const functionTimeoutSeconds = Math.ceil((10 * 2) / rate + 5) + 1;

const outcomes = new Map<string, number>();
const codes = new Map<string, number>();
const deleted = new Set<string>();
const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

const started = Date.now();
process.stdout.write(
  `Synthesizing the stack (rate ${rate}/s, timeout ${functionTimeoutSeconds} s, maxReceiveCount ${values['max-receive-count']}) and starting the local engines…\n`,
);
const local = await LocalOrchestrator.start({
  context: {
    instanceIds: SAMPLE_INSTANCE_ID,
    transferRatePerSecond: String(rate),
    functionTimeoutSeconds: String(functionTimeoutSeconds),
    maxReceiveCount: values['max-receive-count'] as string,
  },
  simulator: { ratePerSecond: rate, burst: 5, contactIdMode: 'keep', seed: num('seed') },
  seed: workload.seed,
  onLogLine: (line) => {
    const log: OutcomeLog | undefined = parseOutcomeLine(line);
    if (!log) return;
    count(outcomes, log.outcome);
    if (log.errorCode) count(codes, `${log.outcome}:${log.errorCode}`);
  },
  onBatch: (report) => {
    for (const id of report.deleted) deleted.add(id);
  },
});
local.connect.injectFaults({
  throttleRate: num('throttle-rate'),
  errorRate: num('error-rate'),
  commitThenErrorRate: num('ambiguous-rate'),
});

const sqs = new SQSClient({ endpoint: local.sqs.endpoint, useQueueUrlAsEndpoint: false });
const sent = new Map<string, string>();
const kinds = new Map<ItemKind, number>();
for (let i = 0; i < workload.items.length; i += 10) {
  const batch = workload.items.slice(i, i + 10);
  const { Successful = [], Failed = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: local.queueUrl,
      Entries: batch.map((item, n) => ({ Id: String(n), MessageBody: item.body })),
    }),
  );
  if (Failed.length > 0) throw new Error(`could not enqueue: ${Failed.map((f) => f.Message).join('; ')}`);
  for (const entry of Successful) {
    const item = batch[Number(entry.Id)];
    if (!item || !entry.MessageId) continue;
    sent.set(entry.MessageId, item.body);
    kinds.set(item.kind, (kinds.get(item.kind) ?? 0) + 1);
  }
}
process.stdout.write(
  `Enqueued ${sent.size} requests: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}\n`,
);

const depth = async (url: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

const deadline = Date.now() + num('timeout-seconds') * 1000;
let remaining = sent.size;
let quiet = 0;
let lastLine = 0;
while (quiet < 2) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  remaining = await depth(local.queueUrl);
  quiet = remaining === 0 ? quiet + 1 : 0;
  const done = sent.size - remaining;
  const width = 30;
  const filled = Math.round((done / Math.max(1, sent.size)) * width);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${sent.size} done, ${remaining} queued or retrying, ${Math.round((Date.now() - started) / 1000)} s`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else if (Date.now() - lastLine > 5_000 || quiet === 2) {
    process.stdout.write(`${line}\n`);
    lastLine = Date.now();
  }
  if (Date.now() > deadline) break;
}
if (process.stdout.isTTY) process.stdout.write('\n');

// Read the engines' own state.
const deadLetters: { messageId: string; body: string; attributes: Record<string, string> }[] = [];
for (;;) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: local.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 600,
    }),
  );
  if (Messages.length === 0) break;
  for (const m of Messages) {
    deadLetters.push({
      messageId: m.MessageId ?? '',
      body: m.Body ?? '',
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      ),
    });
  }
}
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: local.dynamodb.endpoint }));
const ledger = new Map<string, ReadonlySet<string>>();
for (let start: Record<string, unknown> | undefined, first = true; first || start; first = false) {
  const page = await documents.send(
    new ScanCommand({ TableName: local.ledgerTableName, ExclusiveStartKey: start as never }),
  );
  for (const item of page.Items ?? []) {
    const pk = String(item.pk?.S ?? '');
    if (pk.startsWith('chain#')) ledger.set(pk, new Set(item.tokens?.SS ?? []));
  }
  start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
}
const calls = [...local.connect.calls];
const transfersPerChain = new Map(local.connect.transfersPerChain());
await local.stop();

const results = checkInvariants({
  sent,
  deleted,
  deadLetters,
  stillQueued: remaining,
  calls,
  transfersPerChain,
  ledger,
  cap,
});
const dlqByReason = new Map<string, number>();
for (const dead of deadLetters)
  count(
    dlqByReason,
    `${dead.attributes.ErrorClass ?? 'redriven by SQS'} / ${dead.attributes.ErrorCode ?? '-'}`,
  );
const transferCalls = calls.filter((c) => c.operation === 'TransferContact');

const rows: [string, number | string][] = [
  ['requests sent', sent.size],
  ['transferred', outcomes.get('Transferred') ?? 0],
  ['duplicates absorbed (replayed)', outcomes.get('Duplicate') ?? 0],
  ['duplicates retried while in flight', codes.get('RetryScheduled:TransferInFlight') ?? 0],
  ['cap rejections', outcomes.get('CapReached') ?? 0],
  ['invalid (incl. token reuse)', outcomes.get('InvalidRequest') ?? 0],
  ['refused by Connect', outcomes.get('ConnectRejected') ?? 0],
  ['retried (transient)', outcomes.get('RetryScheduled') ?? 0],
  ['retries exhausted', outcomes.get('RetriesExhausted') ?? 0],
  ['sent back (throttled on last delivery)', outcomes.get('Requeued') ?? 0],
  ['in the DLQ', deadLetters.length],
  ['Connect calls', transferCalls.length],
  ['  answered 429', transferCalls.filter((c) => c.status === 429).length],
  ['  answered 5xx / dropped', transferCalls.filter((c) => c.status >= 500 || c.status === 0).length],
  ['elapsed', `${Math.round((Date.now() - started) / 1000)} s`],
];
process.stdout.write(
  `\nSummary\n${rows.map(([k, v]) => `  ${k.padEnd(36)} ${String(v).padStart(6)}`).join('\n')}\n`,
);
process.stdout.write(
  `\nIn the DLQ, by reason\n${
    [...dlqByReason]
      .sort()
      .map(([k, v]) => `  ${k.padEnd(52)} ${String(v).padStart(4)}`)
      .join('\n') || '  (empty)'
  }\n`,
);
process.stdout.write(
  `\nInvariants (DESIGN.md), from the engines' own state\n${results.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}\n        ${r.detail}`).join('\n')}\n`,
);
const failed = results.filter((r) => !r.ok).length;
process.stdout.write(`\n${failed === 0 ? 'All invariants hold.' : `${failed} invariant(s) failed.`}\n`);
process.exit(failed === 0 ? 0 : 1);
