// `npm run chaos`: seeded chaos runs through the real stack on local engines, invariants checked after each.
import { parseArgs } from 'node:util';
import {
  DEFAULT_SEAM_FAULT_RATE,
  formatReport,
  progressPrinter,
  runScenario,
} from '../scenario/runScenario.js';
import { runKeptInvariants } from '../scenario/scenarioTypes.js';
import { chaosScenario } from './chaosProfile.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    chains: { type: 'string', default: '30' },
    hot: { type: 'string', default: '40' },
    seeds: { type: 'string', default: '1,2,3' },
    'seam-fault-rate': { type: 'string', default: String(DEFAULT_SEAM_FAULT_RATE) },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`npm run chaos -- [--requests 400] [--chains 30] [--hot 40] [--seeds 1,2,3] [--seam-fault-rate ${DEFAULT_SEAM_FAULT_RATE}]
  One run per seed: Connect 429/500/ambiguous commits/latency, worker environments killed while Connect
  holds a call, a fifth of the requests and contact events through EventBridge (some delivered twice), and
  faults at every remote call of the worker (DynamoDB, SQS, EventBridge, Connect's writes and reads: failed
  before or after applying, throttled, answer lost, hung past the SDK's timeout) with Connect's reads lagging
  new contacts; the six invariants checked after each run and again after a redrive.
  --seam-fault-rate P  the share of the worker's calls faulted, split among the five faults; 0 turns the seam
                       faults and the read lag off (default ${DEFAULT_SEAM_FAULT_RATE})
  Exits 1 if any invariant fails in any run.
`);
  process.exit(0);
}

const seamFaultRate = Number(values['seam-fault-rate']);
if (!Number.isFinite(seamFaultRate) || seamFaultRate < 0 || seamFaultRate > 1)
  throw new Error(`--seam-fault-rate must be a share from 0 to 1, got ${values['seam-fault-rate']}`);

let failures = 0;
for (const seed of String(values.seeds).split(',').map(Number)) {
  process.stdout.write(`\n=== chaos run, seed ${seed} ===\n`);
  const report = await runScenario({
    ...chaosScenario({
      requests: Number(values.requests),
      chains: Number(values.chains),
      hotChainRequests: Number(values.hot),
      seed,
      seamFaultRate,
    }),
    onProgress: progressPrinter(),
    onLog: (text) => process.stdout.write(text),
  });
  process.stdout.write(formatReport(report));
  if (!runKeptInvariants(report)) failures += 1;
}
process.stdout.write(
  `\n${failures === 0 ? 'Every chaos run kept every invariant.' : `${failures} chaos run(s) broke an invariant.`}\n`,
);
process.exit(failures === 0 ? 0 : 1);
