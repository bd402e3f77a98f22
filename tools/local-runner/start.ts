// `npm start`: the orchestrator as `cdk synth` builds it, running on local engines until Ctrl-C.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OUTCOME_EVENT_SOURCE, TRANSFER_REQUESTED_DETAIL_TYPE, WorkerEnv } from '../../src/contract/index.js';
import { LocalOrchestrator } from './LocalOrchestrator.js';
import { formatOutcome, parseOutcomeLine, parsePacingLine } from './outcomeLine.js';
import { SAMPLE_INSTANCE_ID } from './sampleContactCenter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `npm start -- [options]: run the orchestrator locally (dynalite, fauxqs, the Connect simulator)

  --data-dir DIR        keep tables, queued messages and the simulator's state here (default .local-data)
  --fresh               start from an empty data directory
  --dynamodb-port N     default 4701
  --sqs-port N          default 4702
  --connect-port N      default 4703
  --eventbridge-port N  default 4704
  --app FILE            another CDK app of this project to run, for instance one with a transfer rule on
                        Connect's contact events: --app examples/escalate-queued-tasks.ts
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
    'eventbridge-port': { type: 'string', default: '4704' },
    app: { type: 'string' },
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

/** Which flag moves an engine off a busy port: a raw EADDRINUSE stack names only the port. */
const PORT_FLAGS: Record<string, string> = {
  [values['dynamodb-port'] ?? '']: '--dynamodb-port',
  [values['sqs-port'] ?? '']: '--sqs-port',
  [values['connect-port'] ?? '']: '--connect-port',
  [values['eventbridge-port'] ?? '']: '--eventbridge-port',
};

process.stdout.write('Synthesizing the stack and starting the local engines…\n');
const local = await startLocal().catch((error: NodeJS.ErrnoException & { port?: number }) => {
  if (error.code !== 'EADDRINUSE') throw error;
  const port = String(error.port ?? /:(\d+)$/.exec(error.message)?.[1] ?? '');
  process.stderr.write(
    `port ${port} is in use (another npm start?): stop it, or give ${PORT_FLAGS[port] ?? 'the engine'} another port, for instance ${PORT_FLAGS[port] ?? '--sqs-port'} ${Number(port) + 10}\n`,
  );
  process.exit(1);
});

function startLocal() {
  return LocalOrchestrator.start({
    context: { instanceIds: SAMPLE_INSTANCE_ID, ...context },
    dataDirectory: values['data-dir'],
    ports: {
      dynamodb: Number(values['dynamodb-port']),
      sqs: Number(values['sqs-port']),
      connect: Number(values['connect-port']),
      eventbridge: Number(values['eventbridge-port']),
    },
    app: values.app,
    onLogLine: (line) => {
      const outcome = parseOutcomeLine(line);
      if (outcome) process.stdout.write(`${formatOutcome(outcome)}\n`);
      const pacing = parsePacingLine(line);
      if (pacing) process.stdout.write(`${pacing}\n`);
    },
  });
}

const { worker, queues } = local.model;
const transferQueue = queues.find((q) => q.logicalId === worker.eventSource.queueLogicalId);
// A task still active now (after a restart, task-1 may have been transferred already: it has ended).
const activeTask =
  local.connect
    .snapshot()
    .contacts.find(
      (contact) => contact.channel === 'TASK' && contact.state === 'ACTIVE' && contact.id.startsWith('task-'),
    )?.id ?? 'task-1';
// The bus example names another task: after the first transfer, the first task has a new contact id.
const otherTask =
  local.connect
    .snapshot()
    .contacts.find(
      (contact) =>
        contact.channel === 'TASK' &&
        contact.state === 'ACTIVE' &&
        contact.id.startsWith('task-') &&
        contact.id !== activeTask,
    )?.id ?? 'task-2';
