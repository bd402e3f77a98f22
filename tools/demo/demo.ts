// `npm run demo`: the real stack on local engines, a mixed workload, a summary, and the invariants checked.
import { parseArgs } from 'node:util';
import {
  DEFAULT_SEAM_FAULT_RATE,
  formatReport,
  harshSeams,
  progressPrinter,
  runScenario,
} from '../scenario/runScenario.js';
import { runKeptInvariants } from '../scenario/scenarioTypes.js';
import { buildWorkload } from '../scenario/workload.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `npm run demo -- [options]: a mixed workload through the real stack on local engines

  --requests N          messages to send (default 300)
  --chains N            contact chains (default 30; a fifth are pushed past the cap)
  --rate N              TransferContact quota of the simulator and rate of the stack, per second (default 20)
  --throttle-rate P     share of Connect calls answered 429 (default 0.03)
  --error-rate P        share answered 500 without transferring (default 0.02)
  --ambiguous-rate P    share that transfer, then answer 500 (default 0.01)
  --max-receive-count N the stack's maxReceiveCount (default 4)
  --cap N               the stack's transfer cap, 1-11 (default 11)
  --seed N              workload and fault seed (default 7)
  --bus-share P         share of valid requests put on the orchestrator's bus (PutEvents) instead of its
                        queue (default 0.2)
  --contact-events N    tasks the simulator starts on an intake queue; Connect's contact events reach the
                        app's rule (examples/escalate-queued-tasks.ts), which escalates each (default 20)
  --contact-event-drop-share P
                        share of contact events Connect drops (best effort): the rule's sweep, run after
                        the queue drains, finds those tasks (default 0.1)
  --seam-fault-rate P   share of the worker's calls faulted at every seam: DynamoDB, SQS, EventBridge and
                        Connect's writes and reads, each failed before or after applying, throttled, its
                        answer lost or hung past the worker's SDK timeout (1 s in fault runs); 0 turns the
                        seam faults and Connect's read lag off (default ${DEFAULT_SEAM_FAULT_RATE})
  --kind                a kind Connect: contact ids kept, the token checked first, tokens kept 7 days
                        (default: the harsh world: new ids, a fifth kept; the contact checked first; a
                        30 s token memory; a quarter of new contacts unseen by its reads for 1.5 s)
  --no-redrive          skip the redrive phase (after the queue drains: Connect's clock moved past its token
                        memory, the idempotency records expired, the DLQ redriven with new message ids and a
                        share of the transferred requests sent again; the invariants checked again)
  --timeout-seconds N   fail if the queue has not drained by then (default 600)

Exits 0 when every invariant (docs/DESIGN.md) holds, 1 otherwise.
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
    'bus-share': { type: 'string', default: '0.2' },
    'contact-events': { type: 'string', default: '20' },
    'contact-event-drop-share': { type: 'string', default: '0.1' },
    cap: { type: 'string', default: '11' },
    'seam-fault-rate': { type: 'string', default: String(DEFAULT_SEAM_FAULT_RATE) },
    kind: { type: 'boolean', default: false },
    'no-redrive': { type: 'boolean', default: false },
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

const cap = num('cap');
const seamFaultRate = num('seam-fault-rate');
if (seamFaultRate > 1) throw new Error(`--seam-fault-rate must be a share from 0 to 1, got ${seamFaultRate}`);
if (!Number.isInteger(cap) || cap < 1 || cap > 11)
  throw new Error(`--cap must be a whole number from 1 to 11, got ${cap}`);
process.stdout.write('Synthesizing the stack and starting the local engines…\n');
const report = await runScenario({
  workload: buildWorkload({ requests: num('requests'), chains: num('chains'), seed: num('seed'), cap }),
  rate: num('rate'),
  maxReceiveCount: num('max-receive-count'),
  seed: num('seed'),
  cap,
  connectFaults: {
    throttleRate: num('throttle-rate'),
    errorRate: num('error-rate'),
    commitThenErrorRate: num('ambiguous-rate'),
  },
  connect: values.kind
    ? { contactIdMode: 'keep', checkOrder: 'token-first', tokenWindowMs: 7 * 86_400_000, readLagMs: 0 }
    : undefined,
  seams: seamFaultRate > 0 ? harshSeams(seamFaultRate) : undefined,
  redrive: !values['no-redrive'],
  busShare: num('bus-share'),
  contactEvents: num('contact-events'),
  contactEventDropShare: num('contact-event-drop-share'),
  timeoutSeconds: num('timeout-seconds'),
  onProgress: progressPrinter(),
  onLog: (text) => process.stdout.write(text),
});
process.stdout.write(formatReport(report));
process.exit(runKeptInvariants(report) ? 0 : 1);
