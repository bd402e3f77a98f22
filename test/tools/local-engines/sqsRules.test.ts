import { describe, expect, it } from 'vitest';
import {
  checkChangeMessageVisibility,
  checkSendMessage,
  checkSendMessageBatch,
  forbiddenCodePoint,
  isSqsNumber,
  type MessageAttributeInput,
  messageSize,
  type SendMessageBatchEntryInput,
} from '../../../tools/local-engines/sqsRules.js';

const MAX = 1_024;
const text = (attribute: string): Record<string, MessageAttributeInput> => ({
  k: { DataType: 'String', StringValue: attribute },
});
const codeOf = (input: Parameters<typeof checkSendMessage>[0], maximum = MAX) =>
  checkSendMessage(input, maximum)?.code;

describe('message body characters', () => {
  it.each([
    ['a lone high surrogate', 'ok \ud800 ok'],
    ['a lone low surrogate', '\udc00'],
    ['U+0001', 'a\u0001b'],
    ['U+0000', '\u0000'],
    ['U+001F', '\u001f'],
    ['U+FFFE', 'a\ufffe'],
    ['U+FFFF', '\uffff'],
  ])('refuses %s in the body with InvalidMessageContents', (_, body) => {
    const refusal = checkSendMessage({ MessageBody: body }, MAX);
    expect(refusal?.code).toBe('InvalidMessageContents');
    expect(refusal?.queryCode).toBe('InvalidMessageContents');
  });

  it.each([
    ['tab, line feed and carriage return', '\t\n\r'],
    ['the edges of the allowed ranges', ' \ud7ff\ue000\ufffd'],
    ['a 4-byte emoji (a surrogate pair)', '\u{1F600}'],
    ['the last code point', '\u{10FFFF}'],
  ])('accepts %s', (_, body) => {
    expect(checkSendMessage({ MessageBody: body }, MAX)).toBeUndefined();
  });

  it('names the first forbidden code point', () => {
    expect(forbiddenCodePoint('ab\u0001\ud800')).toBe(0x1);
    expect(forbiddenCodePoint('ab\ud800')).toBe(0xd800);
    expect(forbiddenCodePoint('\u{1F600}')).toBeUndefined();
  });

  it('refuses an empty or missing body with MissingParameter', () => {
    expect(codeOf({ MessageBody: '' })).toBe('MissingParameter');
    expect(codeOf({})).toBe('MissingParameter');
  });
});

describe('String and Number attribute values', () => {
  it('refuses U+0001 in a String value with InvalidMessageContents', () => {
    expect(codeOf({ MessageBody: 'b', MessageAttributes: text('x\u0001') })).toBe('InvalidMessageContents');
  });

  it('refuses a lone surrogate or U+FFFE in a String value', () => {
    expect(codeOf({ MessageBody: 'b', MessageAttributes: text('\ud83d') })).toBe('InvalidMessageContents');
    expect(codeOf({ MessageBody: 'b', MessageAttributes: text('\ufffe') })).toBe('InvalidMessageContents');
  });

  it('refuses a forbidden character in a custom String type', () => {
    const refusal = checkSendMessage(
      { MessageBody: 'b', MessageAttributes: { k: { DataType: 'String.json', StringValue: '\u0002' } } },
      MAX,
    );
    expect(refusal?.code).toBe('InvalidMessageContents');
  });

  it('refuses an empty String, Number or Binary value', () => {
    for (const attribute of [
      { DataType: 'String', StringValue: '' },
      { DataType: 'Number' },
      { DataType: 'Binary', BinaryValue: '' },
    ]) {
      const refusal = checkSendMessage({ MessageBody: 'b', MessageAttributes: { k: attribute } }, MAX);
      expect(refusal?.code).toBe('InvalidParameterValue');
      expect(refusal?.message).toContain('non-empty message attribute value');
    }
  });

  it('refuses a Number value that is not a number', () => {
    const input = {
      MessageBody: 'b',
      MessageAttributes: { n: { DataType: 'Number', StringValue: 'twelve' } },
    };
    expect(codeOf(input)).toBe('InvalidParameterValue');
  });

  it('accepts a Number value in range, with a custom type', () => {
    const input = {
      MessageBody: 'b',
      MessageAttributes: { n: { DataType: 'Number.int', StringValue: '-12' } },
    };
    expect(checkSendMessage(input, MAX)).toBeUndefined();
  });

  it.each([
    '0',
    '12',
    '-1.5e10',
    '+3.',
    '.5',
    '0.000',
    '1e126',
    '-1e126',
    '1e-128',
    '9.99e125',
    `${'9'.repeat(38)}`,
    `1${'0'.repeat(126)}`,
  ])('takes %s for a number SQS accepts', (value) => {
    expect(isSqsNumber(value)).toBe(true);
  });

  it.each([
    '',
    '.',
    '-',
    'e5',
    '1e',
    '1,5',
    ' 1',
    'NaN',
    'Infinity',
    '0x10',
    '1e127',
    '1.1e126',
    '1e-129',
    `${'9'.repeat(39)}`,
    `1${'0'.repeat(127)}`,
  ])('takes %j for a number SQS refuses', (value) => {
    expect(isSqsNumber(value)).toBe(false);
  });
});

