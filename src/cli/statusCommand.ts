import { parseArgs } from 'node:util';
import { readTransferStatus } from '../status/readTransferStatus.js';
import type { TransferStatus } from '../status/transferStatus.js';
import { CONNECTION_OPTIONS, dynamoDbClient } from './awsClients.js';
import { type CliIo, printJson, UsageError } from './io.js';

/** `--help` of the status command. */
export const STATUS_HELP = `transfer-contact status: the outcome of a transfer request, by its ClientToken

Reads the orchestrator's idempotency table (transferred: the new ContactId and ContactArn; in flight) and
its ledger (transferred, however long ago: its durable record of the token; rejected: the reason the worker
dead-lettered it). Costs two DynamoDB requests (a read and a batch read).

Usage
  transfer-contact status --client-token TOKEN [--idempotency-table NAME] [--ledger-table NAME]
                          [--endpoint-url URL] [--region REGION] [--profile PROFILE]

  --idempotency-table  default: $TRANSFER_IDEMPOTENCY_TABLE (stack output IdempotencyTableName)
  --ledger-table       default: $TRANSFER_LEDGER_TABLE (stack output LedgerTableName)

Output: JSON with ClientToken and Status transferred | in-flight | rejected | unknown, and ContactId and
ContactArn, Until, Reason { ErrorClass, ErrorCode, ErrorMessage, FailedAt, MessageId } or Hint.

Example
  transfer-contact status --client-token case-42-escalation
`;

/**
 * Runs `transfer-contact status`.
 *
 * @example
 * await runStatus(['--client-token', 'case-42'], io);
 */
export async function runStatus(argv: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      'client-token': { type: 'string' },
      'idempotency-table': { type: 'string' },
      'ledger-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...CONNECTION_OPTIONS,
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unknown argument: ${positionals.join(' ')}`);
  if (values.help) return io.stdout(STATUS_HELP);
  const token = values['client-token'];
  if (!token) throw new UsageError('--client-token is required');
  const idempotencyTable = values['idempotency-table'] ?? io.env.TRANSFER_IDEMPOTENCY_TABLE;
  const ledgerTable = values['ledger-table'] ?? io.env.TRANSFER_LEDGER_TABLE;
  if (!idempotencyTable)
    throw new UsageError('--idempotency-table is required (or set TRANSFER_IDEMPOTENCY_TABLE)');
  if (!ledgerTable) throw new UsageError('--ledger-table is required (or set TRANSFER_LEDGER_TABLE)');

  const status = await readTransferStatus(
    dynamoDbClient(values),
    { idempotencyTableName: idempotencyTable, ledgerTableName: ledgerTable },
    token,
  );
  printJson(io, { ClientToken: token, ...toOutput(status) });
}

/** The status as the CLI prints it: PascalCase keys throughout, as the AWS CLI's output has. */
export const toOutput = (status: TransferStatus): Record<string, unknown> => {
  switch (status.status) {
    case 'transferred':
      return { Status: status.status, ContactId: status.ContactId, ContactArn: status.ContactArn };
    case 'in-flight':
      return { Status: status.status, Until: status.until };
    case 'rejected':
      return {
        Status: status.status,
        Reason: {
          ErrorClass: status.reason.errorClass,
          ErrorCode: status.reason.errorCode,
          ErrorMessage: status.reason.errorMessage,
          FailedAt: status.reason.failedAt,
          MessageId: status.reason.messageId,
        },
      };
    case 'unknown':
      return { Status: status.status, Hint: status.hint };
  }
};
