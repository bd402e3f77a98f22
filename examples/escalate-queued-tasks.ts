// An app that adds a contact-event rule to the deployable stack: every TASK contact Connect reports QUEUED
// (unless a transfer started it) on the support queue (context `escalateFromQueueId`) is transferred to the
// escalations queue. Deploy it as the main app is:
//   npx cdk deploy --app "npx tsx examples/escalate-queued-tasks.ts" -c instanceIds=<id> \
//     -c escalationQueueId=<queue-id> -c escalationFlowId=<transfer-to-queue-flow-id>
// or run it locally: npm start -- --app examples/escalate-queued-tasks.ts
// Contact events are best effort: a sweep (every 5 minutes, tasks queued in the last hour and over a minute
// ago) finds the queued tasks the rule missed, with SearchContacts on the instance (context `sweepInstanceId`,
// else the first of `instanceIds`); `-c sweep=false` leaves it out, `-c sweepSettleSeconds=…` and
// `-c sweepSearchRatePerSecond=…` tune it. A bad value fails synth naming its key (docs/OPERATIONS.md).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propsFromContext, sweepFromContext } from '../lib/contextProps.js';
import { SweepTimestamp } from '../lib/enums.js';
import { TransferOrchestratorStack } from '../lib/TransferOrchestratorStack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
// An empty value (`-c escalateFromQueueId=`) is the default, not an id: an empty queue suffix matches any queue.
const text = (key: string, fallback: string) => {
  const value = context(key);
  return value === undefined || value === '' ? fallback : String(value);
};

const orchestrator = propsFromContext(context);
const stack = new TransferOrchestratorStack(app, text('stackName', 'ConnectTransferOrchestrator'), {
  orchestrator,
});
// The defaults name the local Connect simulator's sample contact center.
const fromQueueId = text('escalateFromQueueId', 'support');
const sweep = sweepFromContext(context, orchestrator.instanceIds);
stack.orchestrator.addTransferRule('EscalateQueuedTasks', {
  eventPattern: {
    source: ['aws.connect'],
    detailType: ['Amazon Connect Contact Event'],
    detail: {
      channel: ['TASK'],
      eventType: ['QUEUED'],
      queueInfo: { queueArn: [{ suffix: `/queue/${fromQueueId}` }] },
    },
  },
  destination: {
    queueId: text('escalationQueueId', 'escalations'),
    contactFlowId: text('escalationFlowId', 'flow-transfer-to-queue'),
  },
  // The SearchContacts criteria that stand for the pattern: TASK contacts queued on the support queue, by
  // when they were queued (a task queued long after it started is still found).
  ...(sweep && {
    sweep: { ...sweep, channels: ['TASK'], queueIds: [fromQueueId], timestamp: SweepTimestamp.ENQUEUE },
  }),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
