// `npm run schemas`: writes the outcome events' JSON Schemas (generated from their zod schemas) to schemas/.
// A test fails when the committed files differ from what this writes.
import { writeFileSync } from 'node:fs';
import { outcomeEventJsonSchemas } from '../../src/events/outcomeEvents.js';

/** The file each outcome event's schema is shipped in. */
export const schemaFileOf = (detailType: string): string =>
  `schemas/${detailType.toLowerCase().replaceAll(' ', '-')}.schema.json`;

if (process.argv[1]?.endsWith('writeSchemas.ts')) {
  for (const [detailType, schema] of Object.entries(outcomeEventJsonSchemas())) {
    writeFileSync(schemaFileOf(detailType), `${JSON.stringify(schema, null, 2)}\n`);
    process.stdout.write(`${schemaFileOf(detailType)}\n`);
  }
}
