import { createHash } from 'node:crypto';
import { search } from '@aws-lambda-powertools/jmespath';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Length } from '../../../src/contract/connect.js';
import {
  ASKED_JMESPATH,
  askedOf,
  contentToken,
  type MessageIdentity,
  parseTransferRequest,
  requestFingerprint,
  TRANSFER_CONTACT_LIMITS,
  toInstanceId,
} from '../../../src/request/index.js';
import { transferRequestedEvent } from '../../support/factories.js';

const identity = { messageId: 'message-1' };
const base = { InstanceId: 'instance-1', ContactId: 'task-1', ContactFlowId: 'flow-1', QueueId: 'queue-1' };
const parse = (body: unknown, id: MessageIdentity = identity) =>
  parseTransferRequest(typeof body === 'string' ? body : JSON.stringify(body), id);
const rejectionOf = (body: unknown) => {
  const result = parse(body);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  return result.rejection;
};

describe('parseTransferRequest: the TransferContact input', () => {
  it('accepts a queue transfer and derives the token from its content, not the message id', () => {
    const result = parse(base);
    expect(result).toEqual({
      ok: true,
      value: {
        request: { ...base, ClientToken: contentToken(base) },
        envelope: 'direct',
        tokenOrigin: 'content',
      },
    });
    expect(contentToken(base)).toMatch(/^content-[0-9a-f]{64}$/);
  });

  it('derives the same token for every copy of a request, whatever its message id (a redrive gives a new one)', () => {
    const first = parse(base, { messageId: 'message-1' });
    const redriven = parse(base, { messageId: 'message-after-redrive' });
    const asArn = parse({
      ...base,
      InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/instance-1',
    });
    const token = first.ok && first.value.request.ClientToken;
    expect(redriven.ok && redriven.value.request.ClientToken).toBe(token);
    expect(asArn.ok && asArn.value.request.ClientToken).toBe(token);
    // Another destination is another request.
    const other = parse({ ...base, QueueId: 'queue-2' });
    expect(other.ok && other.value.request.ClientToken).not.toBe(token);
  });

  it('keeps the request’s own ClientToken', () => {
    const result = parse({ ...base, ClientToken: 'mine' });
    expect(result.ok && result.value.request.ClientToken).toBe('mine');
    expect(result.ok && result.value.tokenOrigin).toBe('request');
  });

  it('prefers the ClientToken message attribute over the message id when the body has none', () => {
    const result = parse(base, { messageId: 'message-2', clientTokenAttribute: 'kept-token' });
    expect(result.ok && result.value.request.ClientToken).toBe('kept-token');
    expect(result.ok && result.value.tokenOrigin).toBe('message-attribute');
  });

  it('accepts a user transfer', () => {
    const { QueueId: _, ...rest } = base;
    expect(parse({ ...rest, UserId: 'agent-1' }).ok).toBe(true);
  });

  it('accepts the CLI skeleton filled in, with unused optional keys left empty', () => {
    const result = parse({ ...base, UserId: '', ClientToken: '' });
    expect(result.ok && result.value.request).toEqual({ ...base, ClientToken: contentToken(base) });
  });

  it('names a missing field once, inside an event too', () => {
    const { ContactFlowId: _, ...missing } = base;
    expect(rejectionOf(missing).message).toBe('ContactFlowId is required');
    expect(rejectionOf(transferRequestedEvent(missing)).message).toBe('detail.ContactFlowId is required');
  });

  it('reduces an instance ARN to its id', () => {
    const result = parse({ ...base, InstanceId: 'arn:aws:connect:eu-west-2:123456789012:instance/abc-123' });
    expect(result.ok && result.value.request.InstanceId).toBe('abc-123');
  });

  it('rejects a message with both QueueId and UserId', () => {
    expect(rejectionOf({ ...base, UserId: 'agent-1' }).message).toBe('give QueueId or UserId, not both');
  });

  it('rejects a message with neither QueueId nor UserId', () => {
    const { QueueId: _, ...rest } = base;
    expect(rejectionOf(rest).message).toBe('one of QueueId or UserId is required');
  });

  it('rejects an unknown key such as a QueueID typo, naming it', () => {
    expect(rejectionOf({ ...base, QueueID: 'queue-1' }).issues).toContain('unknown field(s): QueueID');
  });

  it.each(['InstanceId', 'ContactId', 'ContactFlowId'])(
    'rejects a message missing %s, naming it',
    (field) => {
      const body: Record<string, string> = { ...base };
      delete body[field];
      expect(rejectionOf(body).issues).toContain(`${field} is required`);
    },
  );

  it.each(Object.entries(TRANSFER_CONTACT_LIMITS))('rejects %s over its limit of %o', (field, { max }) => {
    const body: Record<string, string> = { ...base, [field]: 'x'.repeat(max + 1) };
    if (field === 'UserId') delete body.QueueId;
    expect(rejectionOf(body).issues).toContain(`${field} must be at most ${max} characters`);
  });

  it.each(Object.entries(TRANSFER_CONTACT_LIMITS))('accepts %s at exactly its limit', (field, { max }) => {
    const body: Record<string, string> = { ...base, [field]: 'x'.repeat(max) };
    if (field === 'UserId') delete body.QueueId;
    expect(parse(body).ok).toBe(true);
  });

  it('rejects a field of the wrong type', () => {
    expect(rejectionOf({ ...base, ContactId: 42 }).issues).toContain('ContactId must be a string');
  });

  it.each([
    ['{not json', /^body is not JSON/],
    ['[]', /got an array/],
    ['null', /got null/],
    ['"text"', /got string/],
    ['', /^body is not JSON/],
  ])('rejects the body %j as not a JSON object', (body, message) => {
    expect(rejectionOf(body).message).toMatch(message);
  });
});

