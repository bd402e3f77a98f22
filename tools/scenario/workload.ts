import type { SimulatorSeed } from '../connect-simulator/ConnectSimulator.js';
import { seededRandom } from '../connect-simulator/random.js';
import { SAMPLE_INSTANCE_ID } from '../local-runner/sampleContactCenter.js';

/** What a workload item is meant to exercise. */
export const ItemKind = {
  Transfer: 'transfer',
  Duplicate: 'duplicate',
  TokenReuse: 'token-reuse',
  Invalid: 'invalid',
  ConnectReject: 'connect-reject',
} as const;
/** One of {@link ItemKind}. */
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/** One message of the workload. */
export interface WorkloadItem {
  readonly kind: ItemKind;
  /** The body; for an item sent as a copy (`copyOf`), the fields `override` changes are replaced. */
  readonly body: string;
  /** The chain it names, for valid transfers. */
  readonly chain?: string;
  /**
   * When it is sent: round by round, so each request can name the contact its chain is on by then (a
   * transfer may have given the chain a new contact id). @default 0
   */
  readonly round?: number;
  /**
   * Name the chain's current contact (as a producer following contact events would), not the first one.
   * @default false
   */
  readonly followChain?: boolean;
  /** Sent as an exact copy of an earlier item's body as it was sent (a duplicate), with `override` applied. */
  readonly copyOf?: number;
  /** Fields replaced in the copy (a token reused for another destination). */
  readonly override?: Readonly<Record<string, unknown>>;
}

/** The size and shape of a workload. */
export interface WorkloadOptions {
  readonly requests: number;
  readonly chains: number;
  readonly seed: number;
  /** The stack's transfer cap, so some chains are pushed past it. */
  readonly cap: number;
  /** Requests, all at once, on one more chain (`demo-task-hot`), each with its own token. @default 0 */
  readonly hotChainRequests?: number;
}

/** A workload and the contact center it runs against. */
export interface Workload {
  readonly items: readonly WorkloadItem[];
  readonly seed: SimulatorSeed;
}

const FLOW_QUEUE = 'flow-transfer-to-queue';
const FLOW_AGENT = 'flow-transfer-to-agent';