describe('attribute names, types and count', () => {
  const named = (name: string) => ({
    MessageBody: 'b',
    MessageAttributes: { [name]: { DataType: 'String', StringValue: 'v' } },
  });

  it.each([
    ['AWS.x'],
    ['aws.x'],
    ['Amazon.y'],
    ['AMAZON.y'],
    ['a..b'],
    ['.a'],
    ['a.'],
    ['a b'],
    ['é'],
    ['a/b'],
    ['x'.repeat(257)],
  ])('refuses the name %j with InvalidParameterValue', (name) => {
    expect(codeOf(named(name))).toBe('InvalidParameterValue');
  });

  it('refuses an empty name', () => {
    expect(checkSendMessage(named(''), MAX)?.message).toBe(
      'The request must contain non-empty message attribute name.',
    );
  });

  it.each([['AWSx'], ['Amazonian.x'], ['my.AWS.x'], ['a.b_c-D9'], ['x'.repeat(256)]])(
    'accepts the name %j',
    (name) => {
      expect(checkSendMessage(named(name), 4_096)).toBeUndefined();
    },
  );

  it('accepts 10 attributes and refuses 11', () => {
    const attributes = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
      );
    expect(checkSendMessage({ MessageBody: 'b', MessageAttributes: attributes(10) }, MAX)).toBeUndefined();
    const refusal = checkSendMessage({ MessageBody: 'b', MessageAttributes: attributes(11) }, MAX);
    expect(refusal?.code).toBe('InvalidParameterValue');
    expect(refusal?.message).toContain('[11]');
  });

  it.each([['String'], ['Number'], ['Binary'], ['String.custom'], ['Binary.gif']])(
    'accepts the type %s',
    (type) => {
      const value = type.startsWith('Binary') ? { BinaryValue: 'AAEC' } : { StringValue: '1' };
      expect(
        checkSendMessage({ MessageBody: 'b', MessageAttributes: { k: { DataType: type, ...value } } }, MAX),
      ).toBeUndefined();
    },
  );

  it.each([['string'], ['Integer'], ['String.'], ['Strings'], [''], [undefined]])(
    'refuses the type %j',
    (type) => {
      const input = { MessageBody: 'b', MessageAttributes: { k: { DataType: type, StringValue: 'v' } } };
      expect(codeOf(input)).toBe('InvalidParameterValue');
    },
  );
});

describe('message size', () => {
  const attribute = { DataType: 'String', StringValue: 'value' }; // 'k' + 'String' + 'value' = 12 bytes

  it('counts a 4-byte emoji as 4 bytes, and a 2-byte letter as 2', () => {
    expect(messageSize({ MessageBody: '\u{1F600}' })).toBe(4);
    expect(messageSize({ MessageBody: 'é' })).toBe(2);
    expect(checkSendMessage({ MessageBody: `${'a'.repeat(MAX - 4)}\u{1F600}` }, MAX)).toBeUndefined();
    expect(codeOf({ MessageBody: `${'a'.repeat(MAX - 3)}\u{1F600}` })).toBe('InvalidParameterValue');
  });

  it('counts every attribute’s name, type and value, a Binary value by its bytes', () => {
    expect(messageSize({ MessageBody: 'b', MessageAttributes: { k: attribute } })).toBe(13);
    expect(
      messageSize({
        MessageBody: 'b',
        MessageAttributes: { bin: { DataType: 'Binary', BinaryValue: 'AAECAw==' } },
      }),
    ).toBe(1 + 3 + 6 + 4);
  });

  it('accepts a body exactly at the maximum and refuses one byte more', () => {
    expect(checkSendMessage({ MessageBody: 'a'.repeat(MAX) }, MAX)).toBeUndefined();
    const refusal = checkSendMessage({ MessageBody: 'a'.repeat(MAX + 1) }, MAX);
    expect(refusal?.code).toBe('InvalidParameterValue');
    expect(refusal?.message).toBe(
      `One or more parameters are invalid. Reason: Message must be shorter than ${MAX} bytes.`,
    );
  });

  it('accepts body and attributes exactly at the maximum, and refuses that body with one byte more', () => {
    expect(
      checkSendMessage({ MessageBody: 'a'.repeat(MAX - 12), MessageAttributes: { k: attribute } }, MAX),
    ).toBeUndefined();
    expect(codeOf({ MessageBody: 'a'.repeat(MAX - 11), MessageAttributes: { k: attribute } })).toBe(
      'InvalidParameterValue',
    );
  });

  it('accepts a body at the maximum alone that its attributes would take over it', () => {
    expect(checkSendMessage({ MessageBody: 'a'.repeat(MAX) }, MAX)).toBeUndefined();
    expect(codeOf({ MessageBody: 'a'.repeat(MAX), MessageAttributes: { k: attribute } })).toBe(
      'InvalidParameterValue',
    );
  });
});

