import { parse as parseYaml } from 'yaml';
import type { prepareTransferRequest } from '../client/index.js';
import type { TransferRequest } from '../request/index.js';
import { CONNECTION_OPTIONS } from './connectionOptions.js';
import { type CliIo, printJson, UsageError } from './io.js';
import { parseFlags } from './parseFlags.js';

/** `--flag` → `TransferContact` field, in the order the AWS CLI's skeleton prints them. */
export const FIELDS = {
  'instance-id': 'InstanceId',
  'contact-id': 'ContactId',
  'queue-id': 'QueueId',
  'user-id': 'UserId',
  'contact-flow-id': 'ContactFlowId',
  'client-token': 'ClientToken',
} as const;

/** The flags that give a request, as `aws connect transfer-contact` takes them (send and status share them). */
export const REQUEST_OPTIONS = {
  'instance-id': { type: 'string' },
  'contact-id': { type: 'string' },
  'queue-id': { type: 'string' },
  'user-id': { type: 'string' },
  'contact-flow-id': { type: 'string' },
  'client-token': { type: 'string' },
  attributes: { type: 'string' },
  'cli-input-json': { type: 'string' },
  'cli-input-yaml': { type: 'string' },
} as const;

const OPTIONS = {
  ...REQUEST_OPTIONS,
  'generate-cli-skeleton': { type: 'string' },
  'queue-url': { type: 'string' },
  'event-bus-name': { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'idempotency-table': { type: 'string' },
  'ledger-table': { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...CONNECTION_OPTIONS,
} as const;

/** `--help` of the send command. */
export const SEND_HELP = `transfer-contact: ask the orchestrator to transfer an Amazon Connect contact (asynchronously)

The flags of 'aws connect transfer-contact'; the request is validated with the worker's schema, given a
ClientToken if it has none, and sent to the orchestrator's queue (or bus). Safe to retry with the same token.

Usage
  transfer-contact --instance-id ID --contact-id ID --contact-flow-id ID (--queue-id ID | --user-id ID)
                   [--client-token TOKEN] [--attributes K=V,... | --attributes JSON]
                   [--queue-url URL | --event-bus-name NAME]
                   [--wait [--timeout SECONDS]]
                   [--endpoint-url URL] [--region REGION] [--profile PROFILE]
  transfer-contact --cli-input-json (JSON | file://path) [flags that override it]
  transfer-contact --cli-input-yaml (YAML | file://path) [flags that override it]
  transfer-contact --generate-cli-skeleton [input | yaml-input | output]
  transfer-contact status --client-token TOKEN     the outcome of a request
  transfer-contact dlq list | dlq redrive          failed requests: peek, or send them back

Attributes (the one field beyond 'aws connect transfer-contact')
  --attributes MAP       contact attributes set (UpdateContactAttributes) before the transfer, which
                         carries them to the new contact: Key=Value,Key2=Value2 (the AWS CLI's map
                         shorthand), or JSON ('{"Key":"a, b"}' or file://attributes.json) for values with
                         commas or equals signs

Destination
  --queue-url URL        the transfer queue (default: $TRANSFER_QUEUE_URL)
  --event-bus-name NAME  the orchestrator's bus instead (default: $TRANSFER_EVENT_BUS_NAME, when no
                         queue is given or set)

Waiting (the synchronous feel of 'aws connect transfer-contact')
  --wait                 wait for the outcome and print it as 'aws connect transfer-contact' does:
                         { ContactId, ContactArn }; exit 1 with the reason if the request failed, or if
                         its --client-token was used by another request (IdempotentParameterMismatch);
                         a rejection recorded before this send (an earlier send of the token) is not
                         its outcome: the wait goes on for this one's
  --timeout SECONDS      how long to wait (default 60); exit 1 if no outcome came (it may still transfer)
  --idempotency-table    default: $TRANSFER_IDEMPOTENCY_TABLE (stack output IdempotencyTableName)
  --ledger-table         default: $TRANSFER_LEDGER_TABLE (stack output LedgerTableName)
  The wait reads the request's status (two DynamoDB reads each time); --endpoint-url applies to the
  send only, DynamoDB takes AWS_ENDPOINT_URL_DYNAMODB like any SDK client.

Output: JSON with the MessageId (or EventId) and the ClientToken used; with --wait, the outcome.
Exit codes: 0 sent (or transferred); 1 AWS error, or the transfer failed or timed out; 2 invalid request
or usage (names the field).

Examples
  transfer-contact --instance-id 11111111-2222-4333-8444-555555555555 --contact-id task-1 \\
      --contact-flow-id flow-transfer-to-queue --queue-id support
  transfer-contact --cli-input-json file://request.json --client-token case-42-escalation
  transfer-contact --cli-input-json file://request.json --attributes EscalationReason=sla-breach,CaseId=42
  transfer-contact --generate-cli-skeleton > request.json
`;

const SKELETON_INPUT = {
  InstanceId: '',
  ContactId: '',
  QueueId: '',
  UserId: '',
  ContactFlowId: '',
  ClientToken: '',
};
const SKELETON_YAML = `InstanceId: ''  # [REQUIRED] The identifier of the Amazon Connect instance (its id or ARN).
ContactId: ''  # [REQUIRED] The identifier of the contact in this instance of Amazon Connect.
QueueId: ''  # The identifier for the queue. Give QueueId or UserId, not both.
UserId: ''  # The identifier for the user (its id or ARN). Give QueueId or UserId, not both.
ContactFlowId: ''  # [REQUIRED] The identifier of the flow (inbound, transfer-to-agent or transfer-to-queue).
ClientToken: ''  # A unique, case-sensitive identifier that makes retries safe. Generated when empty.
`;
const SKELETON_OUTPUT = { MessageId: '', ClientToken: '', QueueUrl: '' };

const readInput = (value: string, io: CliIo): string => {
  if (!value.startsWith('file://')) return value;
  const path = value.slice('file://'.length);
  try {
    return io.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
};

/**
 * The `--cli-input-json` or `--cli-input-yaml` object (a file:// path or inline), or `{}`.
 *
 * @throws {UsageError} when both are given, or the input cannot be read or is not an object.
 * @example
 * readCliInput('file://request.json', undefined, io); // { InstanceId: '…', ContactId: '…', … }
 */
export function readCliInput(
  json: string | undefined,
  yaml: string | undefined,
  io: CliIo,
): Record<string, unknown> {
  if (json === undefined && yaml === undefined) return {};
  if (json !== undefined && yaml !== undefined)
    throw new UsageError('--cli-input-json and --cli-input-yaml cannot be used together');
  let parsed: unknown;
  try {
    parsed = json !== undefined ? JSON.parse(readInput(json, io)) : parseYaml(readInput(yaml as string, io));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `--cli-input-${json !== undefined ? 'json' : 'yaml'} is not valid: ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `--cli-input-${json !== undefined ? 'json' : 'yaml'} must be an object of TransferContact fields`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * `--attributes`: a JSON object (inline, or a file:// path), or the AWS CLI's map shorthand
 * `Key=Value,Key2=Value2`. The map is checked by the request's schema afterwards (keys, size); this only
 * reads it.
 *
 * @throws {UsageError} naming `--attributes` when it is neither.
 * @example
 * parseAttributesFlag('EscalationReason=sla-breach,CaseId=42', io); // { EscalationReason: 'sla-breach', CaseId: '42' }
 */
export function parseAttributesFlag(value: string, io: CliIo): unknown {
  const text = readInput(value, io).trim();
  if (text.startsWith('{') || value.startsWith('file://')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--attributes is not valid JSON: ${(error as Error).message}`);
    }
  }
  // Entries, not an object: a key such as `constructor` or `__proto__` is the schema's to judge.
  const entries = new Map<string, string>();
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new UsageError(
        `--attributes takes Key=Value,Key2=Value2 or a JSON object, got ${JSON.stringify(pair)} (give JSON for values with commas)`,
      );
    // As the AWS CLI's shorthand reads it: spaces around a key or a value are not part of it.
    const key = pair.slice(0, at).trim();
    if (entries.has(key)) throw new UsageError(`--attributes gives ${key} twice`);
    entries.set(key, pair.slice(at + 1).trim());
  }
  return Object.fromEntries(entries);
}

