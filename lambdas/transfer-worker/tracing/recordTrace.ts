import { AsyncLocalStorage } from 'node:async_hooks';
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';

/**
 * The trace of the record being handled, for the calls made on its behalf. One invocation handles a batch
 * of records from as many producers' traces, so the invocation's own trace (Lambda's, with Powertools'
 * subsegments) cannot be theirs; each record's calls carry its producer's trace instead: Connect's
 * `TransferContact` (the `X-Amzn-Trace-Id` header), the outcome event (`TraceHeader`) and the record's copies
 * (`AWSTraceHeader`). An `AsyncLocalStorage` keeps it through the awaits of the record's steps.
 */
const current = new AsyncLocalStorage<string | undefined>();

/**
 * Runs a record's steps under its trace header (already read strictly: `passedOnTraceHeader`).
 *
 * @example
 * await inRecordTrace(passedOnTraceHeader(record.attributes.AWSTraceHeader), () => handle(record));
 */
export function inRecordTrace<T>(traceHeader: string | undefined, steps: () => Promise<T>): Promise<T> {
  return current.run(traceHeader, steps);
}

/** The trace header of the record whose steps are running, if it has one. */
export function recordTraceHeader(): string | undefined {
  return current.getStore();
}

const TRACE_HEADER = 'X-Amzn-Trace-Id';

/**
 * Makes a client's calls carry the running record's trace: the header is set last (after the SDK's
 * recursion detection and X-Ray's instrumentation), replacing the invocation's. Calls outside a record, or
 * for a record without a trace, keep what the SDK sets.
 *
 * @example
 * carryRecordTrace(connect.middlewareStack);
 */
export function carryRecordTrace(stack: Pick<MiddlewareStack<object, object>, 'add'>): void {
  const middleware: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
    const header = recordTraceHeader();
    const request = args.request as { headers?: Record<string, string> };
    if (header && request.headers) {
      for (const name of Object.keys(request.headers))
        if (name.toLowerCase() === TRACE_HEADER.toLowerCase()) delete request.headers[name];
      request.headers[TRACE_HEADER] = header;
    }
    return next(args);
  };
  stack.add(middleware, { step: 'finalizeRequest', priority: 'low', name: 'carryRecordTrace' });
}
