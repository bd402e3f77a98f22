import { BatchGetItemCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LedgerKey } from '../contract/index.js';
import {
  decideTransferStatus,
  type IdempotencyRecordFields,
  idempotencyKeyFor,
  type RejectionRecord,
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
});

/**
 * Reads a token's status: its idempotency record (one consistent `GetItem`) and, in one `BatchGetItem`, its
 * rejection record and the ledger's durable record of its transfer. Two DynamoDB requests.
 *
 * @example
 * const status = await readTransferStatus(dynamodb, tables, 'case-42'); // { status: 'transferred', ContactId, ContactArn }
 */
export async function readTransferStatus(
  client: DynamoDBClient,
  tables: StatusTables,
  clientToken: string,
): Promise<TransferStatus> {
  const { idempotencyTableName: idempotency, ledgerTableName: ledger } = tables;
  const [record, ledgerItems] = await Promise.all([
    client.send(
      new GetItemCommand({
        TableName: idempotency,
        Key: { id: { S: idempotencyKeyFor(clientToken) } },
        ConsistentRead: true,
      }),
    ),
    client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [ledger]: {
            Keys: [
              { pk: { S: LedgerKey.rejection(clientToken) } },
              { pk: { S: LedgerKey.request(clientToken) } },
            ],
            ConsistentRead: true,
          },
        },
      }),
    ),
  ]);
  const items = (ledgerItems.Responses?.[ledger] ?? []).map((item) => unmarshall(item));
  const rejection = items.find((item) => item.pk === LedgerKey.rejection(clientToken));
  const transfer = items.find(
    (item) => item.pk === LedgerKey.request(clientToken) && typeof item.ContactId === 'string',
  );
  return decideTransferStatus(
    record.Item && (unmarshall(record.Item) as IdempotencyRecordFields),
    rejection && toRejection(rejection),
    Date.now(),
    transfer && { ContactId: String(transfer.ContactId), ContactArn: String(transfer.ContactArn ?? '') },
  );
}
