import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiMarkdown, CONSTRUCT_DIR } from '../../tools/build/buildConstruct.js';
import { buildOnce } from '../package/buildOnce.js';

describe('API.md, the construct package’s reference (jsii-docgen, from the TSDoc)', () => {
  it('is what the current sources generate: `npm run docs:api` rewrites it', async () => {
    buildOnce();
    const committed = readFileSync(join(CONSTRUCT_DIR, 'API.md'), 'utf8');
    const generated = await apiMarkdown();
    expect(generated === committed, 'packages/construct/API.md is stale: run `npm run docs:api`').toBe(true);
  }, 600_000);
});
