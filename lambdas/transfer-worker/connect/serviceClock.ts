import type { ConnectClient } from '@aws-sdk/client-connect';

/** What a response (or an error's response) carries of the service's time. */
interface WithHeaders {
  readonly response?: { readonly headers?: Record<string, string | undefined> };
  readonly $response?: { readonly headers?: Record<string, string | undefined> };
}

/**
 * A service's clock as this worker sees it: the offset from its own clock to the `Date` header of the
 * service's latest answer (a 5xx carries one too). The header has a resolution of a second and is cut, not
 * rounded, so this clock runs up to a second early: an attempt stamped with it looks older, the safe side for
 * reconciliation (which concludes "not transferred" only from what changed before the attempt). Until the
 * service has answered once, it is this worker's own clock.
 *
 * @example
 * const connectClock = ServiceClock.watching(connect);
 * connectClock.now(); // Connect's time, as its answers show it
 */
export class ServiceClock {
  #offsetMs = 0;

  /** A clock following the answers of `client`. */
  static watching(client: Pick<ConnectClient, 'middlewareStack'>): ServiceClock {
    const clock = new ServiceClock();
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          const result = await next(args);
          clock.observe((result as WithHeaders).response?.headers?.date);
          return result;
        } catch (error) {
          clock.observe((error as WithHeaders).$response?.headers?.date);
          throw error;
        }
      },
      { step: 'deserialize', name: 'serviceClock', priority: 'low' },
    );
    return clock;
  }

  /** The service's time now (ms). */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Takes the service's time from an answer's `Date` header (ignored when absent or unreadable). */
  observe(dateHeader: string | undefined, receivedAt = Date.now()): void {
    const at = dateHeader ? Date.parse(dateHeader) : Number.NaN;
    if (Number.isFinite(at)) this.#offsetMs = at - receivedAt;
  }
}
