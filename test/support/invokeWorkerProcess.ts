// Runs the real worker handler in its own process, so a test can kill it mid-flight as Lambda would on a
// crash or timeout. The event is the JSON in argv[2]; the context's remaining time is INVOKE_REMAINING_MS.
import { lambdaContext } from './factories.js';

const { handler } = await import('../../lambdas/transfer-worker/index.js');
const event = JSON.parse(process.argv[2] ?? '{"Records":[]}');
const response = await handler(event, lambdaContext(Number(process.env.INVOKE_REMAINING_MS ?? 60_000)));
process.stdout.write(`${JSON.stringify({ response })}\n`);
