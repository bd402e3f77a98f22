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
  });
});