/**
 * The request the flags give: `--cli-input-json`/`--cli-input-yaml`, overridden by each field's own flag
 * (send and status read it alike).
 */
export function requestInputOf(
  values: Partial<Record<keyof typeof REQUEST_OPTIONS, string | boolean | undefined>>,
  io: CliIo,
): Record<string, unknown> {
  const input = readCliInput(
    values['cli-input-json'] as string | undefined,
    values['cli-input-yaml'] as string | undefined,
    io,
  );
  for (const [flag, field] of Object.entries(FIELDS)) {
    const value = values[flag as keyof typeof FIELDS];
    if (value !== undefined) input[field] = value;
  }
  if (typeof values.attributes === 'string') input.Attributes = parseAttributesFlag(values.attributes, io);
  return input;
}

/** `--wait`'s settings, checked: how long, and the two tables the status is read from. */
function waitSettings(
  values: { wait?: boolean; timeout?: string; 'idempotency-table'?: string; 'ledger-table'?: string },
  io: CliIo,
) {
  const timeoutSeconds = Number(values.timeout ?? 60);
  if (!(timeoutSeconds > 0))
    throw new UsageError(`--timeout takes a number of seconds above 0, got ${values.timeout}`);
  if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
  const tables = {
    idempotencyTableName: values['idempotency-table'] ?? io.env.TRANSFER_IDEMPOTENCY_TABLE ?? '',
    ledgerTableName: values['ledger-table'] ?? io.env.TRANSFER_LEDGER_TABLE ?? '',
  };
  if (values.wait && (!tables.idempotencyTableName || !tables.ledgerTableName))
    throw new UsageError(
      "--wait reads the request's status: give --idempotency-table and --ledger-table (or set TRANSFER_IDEMPOTENCY_TABLE and TRANSFER_LEDGER_TABLE)",
    );
  return { timeoutSeconds, tables };
}

