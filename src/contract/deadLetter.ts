/**
 * Names of the message attributes the worker sets on each dead-lettered message; the CLI's `dlq list` and
 * the scenario runner read them. A message SQS moved by itself (its redrive policy) carries none of them,
 * unless it was redriven from the DLQ before: a redrive keeps a message's attributes, so it still names the
 * reason of its earlier trip (its `FailedAt` says when). The worker's own copies (requests held for their slot
 * or sent back) drop them: see {@link DEAD_LETTER_REASON_ATTRIBUTES}.
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
 * The dead-letter attributes that describe one trip to the DLQ (all but the token the request runs under). A
 * redriven request still carries its last trip's; a copy the worker sends back to the transfer queue drops
 * them, so a copy SQS later moves to the DLQ by itself does not claim a reason it did not fail with (and the
 * producer's own attributes keep their room within SQS's 10).
 */
export const DEAD_LETTER_REASON_ATTRIBUTES: readonly DeadLetterAttribute[] = [
  DeadLetterAttribute.ErrorClass,
  DeadLetterAttribute.ErrorCode,
  DeadLetterAttribute.ErrorMessage,
  DeadLetterAttribute.SourceMessageId,
  DeadLetterAttribute.ReceiveCount,
  DeadLetterAttribute.FailedAt,
];

/**
 * How long a failure's message may be, as a DLQ attribute and in the ledger's rejection record: long enough
 * for any validation report, far below SQS's 256 KiB and DynamoDB's 400 KB.
 */
export const MAX_REASON_CHARS = 2_000;
