// `npm run schemas`: writes the request's and the outcome events' JSON Schemas (generated from their zod
// schemas) to schemas/. A test (test/schemas.test.ts) fails when the committed files differ from these.
import { writeFileSync } from 'node:fs';
import { outcomeEventJsonSchemas } from '../../src/events/outcomeEvents.js';
import { transferRequestJsonSchema } from '../../src/request/index.js';

/** The file each schema is shipped in, by its name (an outcome event's detail-type). */
export const schemaFileOf = (name: string): string =>
  `schemas/${name.toLowerCase().replaceAll(' ', '-')}.schema.json`;

/** Every shipped schema, by the file it is written to, as the file's text. */
export function shippedSchemas(): Record<string, string> {
  const schemas: Record<string, Record<string, unknown>> = {
    'Transfer Contact Request': transferRequestJsonSchema(),
    ...outcomeEventJsonSchemas(),
  };
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [
      schemaFileOf(name),
      `${JSON.stringify(schema, null, 2)}\n`,
    ]),
  );
}

if (process.argv[1]?.endsWith('writeSchemas.ts')) {
  for (const [file, text] of Object.entries(shippedSchemas())) {
    writeFileSync(file, text);
    process.stdout.write(`${file}\n`);
  }
}
