// One Lambda execution environment: a worker thread that imports the bundled asset once (its cold start)
// and runs one invocation at a time, as Lambda does. Plain JavaScript: it runs under bare Node.js.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { modulePath, handlerName, functionName, memoryMb } = workerData;
const module = await import(pathToFileURL(modulePath).href);
const handler = module[handlerName];
if (typeof handler !== 'function') throw new Error(`${modulePath} exports no function ${handlerName}`);

parentPort.on('message', async ({ id, event, deadline }) => {
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const response = await handler(event, context);
    parentPort.postMessage({ id, ok: true, response });
  } catch (error) {
    parentPort.postMessage({
      id,
      ok: false,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
});
parentPort.postMessage({ ready: true });
