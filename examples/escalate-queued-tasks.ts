// An app that adds a contact-event rule to the deployable stack: every TASK contact Connect reports QUEUED
// (unless a transfer started it) on the support queue (context `escalateFromQueueId`) is transferred to the
// escalations queue. Deploy it as the main app is:
//   npx cdk deploy --app "npx tsx examples/escalate-queued-tasks.ts" -c instanceIds=<id> \
//     -c escalationQueueId=<queue-id> -c escalationFlowId=<transfer-to-queue-flow-id>
// or run it locally: npm start -- --app examples/escalate-queued-tasks.ts
// Contact events are best effort: a sweep (every 5 minutes, the last hour, contacts older than a minute)
// finds the queued tasks the rule missed, with SearchContacts on the instance (context `sweepInstanceId`,
// else the first of `instanceIds`); `-c sweep=false` leaves it out, `-c sweepSettleSeconds=…` and
// `-c sweepSearchRatePerSecond=…` tune it.
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propsFromContext } from '../lib/contextProps.js';
import { TransferOrchestratorStack } from '../lib/TransferOrchestratorStack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const text = (key: string, fallback: string) => String(context(key) ?? fallback);

const stack = new TransferOrchestratorStack(app, text('stackName', 'ConnectTransferOrchestrator'), {
  orchestrator: propsFromContext(context),
});
// The defaults name the local Connect simulator's sample contact center.
const fromQueueId = text('escalateFromQueueId', 'support');
const instanceIds = String(context('instanceIds') ?? '')
  .split(',')
  .filter(Boolean);
const sweepInstanceId = text('sweepInstanceId', instanceIds[0] ?? '');
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
  // The SearchContacts criteria that stand for the pattern: TASK contacts queued on the support queue.
  ...(text('sweep', 'true') !== 'false' &&
    sweepInstanceId && {
      sweep: {
        instanceId: sweepInstanceId,
        channels: ['TASK'],
        queueIds: [fromQueueId],
        settle: Duration.seconds(Number(text('sweepSettleSeconds', '60'))),
        searchRatePerSecond: Number(text('sweepSearchRatePerSecond', '0.5')),
      },
    }),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