/**
 * Runs `transfer-contact` (send): validates, sends to the queue or bus, prints the ids and token used.
 *
 * @example
 * await runSend(['--instance-id', 'i', '--contact-id', 'c', '--contact-flow-id', 'f', '--queue-id', 'q'], io);
 */
export async function runSend(argv: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(withSkeletonDefault(argv), OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unknown command or argument: ${positionals.join(' ')}`);
  if (values.help) return io.stdout(SEND_HELP);

  if (values['generate-cli-skeleton'] !== undefined) {
    const kind = values['generate-cli-skeleton'] || 'input';
    if (kind === 'input') return printJson(io, SKELETON_INPUT);
    if (kind === 'yaml-input') return io.stdout(SKELETON_YAML);
    if (kind === 'output') return printJson(io, SKELETON_OUTPUT);
    throw new UsageError(
      `--generate-cli-skeleton takes input, yaml-input or output, got ${JSON.stringify(kind)}`,
    );
  }
  if (values['cli-input-json'] !== undefined && values['cli-input-yaml'] !== undefined) {
    throw new UsageError('--cli-input-json and --cli-input-yaml cannot be used together');
  }
  const { timeoutSeconds, tables } = waitSettings(values, io);
  if (values.output !== undefined && values.output !== 'json') {
    throw new UsageError(`--output supports json only, got ${JSON.stringify(values.output)}`);
  }

  // Flags on the command line override the input.
  const input = requestInputOf(values, io);

  // The SDK loads only now: `--help` and the skeletons answer without it.
  const [
    { prepareTransferRequest, TransferClient, TransferRequestValidationError },
    { eventBridgeClient, sqsClient },
  ] = await Promise.all([import('../client/index.js'), import('./awsClients.js')]);
  let request: ReturnType<typeof prepareTransferRequest>;
  try {
    request = prepareTransferRequest(input);
  } catch (error) {
    if (error instanceof TransferRequestValidationError)
      throw new UsageError(error.issues.map(toFlagNames).join('\n'));
    throw error;
  }

  // The queue is the default, as the help says: the bus's variable counts only when no queue is named at all.
  const queueUrl = values['queue-url'] ?? io.env.TRANSFER_QUEUE_URL;
  const eventBusName = values['event-bus-name'] ?? (queueUrl ? undefined : io.env.TRANSFER_EVENT_BUS_NAME);
  if (values['queue-url'] && values['event-bus-name'])
    throw new UsageError('give --queue-url or --event-bus-name, not both');
  if (eventBusName && !values['queue-url']) {
    const client = new TransferClient({
      eventBusName,
      eventBridge: eventBridgeClient(values),
      maxAttempts: 3,
    });
    const sentAt = Date.now();
    const [result] = await client.publish([request]);
    if (!result?.ok) throw new Error(`EventBridge refused the event: ${result?.code} ${result?.message}`);
    if (values.wait) return printOutcome(io, request, tables, timeoutSeconds, { sentAt });
    return printJson(io, {
      EventId: result.id,
      ClientToken: request.ClientToken,
      EventBusName: eventBusName,
    });
  }
  if (!queueUrl)
    throw new UsageError('no destination: give --queue-url (or set TRANSFER_QUEUE_URL) or --event-bus-name');
  const client = new TransferClient({ queueUrl, sqs: sqsClient(values) });
  const sentAt = Date.now();
  const { messageId } = await client.enqueue(request);
  if (values.wait) return printOutcome(io, request, tables, timeoutSeconds, { sentAt, messageId });
  printJson(io, { MessageId: messageId, ClientToken: request.ClientToken, QueueUrl: queueUrl });
}

/**
 * Waits for the request's outcome and prints it as `aws connect transfer-contact` does. The wait is given the
 * request, not only its token: a token that transferred another request is reported as reused (exit 1,
 * `IdempotentParameterMismatch`), never printed as this request's outcome. And it is given the send (the
 * time taken just before it, and its message id): a rejection of an earlier send under the token, recorded
 * before this one, is not its outcome (a request dead-lettered, then sent again once fixed, waits for its
 * new send's).
 */
async function printOutcome(
  io: CliIo,
  request: TransferRequest,
  tables: { idempotencyTableName: string; ledgerTableName: string },
  timeoutSeconds: number,
  send: { readonly sentAt: number; readonly messageId?: string },
): Promise<void> {
  const [{ TransferClient }, { DynamoDBClient }] = await Promise.all([
    import('../client/index.js'),
    import('@aws-sdk/client-dynamodb'),
  ]);
  // The standard chain (AWS_ENDPOINT_URL_DYNAMODB locally): --endpoint-url names the send's service only.
  const client = new TransferClient({ ...tables, dynamodb: new DynamoDBClient({}) });
  const outcome = await client.waitForOutcome(request, { timeoutMs: timeoutSeconds * 1000, ...send });
  printJson(io, { ContactId: outcome.ContactId, ContactArn: outcome.ContactArn });
}

/** `--generate-cli-skeleton` alone means `input`, as in the AWS CLI. */
function withSkeletonDefault(argv: readonly string[]): string[] {
  const args = [...argv];
  const at = args.indexOf('--generate-cli-skeleton');
  if (at >= 0 && (at === args.length - 1 || args[at + 1]?.startsWith('--'))) args.splice(at + 1, 0, 'input');
  return args;
}

/**
 * Names fields as the command line does: `InstanceId: …` becomes `--instance-id (InstanceId): …`.
 *
 * @example
 * toFlagNames('ContactId: ContactId is required'); // '--contact-id (ContactId): ContactId is required'
 */
export function toFlagNames(issue: string): string {
  if (issue === 'give QueueId or UserId, not both') return '--queue-id and --user-id: give one, not both';
  if (issue === 'one of QueueId or UserId is required') return '--queue-id or --user-id is required';
  if (issue.startsWith('Attributes')) return `--attributes (${issue})`;
  const flag = Object.entries(FIELDS).find(
    ([, field]) => issue.startsWith(`${field}:`) || issue.startsWith(`${field} `),
  );
  return flag ? `--${flag[0]} (${flag[1]}): ${issue.slice(issue.indexOf(':') + 1).trim()}` : issue;
}
