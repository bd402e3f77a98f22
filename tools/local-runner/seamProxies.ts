import type { SeamService } from '../local-engines/callSites.js';
import { FaultProxy, type RandomFaults, SEAM_FAULTS, type SeamFault } from '../local-engines/FaultProxy.js';

/** The services on a request's path, in the order reports list them. */
export const SEAM_SERVICES: readonly SeamService[] = ['dynamodb', 'sqs', 'eventbridge', 'connect'];

/**
 * Random faults at the worker's remote calls, per service (see {@link FaultProxy}): each call can fail before
 * applying, apply then error, be throttled, lose its answer, or hang past the worker's request timeout.
 */
export interface SeamFaultOptions {
  /** @default - no faults: the calls are only counted */
  readonly dynamodb?: RandomFaults;
  /** @default - no faults: the calls are only counted */
  readonly sqs?: RandomFaults;
  /** @default - no faults: the calls are only counted */
  readonly eventbridge?: RandomFaults;
  /** @default - no faults: the calls are only counted */
  readonly connect?: RandomFaults;
  /**
   * How long a hung call is held before it applies: longer than the worker's `REQUEST_TIMEOUT_MS`, or the
   * hang is only a slow call.
   * @default 1500
   */
  readonly hangMs?: number;
}

/** The fault layer in front of each engine the worker calls. */
export type SeamProxies = Readonly<Record<SeamService, FaultProxy>>;

/** What one call site saw: its calls, and the faults injected there by kind. */
export interface SeamSiteReport {
  /** `<service>:<site>`, for instance `dynamodb:request.begin`. */
  readonly site: string;
  readonly calls: number;
  readonly faults: Readonly<Record<SeamFault, number>>;
}

/**
 * Starts a {@link FaultProxy} in front of each engine the worker calls. Only the worker is pointed at them:
 * the event source's poller, provisioning and the checks reach the engines directly, so a fault never
 * blinds the checks, and random faults skip the poller's own calls anyway.
 *
 * @example
 * const proxies = await startSeamProxies(engines, { dynamodb: { rates: { throttle: 0.01 } } });
 * env.AWS_ENDPOINT_URL_DYNAMODB = proxies.dynamodb.endpoint;
 */
export async function startSeamProxies(
  targets: Readonly<Record<SeamService, string>>,
  options: SeamFaultOptions,
): Promise<SeamProxies> {
  const hangMs = options.hangMs ?? 1_500;
  const [dynamodb, sqs, eventbridge, connect] = await Promise.all(
    SEAM_SERVICES.map((service) =>
      FaultProxy.start(service, targets[service], { hangMs, random: options[service] }),
    ),
  );
  return {
    dynamodb: dynamodb as FaultProxy,
    sqs: sqs as FaultProxy,
    eventbridge: eventbridge as FaultProxy,
    connect: connect as FaultProxy,
  };
}

/**
 * Every call site the worker reached, with its calls and the faults injected there, sorted by service and
 * site.
 *
 * @example
 * for (const { site, calls, faults } of seamSiteReports(local.seamProxies)) console.log(site, calls, faults.hang);
 */
export function seamSiteReports(proxies: SeamProxies | undefined): SeamSiteReport[] {
  if (!proxies) return [];
  const reports: SeamSiteReport[] = [];
  for (const service of SEAM_SERVICES) {
    const proxy = proxies[service];
    const faults = new Map<string, Record<SeamFault, number>>();
    for (const injected of proxy.injected) {
      const counts = faults.get(injected.site) ?? noFaults();
      counts[injected.fault] += 1;
      faults.set(injected.site, counts);
    }
    const sites = [...proxy.counts.keys()].sort();
    for (const site of sites)
      reports.push({
        site: `${service}:${site}`,
        calls: proxy.counts.get(site) ?? 0,
        faults: faults.get(site) ?? noFaults(),
      });
  }
  return reports;
}

const noFaults = (): Record<SeamFault, number> =>
  Object.fromEntries(SEAM_FAULTS.map((fault) => [fault, 0])) as Record<SeamFault, number>;