describe('parseTransferRequest: the EventBridge envelope', () => {
  const event = transferRequestedEvent;

  it('reads the request from detail and derives the token from the event id', () => {
    const result = parse(event(base));
    expect(result).toEqual({
      ok: true,
      value: {
        request: { ...base, ClientToken: 'event-1' },
        envelope: 'eventbridge',
        tokenOrigin: 'event-id',
      },
    });
  });

  it('keeps a ClientToken given in detail', () => {
    const result = parse(event({ ...base, ClientToken: 'given' }));
    expect(result.ok && result.value.request.ClientToken).toBe('given');
  });

  it('reduces an instanceArn-style InstanceId in detail', () => {
    const result = parse(
      event({ ...base, InstanceId: 'arn:aws:connect:us-east-1:123456789012:instance/i-9' }),
    );
    expect(result.ok && result.value.request.InstanceId).toBe('i-9');
  });

  it('rejects another detail-type', () => {
    expect(rejectionOf(event(base, { 'detail-type': 'Contact Created' })).message).toMatch(
      /detail-type must be 'Transfer Contact Requested'/,
    );
  });

  it('rejects an invalid detail with the path of each issue', () => {
    expect(rejectionOf(event({ ...base, UserId: 'agent-1', Extra: 1 })).issues).toEqual([
      'detail: unknown field(s): Extra',
      'detail: give QueueId or UserId, not both',
    ]);
  });

  it('rejects an event without an id', () => {
    expect(rejectionOf(event(base, { id: undefined })).issues[0]).toMatch(/^id:/);
  });
});

describe('toInstanceId', () => {
  it('leaves a plain id and a non-instance ARN as they are', () => {
    expect(toInstanceId('abc')).toBe('abc');
    expect(toInstanceId('arn:aws:connect:us-east-1:123456789012:instance/abc/contact/x')).toBe(
      'arn:aws:connect:us-east-1:123456789012:instance/abc/contact/x',
    );
  });
});

