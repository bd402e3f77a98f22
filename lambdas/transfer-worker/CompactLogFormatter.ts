import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Powertools' structured lines without the keys every line of the function would repeat: its ARN, name and
 * memory size (the log group already names the function) and the sampling rate. The worker writes a line per
 * request, and CloudWatch Logs bills every byte ingested: the repeated keys were 200 of a line's 700 bytes.
 * What a line needs to be found and correlated stays: level, message, time, service, cold start, the
 * invocation's request id, the X-Ray trace id when there is one, and the line's own keys.
 *
 * @example
 * new Logger({ serviceName: 'transfer-worker', logFormatter: new CompactLogFormatter() });
 */
export class CompactLogFormatter extends LogFormatter {
  /** Formats one line: the standard keys the worker's lines need, then the line's own. */
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}
