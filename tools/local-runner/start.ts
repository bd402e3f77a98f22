// `npm start`: the orchestrator as `cdk synth` builds it, running on local engines until Ctrl-C.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LocalOrchestrator } from './LocalOrchestrator.js';
import { formatOutcome, parseOutcomeLine } from './outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from './sampleContactCenter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `npm start -- [options]: run the orchestrator locally (dynalite, fauxqs, the Connect simulator)

  --data-dir DIR        keep tables, queued messages and the simulator's state here (default .local-data)
  --fresh               start from an empty data directory
  --dynamodb-port N     default 4701
  --sqs-port N          default 4702
  --connect-port N      default 4703
  -c KEY=VALUE          CDK context for the synthesized stack, as with cdk deploy (repeatable),
                        for instance -c maxReceiveCount=3 -c transferCap=5
`;

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.local-data' },
    fresh: { type: 'boolean', default: false },
    'dynamodb-port': { type: 'string', default: '4701' },
    'sqs-port': { type: 'string', default: '4702' },
    'connect-port': { type: 'string', default: '4703' },
    context: { type: 'string', short: 'c', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const context = Object.fromEntries(
  (values.context ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`-c takes KEY=VALUE, got ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
if (values.fresh) rmSync(values['data-dir'], { recursive: true, force: true });

process.stdout.write('Synthesizing the stack and starting the local engines…\n');
const local = await LocalOrchestrator.start({
  context: { instanceIds: SAMPLE_INSTANCE_ID, ...context },
  dataDirectory: values['data-dir'],
  ports: {
    dynamodb: Number(values['dynamodb-port']),
    sqs: Number(values['sqs-port']),
    connect: Number(values['connect-port']),
  },
  onLogLine: (line) => {
    const outcome = parseOutcomeLine(line);
    if (outcome) process.stdout.write(`${formatOutcome(outcome)}\n`);
  },
});

const { worker, queues } = local.model;
const transferQueue = queues.find((q) => q.logicalId === worker.eventSource.queueLogicalId);
// A task still active now (after a restart, task-1 may have been transferred already: it has ended).
const activeTask =
  local.connect
    .snapshot()
    .contacts.find(
      (contact) => contact.channel === 'TASK' && contact.state === 'ACTIVE' && contact.id.startsWith('task-'),
    )?.id ?? 'task-1';
const credentials = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=${local.region}`;
process.stdout.write(`
connect-transfer-orchestrator, local mode (the bundled worker asset, configured by the synthesized template)

  DynamoDB      ${local.dynamodb.endpoint}   tables ${local.ledgerTableName}, ${local.idempotencyTableName}
  SQS           ${local.sqs.endpoint}
  Connect       ${local.connect.endpoint}   (simulator: instance ${SAMPLE_INSTANCE_ID})
  queue         ${local.queueUrl}
  DLQ           ${local.deadLetterQueueUrl}
  event source  batch ${worker.eventSource.batchSize}, window ${worker.eventSource.maxBatchingWindowSeconds} s, maxConcurrency ${worker.eventSource.maxConcurrency}, timeout ${worker.timeoutSeconds} s, visibility ${transferQueue?.visibilityTimeoutSeconds} s, maxReceiveCount ${transferQueue?.redrive?.maxReceiveCount}
  data          ${values['data-dir']} (kept across restarts; --fresh to start over)

Sample contacts: task-1 … task-20 (TASK), email-1 (EMAIL), voice-1, chat-1, task-ended. As Connect does
for tasks, a transfer starts a new contact and ends the one it came from: the outcome line shows the new
ContactId (task-1 → <new id>), which is the one to name in the next transfer of that task.
Flows: flow-transfer-to-queue, flow-transfer-to-agent, flow-inbound, flow-agent-whisper. Queues: support,
escalations, billing. Agents: agent-ana, agent-bo.

Enqueue a transfer (in another terminal):

  ${credentials} npx transfer-contact --endpoint-url ${local.sqs.endpoint} --queue-url ${local.queueUrl} \\
      --instance-id ${SAMPLE_INSTANCE_ID} --contact-id ${activeTask} --contact-flow-id flow-transfer-to-queue --queue-id support

Then: npx transfer-contact status --client-token <token> --endpoint-url ${local.dynamodb.endpoint} --idempotency-table ${local.idempotencyTableName} --ledger-table ${local.ledgerTableName}
      npx transfer-contact dlq list --endpoint-url ${local.sqs.endpoint} --dlq-url ${local.deadLetterQueueUrl}
(both with the same ${credentials} prefix)

Outcomes appear below as requests flow. Ctrl-C stops everything and keeps the state.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping: finishing in-flight batches, saving state…\n');
  await local.stop();
  process.stdout.write('Stopped.\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