describe('parseTransferRequest: Attributes, the one field beyond TransferContact', () => {
  const requestOf = (body: unknown) => {
    const result = parse(body);
    if (!result.ok) throw new Error(result.rejection.message);
    return result.value.request;
  };

  it('keeps a string map, its keys sorted, so another key order is the same request', () => {
    const one = requestOf({ ...base, Attributes: { Reason: 'sla', Case: '42' } });
    const other = requestOf({ ...base, Attributes: { Case: '42', Reason: 'sla' } });
    expect(Object.keys(one.Attributes ?? {})).toEqual(['Case', 'Reason']);
    expect(one.ClientToken).toBe(other.ClientToken);
    expect(requestFingerprint(one)).toBe(requestFingerprint(other));
  });

  it('makes a request with attributes another request than the same transfer without them', () => {
    const plain = requestOf(base);
    const attributed = requestOf({ ...base, Attributes: { Reason: 'sla' } });
    expect(attributed.ClientToken).not.toBe(plain.ClientToken);
    expect(requestFingerprint(attributed)).not.toBe(requestFingerprint(plain));
    expect(requestFingerprint(requestOf({ ...base, Attributes: { Reason: 'other' } }))).not.toBe(
      requestFingerprint(attributed),
    );
  });

  it('keeps the fingerprint and content token of a request without attributes as they were', () => {
    // The values before Attributes existed: a redelivered request keeps its token across the upgrade.
    const fields = [base.InstanceId, base.ContactId, base.ContactFlowId, base.QueueId, null];
    const hash = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
    expect(contentToken(base)).toBe(`content-${hash}`);
    expect(requestFingerprint(base)).toBe(hash.slice(0, 32));
    expect(requestOf({ ...base, Attributes: {} }).Attributes).toBeUndefined();
    expect(requestOf({ ...base, Attributes: '' }).ClientToken).toBe(contentToken(base));
  });

  it('hashes for the idempotency layer what askedOf gives, by the same JMESPath Powertools runs', () => {
    for (const request of [base, { ...base, Attributes: { B: '2', A: '' } }]) {
      const parsed = requestOf(request);
      expect(search(ASKED_JMESPATH, parsed)).toEqual(askedOf(parsed));
    }
  });

  it.each([
    [{ 'bad key': 'x' }, 'Attributes keys may hold only letters, digits, - and _'],
    [{ Reason: 42 }, 'Attributes values must be strings'],
    [['Reason'], 'Attributes must be an object of strings'],
    ['Reason=sla', 'Attributes must be an object of strings'],
  ])('rejects %j, naming why', (Attributes, message) => {
    expect(rejectionOf({ ...base, Attributes }).message).toContain(message);
  });

  it('refuses a __proto__ key (a record would drop it silently), whatever its value', () => {
    for (const body of ['{"__proto__":"x","A":"1"}', '{"__proto__":{"x":1},"A":"1"}', '{"__proto__":"evil"}'])
      expect(rejectionOf(`{${JSON.stringify(base).slice(1, -1)},"Attributes":${body}}`).message).toContain(
        'Attributes key "__proto__" is not allowed',
      );
  });

  it('counts UTF-8 bytes as Buffer does, lone surrogates and 4-byte characters included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => utf8Length(text) === Buffer.byteLength(text)),
    );
    for (const text of ['\ud800', 'a\udc00b', '😀', '€'])
      expect(utf8Length(text)).toBe(Buffer.byteLength(text));
  });

  it('rejects attributes over 32,768 UTF-8 bytes, counting multi-byte characters as bytes', () => {
    const fits = { K: 'x'.repeat(32_767) };
    expect(requestOf({ ...base, Attributes: fits }).Attributes).toEqual(fits);
    // 'é' is two bytes: 16,384 of them and a one-byte key are 32,769 bytes.
    expect(rejectionOf({ ...base, Attributes: { K: 'é'.repeat(16_384) } }).message).toMatch(
      /at most 32768 UTF-8 bytes.*got 32769/,
    );
  });

  it('carries attributes inside an EventBridge event too', () => {
    const result = parse(transferRequestedEvent({ ...base, Attributes: { Reason: 'sla' } }));
    expect(result.ok && result.value.request.Attributes).toEqual({ Reason: 'sla' });
  });
});
