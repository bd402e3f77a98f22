import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseTraceHeader } from '../../../src/tracing/traceHeader.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Wraps the handler in a Powertools Tracer subsegment when the function's tracing is active: the cold start
 * and service annotations, the error if it throws, and, as metadata, the producers' traces of the batch's
 * records (one invocation serves a batch from many traces; each record's own calls carry its trace, see
 * `recordTrace.ts`). With tracing off (no tracer, outside Lambda, or not active) the handler runs as is.
 *
 * @example
 * export const handler = tracedHandler(tracer, createTransferWorker(deps));
 */
export function tracedHandler(tracer: Tracer | undefined, handler: Handler): Handler {
  if (!tracer) return handler;
  return async (event, context) => {
    if (!tracer.isTracingEnabled()) return handler(event, context);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    tracer.putMetadata(
      'producerTraces',
      event.Records.map((record) => ({
        messageId: record.messageId,
        traceId: parseTraceHeader(record.attributes?.AWSTraceHeader)?.root,
      })),
    );
    try {
      return await handler(event, context);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
    }
  };
}
