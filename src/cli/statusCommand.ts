import { prepareTransferRequest, TransferRequestValidationError } from '../client/TransferClient.js';
import type { TransferRequest } from '../request/index.js';
import { readTransferStatus } from '../status/readTransferStatus.js';
import type { TransferStatus } from '../status/transferStatus.js';
import { CONNECTION_OPTIONS, dynamoDbClient } from './awsClients.js';
import { type CliIo, printJson, UsageError } from './io.js';
import { parseFlags } from './parseFlags.js';
import { REQUEST_OPTIONS, requestInputOf, toFlagNames } from './sendCommand.js';

/** `--help` of the status command. */
export const STATUS_HELP = `transfer-contact status: the outcome of a transfer request, by its ClientToken

Reads the orchestrator's idempotency table (transferred: the new ContactId and ContactArn; in flight) and
its ledger (transferred, however long ago: its durable record of the token; rejected: the reason the worker
dead-lettered it). Costs two DynamoDB requests (a read and a batch read).

Given the request as well (its flags, or --cli-input-json/--cli-input-yaml, as it was sent), the answer is
that request's: if the token was used by another request (other contact, queue, user or flow), the status
is rejected with ErrorCode IdempotentParameterMismatch (the worker refuses a reused token), never the other
request's transfer; while that other request has not transferred yet, unknown (with a Hint). A rejection
is reported only if it was this request's (the worker records what each rejected request asked): another
request's dead letter under the token, or an invalid body's, is not. Given the token alone, the answer is
what the token's records say, whichever request wrote them. A rejection is reported with its FailedAt: one
from before the request was last sent is that earlier send's (a wait leaves it, and waits for the new one).

Usage
  transfer-contact status --client-token TOKEN [--idempotency-table NAME] [--ledger-table NAME]
                          [--endpoint-url URL] [--region REGION] [--profile PROFILE]
  transfer-contact status --client-token TOKEN --instance-id ID --contact-id ID --contact-flow-id ID
                          (--queue-id ID | --user-id ID) [...]
  transfer-contact status --cli-input-json (JSON | file://path) [flags that override it] [...]

  --idempotency-table  default: $TRANSFER_IDEMPOTENCY_TABLE (stack output IdempotencyTableName)
  --ledger-table       default: $TRANSFER_LEDGER_TABLE (stack output LedgerTableName)

Output: JSON with ClientToken and Status transferred | in-flight | rejected | unknown, and ContactId and
ContactArn, Until, Reason { ErrorClass, ErrorCode, ErrorMessage, FailedAt, MessageId } or Hint.

Examples
  transfer-contact status --client-token case-42-escalation
  transfer-contact status --cli-input-json file://request.json --client-token case-42-escalation
`;

const OPTIONS = {
  ...REQUEST_OPTIONS,
  'idempotency-table': { type: 'string' },
  'ledger-table': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...CONNECTION_OPTIONS,
} as const;

/**
 * Runs `transfer-contact status`: given a token, the token's status; given the request too, that request's
 * (a token another request used is reported as reused).
 *
 * @example
 * await runStatus(['--client-token', 'case-42'], io);
 * await runStatus(['--cli-input-json', 'file://request.json', '--client-token', 'case-42'], io);
 */
export async function runStatus(argv: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags([...argv], OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unknown argument: ${positionals.join(' ')}`);
  if (values.help) return io.stdout(STATUS_HELP);
  const asked = askedFor(values, io);
  const idempotencyTable = values['idempotency-table'] ?? io.env.TRANSFER_IDEMPOTENCY_TABLE;
  const ledgerTable = values['ledger-table'] ?? io.env.TRANSFER_LEDGER_TABLE;
  if (!idempotencyTable)
    throw new UsageError('--idempotency-table is required (or set TRANSFER_IDEMPOTENCY_TABLE)');
  if (!ledgerTable) throw new UsageError('--ledger-table is required (or set TRANSFER_LEDGER_TABLE)');

  const status = await readTransferStatus(
    dynamoDbClient(values),
    { idempotencyTableName: idempotencyTable, ledgerTableName: ledgerTable },
    asked,
  );
  printJson(io, { ClientToken: typeof asked === 'string' ? asked : asked.ClientToken, ...toOutput(status) });
}

/**
 * What the status is asked of: the token alone, or the request with its token when any of its fields is
 * given (then it must be complete and valid, as the worker would read it, to compare it with the records).
 */
function askedFor(
  values: Partial<Record<keyof typeof OPTIONS, string | boolean | undefined>>,
  io: CliIo,
): string | TransferRequest {
  const input = requestInputOf(values, io);
  const token = input.ClientToken;
  if (typeof token !== 'string' || token === '') throw new UsageError('--client-token is required');
  // The skeleton prints every field as "": only a field with a value asks about a request.
  const givesRequest = Object.entries(input).some(
    ([field, value]) => field !== 'ClientToken' && value !== '' && value !== null && value !== undefined,
  );
  if (!givesRequest) return token;
  try {
    return prepareTransferRequest(input);
  } catch (error) {
    if (error instanceof TransferRequestValidationError)
      throw new UsageError(error.issues.map(toFlagNames).join('\n'));
    throw error;
  }
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
          // A token reuse found before (or without) its dead letter has no time or message of its own.
          ...(status.reason.failedAt && { FailedAt: status.reason.failedAt }),
          ...(status.reason.messageId && { MessageId: status.reason.messageId }),
        },
      };
    case 'unknown':
      return { Status: status.status, Hint: status.hint };
  }
};