describe('DelaySeconds and VisibilityTimeout', () => {
  it.each([[0], [900]])('accepts DelaySeconds %d', (delay) => {
    expect(checkSendMessage({ MessageBody: 'b', DelaySeconds: delay }, MAX)).toBeUndefined();
  });

  it.each([[-1], [901], [1.5]])('refuses DelaySeconds %d', (delay) => {
    const refusal = checkSendMessage({ MessageBody: 'b', DelaySeconds: delay }, MAX);
    expect(refusal?.code).toBe('InvalidParameterValue');
    expect(refusal?.message).toContain('DelaySeconds must be >= 0 and <= 900');
  });

  it.each([[0], [43_200]])('accepts VisibilityTimeout %d', (timeout) => {
    expect(checkChangeMessageVisibility({ VisibilityTimeout: timeout })).toBeUndefined();
  });

  it.each([[-1], [43_201], [0.5]])('refuses VisibilityTimeout %d', (timeout) => {
    expect(checkChangeMessageVisibility({ VisibilityTimeout: timeout })?.code).toBe('InvalidParameterValue');
  });

  it('refuses a missing VisibilityTimeout', () => {
    expect(checkChangeMessageVisibility({})?.code).toBe('MissingParameter');
  });
});

describe('SendMessageBatch as a whole', () => {
  const entry = (id: string, body = 'b'): SendMessageBatchEntryInput => ({ Id: id, MessageBody: body });

  it('refuses an empty batch', () => {
    const refusal = checkSendMessageBatch({ Entries: [] }, MAX);
    expect(refusal?.code).toBe('EmptyBatchRequest');
    expect(refusal?.queryCode).toBe('AWS.SimpleQueueService.EmptyBatchRequest');
  });

  it('accepts 10 entries and refuses 11', () => {
    const entries = (count: number) => Array.from({ length: count }, (_, i) => entry(`e${i}`));
    expect(checkSendMessageBatch({ Entries: entries(10) }, MAX)).toBeUndefined();
    expect(checkSendMessageBatch({ Entries: entries(11) }, MAX)?.code).toBe('TooManyEntriesInBatchRequest');
  });

  it.each([[''], ['a b'], ['a.b'], ['x'.repeat(81)]])('refuses the entry Id %j', (id) => {
    expect(checkSendMessageBatch({ Entries: [entry(id)] }, MAX)?.code).toBe('InvalidBatchEntryId');
  });

  it('accepts an 80-character Id of letters, digits, hyphens and underscores', () => {
    expect(checkSendMessageBatch({ Entries: [entry(`A-z_9${'x'.repeat(75)}`)] }, MAX)).toBeUndefined();
  });

  it('refuses two entries with the same Id', () => {
    const refusal = checkSendMessageBatch({ Entries: [entry('a'), entry('a')] }, MAX);
    expect(refusal?.code).toBe('BatchEntryIdsNotDistinct');
  });

  it('refuses a batch whose entries add up to more than the maximum, and accepts one exactly at it', () => {
    const half = 'a'.repeat(MAX / 2);
    expect(checkSendMessageBatch({ Entries: [entry('a', half), entry('b', half)] }, MAX)).toBeUndefined();
    const refusal = checkSendMessageBatch({ Entries: [entry('a', half), entry('b', `${half}a`)] }, MAX);
    expect(refusal?.code).toBe('BatchRequestTooLong');
    expect(refusal?.queryCode).toBe('AWS.SimpleQueueService.BatchRequestTooLong');
  });

  it('leaves a bad entry to be judged alone', () => {
    const entries = [entry('good'), entry('bad', 'x\u0001')];
    expect(checkSendMessageBatch({ Entries: entries }, MAX)).toBeUndefined();
    expect(entries.map((e) => checkSendMessage(e, MAX)?.code)).toEqual([undefined, 'InvalidMessageContents']);
  });
});
