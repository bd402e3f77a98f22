// One Lambda execution environment of the transfer worker, for the property test: a process of its own, so a
// crash is a SIGKILL (nothing of the invocation runs after it; what it had sent may still land). The parent
// talks to it over IPC: `activate` gives it its world's environment and imports the worker (a cold start),
// `invoke` runs one event with a context whose remaining time counts down from `remainingMs`.
import type { SQSEvent } from 'aws-lambda';
import type { TransferWorkerHandler } from '../../lambdas/transfer-worker/TransferWorker.js';
import { lambdaContext } from '../support/factories.js';

/** What the parent sends. */
export type HostRequest =
  | { readonly type: 'activate'; readonly env: Record<string, string> }
  | { readonly type: 'invoke'; readonly id: number; readonly event: SQSEvent; readonly remainingMs: number };

/** What the host answers. */
export type HostReply =
  | { readonly type: 'loaded' }
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'result'; readonly id: number; readonly response?: unknown; readonly error?: string };

const reply = (message: HostReply) => process.send?.(message);

// The worker's dependencies load before the process is given a world, so a spare takes over in a fraction of
// a cold start.
await Promise.all([
  import('@aws-sdk/client-connect'),
  import('@aws-sdk/client-dynamodb'),
  import('@aws-sdk/client-sqs'),
  import('@aws-sdk/client-eventbridge'),
  import('@aws-sdk/lib-dynamodb'),
  import('@aws-lambda-powertools/idempotency'),
  import('@aws-lambda-powertools/idempotency/dynamodb'),
  import('@aws-lambda-powertools/batch'),
  import('@aws-lambda-powertools/logger'),
  import('@aws-lambda-powertools/metrics'),
]);

let handler: TransferWorkerHandler | undefined;

async function handle(message: HostRequest): Promise<void> {
  if (message.type === 'activate') {
    try {
      Object.assign(process.env, message.env);
      ({ handler } = await import('../../lambdas/transfer-worker/index.js'));
      reply({ type: 'ready' });
    } catch (error) {
      reply({ type: 'failed', error: String(error) });
    }
    return;
  }
  try {
    if (!handler) throw new Error('not activated');
    const response = await handler(message.event, lambdaContext(message.remainingMs));
    reply({ type: 'result', id: message.id, response });
  } catch (error) {
    reply({ type: 'result', id: message.id, error: String(error) });
  }
}

process.on('message', (message: HostRequest) => void handle(message));
// The parent went away: so does the environment.
process.on('disconnect', () => process.exit(0));
reply({ type: 'loaded' });