// Everything a client needs, in one file to source: the SDK's endpoint variables and the stack outputs.
const envFile = join(values['data-dir'], 'local.env');
const variables = local.clientEnvironment();
writeFileSync(
  envFile,
  Object.entries(variables)
    .map(([k, v]) => `export ${k}=${v}\n`)
    .join(''),
);
const rules = local.model.rules.map((rule) =>
  rule.logicalId.replace(/^Orchestrator/, '').replace(/[0-9A-F]{8}$/, ''),
);
const putEventsEntry = JSON.stringify([
  {
    EventBusName: local.eventBusName,
    Source: 'crm',
    DetailType: TRANSFER_REQUESTED_DETAIL_TYPE,
    Detail: JSON.stringify({
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: otherTask,
      ContactFlowId: 'flow-transfer-to-queue',
      QueueId: 'billing',
    }),
  },
]);
process.stdout.write(`
connect-transfer-orchestrator, local mode (the bundled worker asset, configured by the synthesized template)

  DynamoDB      ${local.dynamodb.endpoint}   tables ${local.ledgerTableName}, ${local.idempotencyTableName}
  SQS           ${local.sqs.endpoint}
  EventBridge   ${local.eventBridge.endpoint}   bus ${local.eventBusName}; rules: ${rules.join(', ')}
  Connect       ${local.connect.endpoint}   (simulator: instance ${SAMPLE_INSTANCE_ID})
  queue         ${local.queueUrl}
  DLQ           ${local.deadLetterQueueUrl}
  pacing        ${worker.environment[WorkerEnv.pacingMode] === 'fixed' ? 'fixed' : 'adaptive'}, ceiling ${worker.environment[WorkerEnv.transferRatePerSecond]} TransferContact calls/s (the simulator's quota: 2/s, burst 5); the rate in use is shown below when it moves
  event source  batch ${worker.eventSource.batchSize}, window ${worker.eventSource.maxBatchingWindowSeconds} s, maxConcurrency ${worker.eventSource.maxConcurrency}, timeout ${worker.timeoutSeconds} s, visibility ${transferQueue?.visibilityTimeoutSeconds} s, maxReceiveCount ${transferQueue?.redrive?.maxReceiveCount}
  data          ${values['data-dir']} (kept across restarts; --fresh to start over)

Sample contacts: task-1 … task-20 (TASK), email-1 (EMAIL), voice-1, chat-1, task-ended. As Connect does
for tasks, a transfer starts a new contact and ends the one it came from: the outcome line shows the new
ContactId (task-1 → <new id>), which is the one to name in the next transfer of that task.
Flows: flow-transfer-to-queue, flow-transfer-to-agent, flow-inbound, flow-agent-whisper. Queues: support,
escalations, billing. Agents: agent-ana, agent-bo.

In another terminal, load the endpoints and names (${envFile}), then transfer and wait for the outcome:

  . ${envFile}
  npx transfer-contact --instance-id ${SAMPLE_INSTANCE_ID} --contact-id ${activeTask} \\
      --contact-flow-id flow-transfer-to-queue --queue-id support --wait

Or put a '${TRANSFER_REQUESTED_DETAIL_TYPE}' event on the bus (PutEvents):
  npx transfer-contact --event-bus-name ${local.eventBusName} --instance-id ${SAMPLE_INSTANCE_ID} --contact-id <id> \\
      --contact-flow-id flow-transfer-to-queue --queue-id billing
  aws events put-events --endpoint-url ${local.eventBridge.endpoint} --entries '${putEventsEntry}'

Raise a Connect contact event (a new task queued on support; a transfer rule, as with
--app examples/escalate-queued-tasks.ts, picks it up):
  curl -s -X POST ${local.connect.endpoint}/_simulator/contacts -d '{"instanceId":"${SAMPLE_INSTANCE_ID}","queueId":"support"}'

Then: npx transfer-contact status --client-token <token>
      npx transfer-contact dlq list

Outcomes (the worker's log) and outcome events (on the bus) appear below. Ctrl-C stops everything and keeps the state.
`);
local.eventBridge.onEvent((_, event) => {
  if (event.source !== OUTCOME_EVENT_SOURCE) return;
  const detail = event.detail as { ClientToken?: string; ContactId?: string; ErrorCode?: string };
  const what = detail.ContactId ? `ContactId=${detail.ContactId}` : `ErrorCode=${detail.ErrorCode}`;
  process.stdout.write(
    `${event.time.slice(11, 19)}  event: ${event['detail-type']}  token=${detail.ClientToken ?? '-'}  ${what}\n`,
  );
});

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
