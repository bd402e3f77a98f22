import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LedgerKey } from '../../../src/contract/index.js';
import {
  ambiguityOf,
  CapReachedError,
  nextRequestState,
  type RequestEvent,
  type RequestState,
  TokenReusedError,
} from '../../../src/domain/index.js';
import { batchGetAll } from '../../../src/tables/batchGetAll.js';

/** A transfer's result, as the ledger keeps it for a token that transferred. */
export interface LedgerTransferResult {
  readonly ContactId: string;
  readonly ContactArn: string;
}

/** What the ledger knew of a token when an attempt began. */
export interface RequestHistory {
  /** The chain the token's reservation is in (the one it was first given). */
  readonly chain: string;
  /** Set once the token transferred: replayed without calling Connect, however old. */
  readonly transferred?: LedgerTransferResult;
  /**
   * When the first attempt that may have transferred started (ms): one that failed ambiguously, or one
   * whose worker died before recording how it ended.
   */
  readonly ambiguousSince?: number;
  /** An earlier attempt of the token applied its request's `Attributes` to the contact. */
  readonly attributesApplied?: true;
}

/** The state a request record's item shows (an item with nothing of a request is absent). */
export function requestStateOf(item: Record<string, unknown> | undefined): RequestState {
  if (typeof item?.ContactId === 'string')
    return { kind: 'transferred', ContactId: item.ContactId, ContactArn: String(item.ContactArn ?? '') };
  const ambiguousSince = typeof item?.ambiguousSince === 'number' ? item.ambiguousSince : undefined;
  const ambiguity = ambiguousSince === undefined ? {} : { ambiguousSince };
  // A record written before attempts had ids shows an open attempt by its start alone.
  if (typeof item?.attemptedAt === 'number')
    return {
      kind: 'open',
      attemptId: typeof item.attemptId === 'string' ? item.attemptId : '',
      attemptedAt: item.attemptedAt,
      ...ambiguity,
    };
  if (ambiguousSince !== undefined || item?.fingerprint !== undefined) return { kind: 'idle', ...ambiguity };
  return { kind: 'absent' };
}

type RecordedEvent = Exclude<RequestEvent, { kind: 'begin' | 'forget' }>;
type RecordWrite = Pick<
  ConstructorParameters<typeof UpdateCommand>[0],
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
>;

/** Each transition of a request record, as the one write that persists it. */
const RECORD_WRITES: {
  readonly [K in RecordedEvent['kind']]: (event: Extract<RecordedEvent, { kind: K }>) => RecordWrite;
} = {
  'lost-answer': ({ at }) => ({
    UpdateExpression:
      'SET ambiguousSince = if_not_exists(ambiguousSince, :since) REMOVE attemptedAt, attemptId',
    ExpressionAttributeValues: { ':since': at },
  }),
  close: ({ attemptId }) =>
    attemptId === undefined
      ? { UpdateExpression: 'REMOVE attemptedAt, attemptId' }
      : {
          UpdateExpression: 'REMOVE attemptedAt, attemptId',
          ConditionExpression: 'attemptId = :attemptId',
          ExpressionAttributeValues: { ':attemptId': attemptId },
        },
  'proved-not-transferred': () => ({ UpdateExpression: 'REMOVE ambiguousSince' }),
  // The first result stands: a transferred record never changes (a retried write finds it there).
  transferred: ({ ContactId, ContactArn }) => ({
    UpdateExpression:
      'SET ContactId = :contactId, ContactArn = :contactArn, transferredAt = :now REMOVE attemptedAt, attemptId',
    ConditionExpression: 'attribute_not_exists(ContactId)',
    ExpressionAttributeValues: { ':contactId': ContactId, ':contactArn': ContactArn, ':now': Date.now() },
  }),
};

/**
 * How many times one write to a chain is made when other writes to the same chain keep landing first (a chain
 * is one contact tree: only requests for the same contacts contend).
 */
const CHAIN_WRITE_ATTEMPTS = 20;

/** Other writes to the chain kept landing before this one: transient, retried with the record. */
export class ChainBusyError extends Error {
  constructor(chain: string, attempts: number) {
    super(`${chain} changed before each of ${attempts} writes landed: retried later`);
    this.name = 'ChainBusyError';
  }
}

/** A consistent read of a chain's item: its reservations and version (0 and none: no item). */
export interface ChainRead {
  readonly chain: string;
  readonly tokens: ReadonlySet<string>;
  readonly version: number;
}

/** What the chain lookup found: the contact's chain if known, and the read of the chain rooted at it. */
export interface ChainLookup {
  readonly chain: string | undefined;
  readonly rootRead: ChainRead;
}

