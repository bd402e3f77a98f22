// Runs one handler module on N records in its own process and reports the CPU it used: the engines run in
// the parent, so only the handler's own work (and its SDK clients') is counted. Plain JavaScript.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { MODULE_PATH, RECORDS = '1000', BATCH = '10', CONTACTS = '200', CONTACT_OFFSET = '0' } = process.env;
const { handler } = await import(pathToFileURL(MODULE_PATH).href);
const records = Number(RECORDS);
const batch = Number(BATCH);
const contacts = Number(CONTACTS);
const offset = Number(CONTACT_OFFSET);
const body = (i) =>
  JSON.stringify({
    InstanceId: process.env.BENCH_INSTANCE_ID,
    ContactId: `bench-${offset + (i % contacts)}`,
    ContactFlowId: 'flow-transfer-to-queue',
    QueueId: 'support',
    ClientToken: `${process.env.BENCH_RUN}-${i}`,
  });
const context = () => {
  const deadline = Date.now() + 60_000;
  return {
    functionName: 'bench',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
};
const event = (from, count) => ({
  Records: Array.from({ length: count }, (_, n) => ({
    messageId: randomUUID(),
    receiptHandle: 'r',
    body: body(from + n),
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    eventSource: 'aws:sqs',
  })),
});

// Warm up: the cold start is measured by the cold-start benchmark, not here.
await handler(event(records, batch), context());
let failures = 0;
const cpu = process.cpuUsage();
const started = performance.now();
// On the clock a CPU profile's timestamps use (µs), so a profile can be cut to the measured records.
const fromUs = Number(process.hrtime.bigint() / 1000n);
for (let i = 0; i < records; i += batch) {
  const response = await handler(event(i, Math.min(batch, records - i)), context());
  failures += response?.batchItemFailures?.length ?? 0;
}
const used = process.cpuUsage(cpu);
const toUs = Number(process.hrtime.bigint() / 1000n);
process.stdout.write(
  `${JSON.stringify({
    records,
    failures,
    cpuMs: (used.user + used.system) / 1000,
    wallMs: performance.now() - started,
    window: { fromUs, toUs },
    // What Lambda reports as "Max Memory Used": the process's peak resident set.
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
