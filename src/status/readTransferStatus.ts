import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LedgerKey } from '../contract/index.js';
import type { TransferRequest } from '../request/index.js';
import { batchGetAll } from '../tables/batchGetAll.js';
import {
  decideRequestStatus,
  decideTransferStatus,
  type IdempotencyRecordFields,
  idempotencyKeyFor,
  type LedgerRequestRecord,
  type RejectionRecord,
  requestIdentity,
  type TransferStatus,
} from './transferStatus.js';

/** The two tables a token's status is read from (the stack outputs `IdempotencyTableName`, `LedgerTableName`). */
export interface StatusTables {
  readonly idempotencyTableName: string;
  readonly ledgerTableName: string;
}

/** Keeps the reason's fields, not the ledger's keys and TTL. */
const toRejection = (item: Record<string, unknown>): RejectionRecord => ({
  errorClass: String(item.errorClass ?? ''),
  errorCode: String(item.errorCode ?? ''),
  errorMessage: String(item.errorMessage ?? ''),
  failedAt: String(item.failedAt ?? ''),
  messageId: String(item.messageId ?? ''),
  ...(typeof item.fingerprint === 'string' && { fingerprint: item.fingerprint }),
});

/** The ledger's items of these keys, every key read (see {@link batchGetAll}). */
function readLedgerItems(
  client: DynamoDBClient,
  ledger: string,
  keys: readonly Record<string, AttributeValue>[],
): Promise<Record<string, unknown>[]> {
  return batchGetAll(
    async (pending: Record<string, AttributeValue>[]) => {
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetItemCommand({ RequestItems: { [ledger]: { Keys: pending, ConsistentRead: true } } }),
      );
      return {
        items: (Responses?.[ledger] ?? []).map((item) => unmarshall(item)),
        unprocessed: UnprocessedKeys?.[ledger]?.Keys ?? [],
      };
    },
    keys,
    "the token's ledger records",
  );
}

/** Keeps what a status compares and answers of the token's durable record. */
const toLedgerRequest = (item: Record<string, unknown>): LedgerRequestRecord => ({
  ...(typeof item.fingerprint === 'string' && { fingerprint: item.fingerprint }),
  ...(typeof item.ContactId === 'string' && {
    ContactId: item.ContactId,
    ContactArn: String(item.ContactArn ?? ''),
  }),
});

/**
 * Reads a token's status: its idempotency record (one consistent `GetItem`) and, in one `BatchGetItem`, its
 * rejection record and the ledger's durable record of the token. Two DynamoDB requests (more when DynamoDB
 * leaves a key of the batch unprocessed: it is asked again, a few times, then the read throws).
 *
 * Given a request (with its `ClientToken`) rather than a token alone, it answers for that request: when the
 * token's records were written for a request with other parameters, the token was reused, and the answer
 * is that reuse (`rejected` with `IdempotentParameterMismatch` once it is certain), never the other
 * request's transfer (see {@link decideRequestStatus}). Given only a token, it answers what the token's
 * records say, whichever request wrote them.
 *
 * @example
 * const status = await readTransferStatus(dynamodb, tables, 'case-42'); // { status: 'transferred', ContactId, ContactArn }
 * const mine = await readTransferStatus(dynamodb, tables, request); // { status: 'rejected', reason: { errorCode: 'IdempotentParameterMismatch', … } } if case-42 was another request's
 */
export async function readTransferStatus(
  client: DynamoDBClient,
  tables: StatusTables,
  clientTokenOrRequest: string | TransferRequest,
): Promise<TransferStatus> {
  const request = typeof clientTokenOrRequest === 'string' ? undefined : clientTokenOrRequest;
  const clientToken = request?.ClientToken ?? (clientTokenOrRequest as string);
  const { idempotencyTableName: idempotency, ledgerTableName: ledger } = tables;
  const [record, items] = await Promise.all([
    client.send(
      new GetItemCommand({
        TableName: idempotency,
        Key: { id: { S: idempotencyKeyFor(clientToken) } },
        ConsistentRead: true,
      }),
    ),
    readLedgerItems(client, ledger, [
      { pk: { S: LedgerKey.rejection(clientToken) } },
      { pk: { S: LedgerKey.request(clientToken) } },
    ]),
  ]);
  const rejection = items.find((item) => item.pk === LedgerKey.rejection(clientToken));
  const requestItem = items.find((item) => item.pk === LedgerKey.request(clientToken));
  const records = {
    idempotency: record.Item && (unmarshall(record.Item) as IdempotencyRecordFields),
    rejection: rejection && toRejection(rejection),
    ledger: requestItem && toLedgerRequest(requestItem),
  };
  if (request) return decideRequestStatus(requestIdentity(request), clientToken, records, Date.now());
  const transfer = records.ledger?.ContactId === undefined ? undefined : records.ledger;
  return decideTransferStatus(
    records.idempotency,
    records.rejection,
    Date.now(),
    transfer && { ContactId: String(transfer.ContactId), ContactArn: String(transfer.ContactArn ?? '') },
  );
}