function chainStateOf(item: Record<string, unknown> | undefined): Omit<ChainRead, 'chain'> {
  return {
    tokens: item?.tokens instanceof Set ? (item.tokens as Set<string>) : new Set(),
    version: typeof item?.version === 'number' ? item.version : 0,
  };
}

/**
 * The DynamoDB ledger of transfers per contact chain. A chain's count is the size of a String Set of
 * ClientTokens, so a reservation is one conditional `ADD` (atomic, no transaction) and a token that is
 * retried or duplicated never counts twice.
 */
export class TransferLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cap: number,
  ) {}

  /**
   * The chain a contact belongs to, if the ledger knows it: its alias's chain (a transfer created it, or
   * Connect named its tree's first contact), or the chain rooted at it. `undefined`: never seen, so its
   * tree must be asked of Connect. One consistent read of both keys.
   *
   * @example
   * await ledger.knownChainOf('instance-1', 'contact-1'); // 'chain#instance-1#contact-1' or undefined
   */
  async knownChainOf(instanceId: string, contactId: string): Promise<string | undefined> {
    return (await this.lookUpChain(instanceId, contactId)).chain;
  }

  /**
   * {@link knownChainOf}, with what the same read showed of the chain rooted at the contact (its item, or
   * that it has none): a reserve of that chain may start from it instead of reading it again.
   */
  async lookUpChain(instanceId: string, contactId: string): Promise<ChainLookup> {
    const alias = LedgerKey.contactAlias(instanceId, contactId);
    const root = LedgerKey.chain(instanceId, contactId);
    const items = await this.#batchGet([{ pk: alias }, { pk: root }]);
    const aliasItem = items.find((item) => item.pk === alias);
    const rootItem = items.find((item) => item.pk === root);
    const rootRead = { chain: root, ...chainStateOf(rootItem) };
    if (typeof aliasItem?.chain === 'string') return { chain: aliasItem.chain, rootRead };
    return { chain: rootItem ? root : undefined, rootRead };
  }

  /** One consistent `BatchGetItem` of the ledger, every key read (see {@link batchGetAll}). */
  #batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    return batchGetAll(
      async (pending: Record<string, unknown>[]) => {
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ProjectionExpression: 'pk, chain, tokens, version',
              },
            },
          }),
        );
        return {
          items: Responses?.[this.tableName] ?? [],
          unprocessed: UnprocessedKeys?.[this.tableName]?.Keys ?? [],
        };
      },
      keys,
      "a contact's chain keys",
    );
  }

  /**
   * Begins an attempt of a token's request: stores what it asks (once; a token asking something else is a
   * reuse) and marks an attempt as open, in one conditional write, and says what came before. An attempt
   * found open is one whose worker died: it may have transferred, so it counts as ambiguous from its start.
   * An open attempt's start is never overwritten: a write that applied but answered an error, retried by the
   * SDK, must not read back its own time in place of the earlier attempt's (reconciliation trusts it).
   *
   * @throws {TokenReusedError} when the token was used for a request with other parameters.
   * @example
   * const history = await ledger.beginRequest('token-1', requestFingerprint(request), 'chain#i#c');
   * if (history.transferred) return history.transferred; // no Connect call
   */
  async beginRequest(
    token: string,
    fingerprint: string,
    chain: string,
    attempt: { readonly attemptId: string; readonly now: number } = {
      attemptId: randomUUID(),
      now: Date.now(),
    },
  ): Promise<RequestHistory> {
    let old: Record<string, unknown> | undefined;
    try {
      ({ Attributes: old } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.request(token) },
          UpdateExpression:
            'SET fingerprint = :fingerprint, chain = if_not_exists(chain, :chain), attemptedAt = if_not_exists(attemptedAt, :now), attemptId = if_not_exists(attemptId, :attemptId), firstSeenAt = if_not_exists(firstSeenAt, :now)',
          ConditionExpression: 'attribute_not_exists(fingerprint) OR fingerprint = :fingerprint',
          ExpressionAttributeValues: {
            ':fingerprint': fingerprint,
            ':chain': chain,
            ':now': attempt.now,
            ':attemptId': attempt.attemptId,
          },
          ReturnValues: 'ALL_OLD',
        }),
      ));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new TokenReusedError(LedgerKey.request(token));
      throw error;
    }
    const chainOf = typeof old?.chain === 'string' ? old.chain : chain;
    const before = requestStateOf(old);
    if (before.kind === 'transferred') {
      return { chain: chainOf, transferred: { ContactId: before.ContactId, ContactArn: before.ContactArn } };
    }
    const after = nextRequestState(before, { kind: 'begin', attemptId: attempt.attemptId, at: attempt.now });
    const ambiguousSince = ambiguityOf(after);
    // Another attempt's open lease (its worker died during a call) made it ambiguous: keep when, for good.
    if (ambiguousSince !== undefined && ambiguityOf(before) === undefined)
      await this.#keepAmbiguousSince(token, ambiguousSince);
    return {
      chain: chainOf,
      ...(ambiguousSince !== undefined && { ambiguousSince }),
      ...(typeof old?.attributesAppliedAt === 'number' && { attributesApplied: true as const }),
    };
  }

  /**
   * Notes on the token's record that its request's `Attributes` are on the contact, so a later attempt of
   * the same record (an ambiguous call's retry) does not set them again. Only on a record that exists: a
   * token forgotten since has no attempt to skip it for (and setting them again changes nothing).
   *
   * @example
   * await ledger.recordAttributesApplied('token-1');
   */
  async recordAttributesApplied(token: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.request(token) },
          UpdateExpression: 'SET attributesAppliedAt = if_not_exists(attributesAppliedAt, :now)',
          ConditionExpression: 'attribute_exists(fingerprint)',
          ExpressionAttributeValues: { ':now': Date.now() },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async #keepAmbiguousSince(token: string, since: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: LedgerKey.request(token) },
        UpdateExpression: 'SET ambiguousSince = if_not_exists(ambiguousSince, :since)',
        ExpressionAttributeValues: { ':since': since },
      }),
    );
  }

  /**
   * Persists a transition of a token's request record (see `nextRequestState`, which says what each does),
   * as one write: an attempt's end when its call may have transferred (`lost-answer`), an end that taught
   * nothing (`close`, with an attempt id only while it is still that attempt's lease), an ambiguity Connect's
   * record cleared (`proved-not-transferred`), or the transfer itself (`transferred`, kept for good: a request
   * sent again or redriven after every other memory of it is gone is answered from here). Forgetting a token
   * also gives its reservation back: {@link forget}.
   *
   * @example
   * await ledger.record('token-1', { kind: 'lost-answer', at: attemptStartedAt });
   * await ledger.record('token-1', { kind: 'transferred', ContactId: 'c-2', ContactArn: 'arn:…' });
   */
  async record(token: string, event: Exclude<RequestEvent, { kind: 'begin' | 'forget' }>): Promise<void> {
    const write = RECORD_WRITES[event.kind](event as never);
    try {
      await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: { pk: LedgerKey.request(token) }, ...write }),
      );
    } catch (error) {
      // A close naming a lease no longer there, or a transfer already recorded, changes nothing (the machine).
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  /**
   * Forgets a token that provably never transferred: its record goes (so it may be used again, as after any
   * failure), then its reservation goes back. A token that transferred is never forgotten.
   *
   * @example
   * await ledger.forget('chain#instance-1#contact-1', 'token-1');
   */
  async forget(chain: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: LedgerKey.request(token) },
          ConditionExpression: 'attribute_not_exists(ContactId)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
    await this.release(chain, token);
  }

  /**
   * Reserves one of the chain's transfers for `token`, or confirms the token already has its reservation:
   * one conditional `ADD` to a String Set, so a retried or duplicated token never counts twice. Like every
   * write to a chain, it applies only to the version of the chain it read (see {@link #writeChain}).
   *
   * `seen`, a consistent read of the chain made earlier in the attempt (the chain lookup's), saves the read
   * of the first try: if the chain moved since, that try's write is refused and the chain read again; and
   * the cap is never found reached on it, only on a fresh read.
   *
   * @throws {CapReachedError} when `cap` other tokens already have a reservation in the chain.
   * @example
   * await ledger.reserve('chain#instance-1#contact-1', 'token-1');
   */
  async reserve(chain: string, token: string, seen?: ChainRead): Promise<void> {
    const reserve = (tokens: ReadonlySet<string>) => {
      if (!tokens.has(token) && tokens.size >= this.cap) throw new CapReachedError(chain, this.cap);
      return {
        update: 'ADD tokens :token',
        condition: '(attribute_not_exists(tokens) OR size(tokens) < :cap OR contains(tokens, :tokenValue))',
        values: { ':token': new Set([token]), ':tokenValue': token, ':cap': this.cap },
      };
    };
    const seed = seen?.chain === chain ? seen : undefined;
    // A refusal is decided on a fresh read only: the seed may predate a reservation given back since.
    const seeded = seed && (seed.tokens.has(token) || seed.tokens.size < this.cap) ? seed : undefined;
    await this.#writeChain(chain, reserve, undefined, seeded);
  }

  /**
   * Gives a token's reservation back after a transfer that did not happen. Releasing a token with no
   * reservation in the chain still moves the chain's version on, so that a reserve of it still on its way
   * takes nothing (see {@link #writeChain}).
   *
   * @example
   * await ledger.release('chain#instance-1#contact-1', 'token-1');
   */
  async release(chain: string, token: string): Promise<void> {
    await this.#writeChain(
      chain,
      () => ({ update: 'DELETE tokens :token', values: { ':token': new Set([token]) } }),
      // Another write moved the version past the one read: any send of this token's made on that version or
      // an older one now fails, so with no reservation left there is nothing more to do.
      (tokens) => (tokens.has(token) ? 'again' : 'done'),
    );
  }

  /**
   * One write to a chain's item, made against the version of the chain it read (a consistent read, then a
   * write conditional on that version, which the write moves on). A send that hung and lands late applies
   * only if nothing changed the chain since it was read, as if it had landed in its turn: a late reserve
   * cannot take back a reservation given back since, and a late release cannot drop the reservation of the
   * token's next attempt, which may have transferred. No clock is trusted. One token's writes come one at a
   * time (the idempotency layer runs a token in one invocation at once), so a collision is another token's
   * write, or this write's own send applied with its answer lost. When another write lands first,
   * the chain is read and the write made again, after a short random pause, up to twenty times
   * ({@link ChainBusyError}, requeued).
   */
  async #writeChain(
    chain: string,
    plan: (tokens: ReadonlySet<string>) => {
      readonly update: string;
      readonly condition?: string;
      readonly values: Record<string, unknown>;
    },
    afterCollision: (tokens: ReadonlySet<string>) => 'done' | 'again' = () => 'again',
    seen?: { readonly tokens: ReadonlySet<string>; readonly version: number },
  ): Promise<void> {
    // A seeded first try that collides was only stale: it does not count, and no pause follows it.
    let seed = seen;
    for (let attempt = seed ? 0 : 1; attempt <= CHAIN_WRITE_ATTEMPTS; attempt += 1) {
      const { tokens, version } = seed ?? (await this.#readChain(chain));
      const fromSeed = seed !== undefined;
      seed = undefined;
      if (attempt > 1 && afterCollision(tokens) === 'done') return;
      const write = plan(tokens);
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: chain },
            UpdateExpression: `${write.update} SET updatedAt = :now, version = :next`,
            ConditionExpression: [
              write.condition,
              version === 0 ? 'attribute_not_exists(version)' : 'version = :version',
            ]
              .filter(Boolean)
              .join(' AND '),
            ExpressionAttributeValues: {
              ...write.values,
              ...(version !== 0 && { ':version': version }),
              ':next': version + 1,
              ':now': new Date().toISOString(),
            },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // Writers of one chain that collide spread out before reading it again.
      if (!fromSeed) await new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * attempt));
    }
    throw new ChainBusyError(chain, CHAIN_WRITE_ATTEMPTS);
  }

  async #readChain(chain: string): Promise<{ tokens: ReadonlySet<string>; version: number }> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: chain }, ConsistentRead: true }),
    );
    return chainStateOf(Item);
  }

  /**
   * Records that `contactId` (created by a transfer) belongs to `chain`, so requests naming it count
   * against the same cap.
   *
   * @example
   * await ledger.linkContact('instance-1', 'contact-2', 'chain#instance-1#contact-1');
   */
  async linkContact(instanceId: string, contactId: string, chain: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: LedgerKey.contactAlias(instanceId, contactId) },
        UpdateExpression: 'SET chain = :chain, updatedAt = :now',
        ExpressionAttributeValues: { ':chain': chain, ':now': new Date().toISOString() },
      }),
    );
  }

  /**
   * Whether the token transferred this very request (its durable record has a result, under the same
   * fingerprint: a token reused for another request is not this one): one consistent read.
   *
   * @example
   * await ledger.hasTransferred('token-1', requestFingerprint(request)); // true once settled
   */
  async hasTransferred(token: string, fingerprint: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: LedgerKey.request(token) },
        ConsistentRead: true,
        ProjectionExpression: 'ContactId, fingerprint',
      }),
    );
    return typeof Item?.ContactId === 'string' && Item.fingerprint === fingerprint;
  }

  /**
   * The tokens with a reservation in the chain (empty for an unknown chain).
   *
   * @example
   * (await ledger.tokensOf('chain#instance-1#contact-1')).size; // how many transfers it counts
   */
  async tokensOf(chain: string): Promise<ReadonlySet<string>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: chain }, ConsistentRead: true }),
    );
    return Item?.tokens instanceof Set ? (Item.tokens as Set<string>) : new Set();
  }
}