/**
 * A realistic, reproducible mix: transfers spread over `chains` TASK contacts (a fifth of the chains pushed
 * past the cap), duplicates of earlier requests (same token), tokens reused with another destination,
 * requests without a token (derived from their content), EventBridge-wrapped requests, invalid messages,
 * and requests Connect refuses. Each chain's requests come in rounds and name the contact the chain is on
 * when they are sent, as producers that follow contact events do. The same seed gives the same workload.
 *
 * @example
 * const { items, seed } = buildWorkload({ requests: 300, chains: 30, seed: 7, cap: 11 });
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one table of request kinds, each a few lines drawing from the same seeded PRNG in a fixed order; splitting it would change every seed's workload.
export function buildWorkload(options: WorkloadOptions): Workload {
  const random = seededRandom(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const chains = Array.from({ length: options.chains }, (_, i) => `demo-task-${i + 1}`);
  const pushed = new Set(chains.filter((_, i) => i % 5 === 0));
  const items: WorkloadItem[] = [];
  const sentWithToken: { body: Record<string, unknown>; chain: string; index: number; round: number }[] = [];
  const perChain = new Map<string, number>();

  const transfer = (chain: string): Record<string, unknown> => {
    const n = (perChain.get(chain) ?? 0) + 1;
    perChain.set(chain, n);
    const toAgent = random() < 0.3;
    return {
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: chain,
      ContactFlowId: toAgent ? FLOW_AGENT : FLOW_QUEUE,
      ...(toAgent
        ? { UserId: pick(['agent-ana', 'agent-bo']) }
        : { QueueId: pick(['support', 'escalations', 'billing']) }),
      ClientToken: `${chain}-${n}-${options.seed}`,
      // Every other request says why, under a key of its own: attributes merge and travel with the
      // contact, so the chain's newest contact must hold every transferred request's (invariant 8).
      ...(n % 2 === 0 && { Attributes: { [`Step-${n}`]: `${chain}-${n}-${options.seed}` } }),
    };
  };

  // Chains pushed past the cap get cap + 3 requests first, so the cap is reached whatever else happens.
  for (const chain of pushed) {
    for (let i = 0; i < options.cap + 3 && items.length < options.requests; i += 1) {
      const body = transfer(chain);
      sentWithToken.push({ body, chain, index: items.length, round: i });
      items.push({ kind: ItemKind.Transfer, body: JSON.stringify(body), chain, round: i, followChain: true });
    }
  }
  // All at once, naming the same contact: one request wins; the rest race it for the chain.
  for (let i = 0; i < (options.hotChainRequests ?? 0) && items.length < options.requests; i += 1) {
    const body = transfer('demo-task-hot');
    sentWithToken.push({ body, chain: 'demo-task-hot', index: items.length, round: 0 });
    items.push({
      kind: ItemKind.Transfer,
      body: JSON.stringify(body),
      chain: 'demo-task-hot',
      round: 0,
      followChain: true,
    });
  }
  const lastRound = options.cap + 3;
  const later = (round: number) => Math.min(lastRound + 2, round + 1 + Math.floor(random() * 3));
  const others = chains.filter((chain) => !pushed.has(chain));
  while (items.length < options.requests) {
    const draw = random();
    if (draw < 0.12 && sentWithToken.length > 0) {
      const earlier = pick(sentWithToken);
      items.push({
        kind: ItemKind.Duplicate,
        body: JSON.stringify(earlier.body),
        chain: earlier.chain,
        round: later(earlier.round),
        copyOf: earlier.index,
      });
    } else if (draw < 0.15 && sentWithToken.length > 0) {
      const earlier = pick(sentWithToken);
      items.push({
        kind: ItemKind.TokenReuse,
        body: JSON.stringify(earlier.body),
        chain: earlier.chain,
        round: later(earlier.round),
        copyOf: earlier.index,
        override: { ContactFlowId: FLOW_QUEUE, QueueId: 'reused-token-queue', UserId: undefined },
      });
    } else if (draw < 0.21) {
      items.push({
        kind: ItemKind.Invalid,
        body: pick(invalidBodies()),
        round: Math.floor(random() * lastRound),
      });
    } else if (draw < 0.24) {
      items.push({
        kind: ItemKind.ConnectReject,
        body: JSON.stringify(pick(rejectedBodies())),
        round: Math.floor(random() * lastRound),
      });
    } else {
      const chain = pick(others.length > 0 ? others : chains);
      // Chains not pushed stay under the cap.
      if ((perChain.get(chain) ?? 0) >= options.cap - 2) continue;
      const body = transfer(chain);
      const round = (perChain.get(chain) ?? 1) - 1;
      const shape = random();
      if (shape < 0.1) {
        const { ClientToken: _t, ...withoutToken } = body;
        items.push({
          kind: ItemKind.Transfer,
          body: JSON.stringify(withoutToken),
          chain,
          round,
          followChain: true,
        });
      } else if (shape < 0.2) {
        const event = {
          version: '0',
          id: `event-${String(body.ClientToken)}`,
          'detail-type': 'Transfer Contact Requested',
          source: 'crm.demo',
          account: '000000000000',
          time: new Date(0).toISOString(),
          region: 'us-east-1',
          resources: [],
          detail: body,
        };
        items.push({ kind: ItemKind.Transfer, body: JSON.stringify(event), chain, round, followChain: true });
      } else {
        sentWithToken.push({ body, chain, index: items.length, round });
        items.push({ kind: ItemKind.Transfer, body: JSON.stringify(body), chain, round, followChain: true });
      }
    }
  }
  return {
    items,
    seed: {
      instances: [
        {
          id: SAMPLE_INSTANCE_ID,
          flows: [
            { id: FLOW_QUEUE, type: 'QUEUE_TRANSFER' },
            { id: FLOW_AGENT, type: 'AGENT_TRANSFER' },
            { id: 'flow-agent-whisper', type: 'AGENT_WHISPER' },
          ],
          // intake: where the contact-event tasks arrive (only the app's rule watches it).
          queues: ['support', 'escalations', 'billing', 'reused-token-queue', 'intake'],
          users: ['agent-ana', 'agent-bo'],
          contacts: [
            ...chains.map((id) => ({ id })),
            { id: 'demo-task-hot' },
            { id: 'demo-voice', channel: 'VOICE' as const },
          ],
        },
      ],
    },
  };
}

const invalidBodies = () => [
  '{"InstanceId": "unterminated',
  JSON.stringify({
    InstanceId: SAMPLE_INSTANCE_ID,
    ContactId: 'demo-task-1',
    ContactFlowId: FLOW_QUEUE,
    QueueId: 'support',
    UserId: 'agent-ana',
  }),
  JSON.stringify({
    InstanceId: SAMPLE_INSTANCE_ID,
    ContactId: 'demo-task-1',
    ContactFlowId: FLOW_QUEUE,
    QueueID: 'support',
  }),
  JSON.stringify({
    InstanceId: 'not-this-deployment',
    ContactId: 'demo-task-1',
    ContactFlowId: FLOW_QUEUE,
    QueueId: 'support',
  }),
  JSON.stringify({ InstanceId: SAMPLE_INSTANCE_ID, ContactId: 'demo-task-1', QueueId: 'support' }),
];

const rejectedBodies = () => [
  { InstanceId: SAMPLE_INSTANCE_ID, ContactId: 'demo-voice', ContactFlowId: FLOW_QUEUE, QueueId: 'support' },
  {
    InstanceId: SAMPLE_INSTANCE_ID,
    ContactId: 'demo-task-2',
    ContactFlowId: 'flow-agent-whisper',
    QueueId: 'support',
  },
  {
    InstanceId: SAMPLE_INSTANCE_ID,
    ContactId: 'demo-task-3',
    ContactFlowId: FLOW_QUEUE,
    QueueId: 'no-such-queue',
  },
];

/**
 * A backlog of valid transfers with their own tokens, spread so no chain reaches the cap: what a quota
 * benchmark drains.
 *
 * @example
 * const { items, seed } = buildBacklog(2000);
 */
export function buildBacklog(requests: number): Workload {
  const chains = Math.ceil(requests / 8);
  const items: WorkloadItem[] = Array.from({ length: requests }, (_, i) => {
    const chain = `demo-task-${(i % chains) + 1}`;
    return {
      kind: ItemKind.Transfer,
      chain,
      body: JSON.stringify({
        InstanceId: SAMPLE_INSTANCE_ID,
        ContactId: chain,
        ContactFlowId: FLOW_QUEUE,
        QueueId: 'support',
        ClientToken: `backlog-${i}`,
      }),
    };
  });
  return {
    items,
    seed: {
      instances: [
        {
          id: SAMPLE_INSTANCE_ID,
          flows: [{ id: FLOW_QUEUE, type: 'QUEUE_TRANSFER' }],
          queues: ['support'],
          contacts: Array.from({ length: chains }, (_, i) => ({ id: `demo-task-${i + 1}` })),
        },
      ],
    },
  };
}
