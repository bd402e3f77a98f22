import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentToken,
  parseTransferRequest,
  TRANSFER_CONTACT_LIMITS,
  TransferContactInputSchema,
} from '../../src/request/index.js';

const id = (max: number) => fc.string({ minLength: 1, maxLength: max, unit: 'grapheme-ascii' });
const validInput = fc
  .record({
    InstanceId: id(TRANSFER_CONTACT_LIMITS.InstanceId.max).filter((s) => !s.startsWith('arn:')),
    ContactId: id(TRANSFER_CONTACT_LIMITS.ContactId.max),
    ContactFlowId: id(TRANSFER_CONTACT_LIMITS.ContactFlowId.max),
    destination: fc.oneof(
      id(TRANSFER_CONTACT_LIMITS.QueueId.max).map((QueueId) => ({ QueueId })),
      id(TRANSFER_CONTACT_LIMITS.UserId.max).map((UserId) => ({ UserId })),
    ),
    ClientToken: fc.option(id(TRANSFER_CONTACT_LIMITS.ClientToken.max), { nil: undefined }),
  })
  .map(({ destination, ClientToken, ...rest }) => ({
    ...rest,
    ...destination,
    ...(ClientToken && { ClientToken }),
  }));

/** Bodies of every kind: text, JSON of any shape, near-valid requests with one field broken, huge strings. */
const anyBody = fc.oneof(
  fc.string({ maxLength: 2_000 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .tuple(validInput, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([input, key, value]) => JSON.stringify({ ...input, [key]: value })),
  validInput.map((input) =>
    JSON.stringify({ id: 'e', 'detail-type': 'Transfer Contact Requested', detail: input }),
  ),
  fc.constantFrom(
    'x'.repeat(300_000),
    `{"InstanceId":"${'i'.repeat(100_000)}"}`,
    '\u0000',
    '{"__proto__":{"x":1}}',
  ),
);

describe('parseTransferRequest, fuzzed', () => {
  it('never throws: any body is a valid request or a structured rejection', () => {
    fc.assert(
      fc.property(anyBody, fc.uuid(), (body, messageId) => {
        const result = parseTransferRequest(body, { messageId });
        if (result.ok) {
          const { request } = result.value;
          expect(TransferContactInputSchema.safeParse(request).success).toBe(true);
          expect(request.ClientToken.length).toBeGreaterThan(0);
          expect(request.ClientToken.length).toBeLessThanOrEqual(500);
          expect((request.QueueId === undefined) !== (request.UserId === undefined)).toBe(true);
        } else {
          expect(result.rejection.message.length).toBeGreaterThan(0);
          expect(result.rejection.issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts every valid input and keeps it as it was', () => {
    fc.assert(
      fc.property(validInput, fc.uuid(), (input, messageId) => {
        const result = parseTransferRequest(JSON.stringify(input), { messageId });
        expect(result.ok).toBe(true);
        // A request without a token gets one derived from its content, never from the message id.
        if (result.ok) expect(result.value.request).toEqual({ ClientToken: contentToken(input), ...input });
      }),
      { numRuns: 1_000 },
    );
  });
});
