import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';

/**
 * The SDK's standard retries for Connect, except that a throttled call is never retried by the SDK: the
 * quota is the account's, shared with agent desktops and flows, so a throttled call waits for the pacer's
 * next turn (which a throttle slows) instead of the SDK's back-off. A 5xx or a dropped answer is still
 * retried in the call, as before.
 */
export class NoThrottleRetries extends StandardRetryStrategy {
  override async refreshRetryTokenForRetry(
    token: StandardRetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    if (errorInfo.errorType === 'THROTTLING')
      throw new Error('throttled: the pacer decides when to call again');
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}
