import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CapReachedError, TokenReusedError } from '../../src/domain';
import { type RejectionRecord, rejectionKeyFor } from '../../src/status/transferStatus';

/** How long rejection records and dead-letter markers are kept (the ledger's TTL attribute is `expiresAt`). */
const REJECTION_RETENTION_SECONDS = 30 * 86_400;
const expiresAt = () => Math.floor(Date.now() / 1000) + REJECTION_RETENTION_SECONDS;

/** The ledger key of a contact chain, named by its root (first) contact. */
export const chainKey = (instanceId: string, rootContactId: string): string =>
  `chain#${instanceId}#${rootContactId}`;

/** The chain item's attribute holding a token's request fingerprint (named by a hash: tokens are long). */
const fingerprintAttribute = (token: string): string =>
  `fp#${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/** The ledger key of an alias: a contact that a transfer created, pointing at its chain. */
export const contactAliasKey = (instanceId: string, contactId: string): string =>
  `contact#${instanceId}#${contactId}`;

/**
 * The DynamoDB ledger of transfers per contact chain. A chain's count is the size of a String Set of
 * ClientTokens, so taking a slot is one conditional `ADD` (atomic, no transaction) and a token that is
 * retried or duplicated never counts twice.
 */
export class TransferLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cap: number,
  ) {}

  /**
   * The chain a contact belongs to: its alias's chain if a transfer created it, else a chain rooted at it.
   *
   * @example
   * await ledger.chainOf('instance-1', 'contact-1'); // 'chain#instance-1#contact-1'
   */
  async chainOf(instanceId: string, contactId: string): Promise<string> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: contactAliasKey(instanceId, contactId) },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.chain === 'string' ? Item.chain : chainKey(instanceId, contactId);
  }

  /**
   * Takes one of the chain's transfers for `token`, or confirms the token already holds one for the same
   * request. The token's request fingerprint is stored beside it, in the same conditional write, so a
   * request reusing the token with other parameters can never share (or later release) its slot, even
   * after the first request's idempotency record is gone.
   *
   * @returns whether this call took the slot (false: the token already held it, from an earlier attempt).
   * @throws {CapReachedError} when the chain already holds `cap` other tokens.
   * @throws {TokenReusedError} when the token holds a slot for a request with other parameters.
   * @example
   * await ledger.reserve('chain#instance-1#contact-1', 'token-1', requestFingerprint(request));
   */
  async reserve(chain: string, token: string, fingerprint: string): Promise<boolean> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: chain },
          UpdateExpression: 'ADD tokens :token SET updatedAt = :now, #fingerprint = :fingerprint',
          ConditionExpression:
            '(attribute_not_exists(tokens) OR size(tokens) < :cap OR contains(tokens, :tokenValue)) AND (attribute_not_exists(#fingerprint) OR #fingerprint = :fingerprint)',
          ExpressionAttributeNames: { '#fingerprint': fingerprintAttribute(token) },
          ExpressionAttributeValues: {
            ':token': new Set([token]),
            ':tokenValue': token,
            ':cap': this.cap,
            ':fingerprint': fingerprint,
            ':now': new Date().toISOString(),
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const before = Attributes?.tokens as Set<string> | undefined;
      return !before?.has(token);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Which condition failed: the token held for other parameters, or the chain full.
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: chain }, ConsistentRead: true }),
      );
      const held = Item?.[fingerprintAttribute(token)];
      if (held !== undefined && held !== fingerprint) throw new TokenReusedError(chain);
      throw new CapReachedError(chain, this.cap);
    }
  }

  /**
   * Gives a slot back after a transfer that did not happen. Releasing a token the chain does not hold is a
   * no-op.
   *
   * @example
   * await ledger.release('chain#instance-1#contact-1', 'token-1');
   */
  async release(chain: string, token: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: chain },
        UpdateExpression: 'DELETE tokens :token REMOVE #fingerprint SET updatedAt = :now',
        ExpressionAttributeNames: { '#fingerprint': fingerprintAttribute(token) },
        ExpressionAttributeValues: { ':token': new Set([token]), ':now': new Date().toISOString() },
      }),
    );
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
        Key: { pk: contactAliasKey(instanceId, contactId) },
        UpdateExpression: 'SET chain = :chain, updatedAt = :now',
        ExpressionAttributeValues: { ':chain': chain, ':now': new Date().toISOString() },
      }),
    );
  }

  /**
   * Starts dead-lettering a message, unless this same message was already dead-lettered (a batch that
   * comes back after a crash), in which case it answers `already-sent` and nothing is written. The marker
   * is per message (`deadletter#<messageId>`): messages sharing a token never hide one another. Kept 30 days.
   *
   * @example
   * if ((await ledger.beginDeadLetter('message-1')) === 'send') { … }
   */
  async beginDeadLetter(messageId: string): Promise<'send' | 'already-sent'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `deadletter#${messageId}` },
          UpdateExpression: 'SET deadLettered = :false, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(pk) OR deadLettered = :false',
          ExpressionAttributeValues: { ':false': false, ':expiresAt': expiresAt() },
        }),
      );
      return 'send';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'already-sent';
      throw error;
    }
  }

  /**
   * Marks a message as dead-lettered, once its DLQ send succeeded.
   *
   * @example
   * await ledger.finishDeadLetter('message-1');
   */
  async finishDeadLetter(messageId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `deadletter#${messageId}` },
        UpdateExpression: 'SET deadLettered = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }

  /**
   * Records why a token's request was dead-lettered, for `transfer-contact status` (the latest rejection
   * of the token wins). One write per rejected request, none per transfer; kept 30 days.
   *
   * @example
   * await ledger.recordRejection('token-1', { errorClass: 'CapReached', errorCode: 'TransferCapReached', … });
   */
  async recordRejection(token: string, rejection: RejectionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: rejectionKeyFor(token), ...rejection, expiresAt: expiresAt() },
      }),
    );
  }

  /**
   * The tokens holding the chain's slots (empty for an unknown chain).
   *
   * @example
   * (await ledger.tokensOf('chain#instance-1#contact-1')).size; // how many transfers it holds
   */
  async tokensOf(chain: string): Promise<ReadonlySet<string>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: chain }, ConsistentRead: true }),
    );
    return Item?.tokens instanceof Set ? (Item.tokens as Set<string>) : new Set();
  }
}
