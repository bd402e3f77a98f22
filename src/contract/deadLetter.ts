/**
 * Names of the message attributes the worker sets on each dead-lettered message; the CLI's `dlq list` and
 * the scenario runner read them. A message SQS moved by itself (its redrive policy) carries none of them.
 */
export const DeadLetterAttribute = {
  ErrorClass: 'ErrorClass',
  ErrorCode: 'ErrorCode',
  ErrorMessage: 'ErrorMessage',
  SourceMessageId: 'SourceMessageId',
  ClientToken: 'ClientToken',
  ReceiveCount: 'ReceiveCount',
  FailedAt: 'FailedAt',
} as const;
/** One of {@link DeadLetterAttribute}. */
export type DeadLetterAttribute = (typeof DeadLetterAttribute)[keyof typeof DeadLetterAttribute];

/**
 * How long a failure's message may be, as a DLQ attribute and in the ledger's rejection record: long enough
 * for any validation report, far below SQS's 256 KiB and DynamoDB's 400 KB.
 */
export const MAX_REASON_CHARS = 2_000;
