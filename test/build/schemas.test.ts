import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shippedSchemas } from '../../tools/build/writeSchemas.js';

describe('shipped JSON Schemas', () => {
  it.each(Object.entries(shippedSchemas()))('%s is what `npm run schemas` writes', (file, text) => {
    expect(readFileSync(file, 'utf8'), `run npm run schemas`).toBe(text);
  });

  it('the request schema refuses what the worker refuses in Attributes', () => {
    const schema = JSON.parse(shippedSchemas()['schemas/transfer-contact-request.schema.json'] ?? '{}');
    const attributes = schema.properties.Attributes;
    expect(attributes.propertyNames.pattern).toBe('^[A-Za-z0-9_-]+$');
    expect(attributes.additionalProperties).toEqual({ type: 'string' });
    expect(schema.additionalProperties).toBe(false);
    expect(attributes.propertyNames.not).toEqual({ const: '__proto__' });
    // One of QueueId and UserId, as the worker asks (JSON Schema's oneOf: both, or neither, fails).
    expect(schema.oneOf).toEqual([{ required: ['QueueId'] }, { required: ['UserId'] }]);
    expect(schema.properties.InstanceId.minLength).toBe(1);
    expect(schema.description).toContain('32768 UTF-8 bytes');
  });
});
