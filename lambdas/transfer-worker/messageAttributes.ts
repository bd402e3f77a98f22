import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DEAD_LETTER_REASON_ATTRIBUTES } from '../../src/contract/index.js';

/** SQS accepts at most 10 message attributes per message. */
const MAX_ATTRIBUTES = 10;

/** A string attribute; SQS refuses an empty value. */
export const textAttribute = (value: string): MessageAttributeValue => ({
  DataType: 'String',
  StringValue: value || '-',
});

/** A number attribute. */
export const numberAttribute = (value: number | string): MessageAttributeValue => ({
  DataType: 'Number',
  StringValue: String(value),
});

/**
 * The attributes of a message the worker sends on (to the DLQ, or back to the queue): its own first, then
 * the producer's (Lambda hands them over camel-cased; SQS takes them Pascal-cased), within SQS's limit of 10;
 * the names in `drop` are not carried, nor the reason of an earlier trip to the DLQ that a redriven request
 * still carries ({@link DEAD_LETTER_REASON_ATTRIBUTES}): a dead letter sets its own, and a copy SQS later
 * moves to the DLQ by itself must not claim a reason it did not fail with.
 *
 * @example
 * const attributes = carryAttributes(record, { ClientToken: textAttribute('token-1') });
 */
export function carryAttributes(
  record: SQSRecord,
  own: Readonly<Record<string, MessageAttributeValue>>,
  drop: readonly string[] = [],
): Record<string, MessageAttributeValue> {
  const dropped = new Set<string>([...drop, ...DEAD_LETTER_REASON_ATTRIBUTES]);
  const carried = Object.entries(record.messageAttributes ?? {})
    .filter(([name]) => !(name in own) && !dropped.has(name))
    .map(([name, value]): [string, MessageAttributeValue] => [
      name,
      {
        DataType: value.dataType,
        ...(value.stringValue !== undefined && { StringValue: value.stringValue }),
        ...(value.binaryValue !== undefined && { BinaryValue: Buffer.from(value.binaryValue, 'base64') }),
      },
    ])
    .slice(0, Math.max(0, MAX_ATTRIBUTES - Object.keys(own).length));
  return { ...Object.fromEntries(carried), ...own };
}
