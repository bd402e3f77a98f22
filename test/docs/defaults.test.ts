import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingEntries } from '../../src/contract/index.js';

// The defaults live in src/contract's settings table; the README and the props' TSDoc quote them. These tests keep the quotes
// honest: change a default and they fail until every quote says the same.
const SECONDS = { seconds: 1, minutes: 60, hours: 3_600, days: 86_400 } as const;
/** A default as written (`5`, `Duration.hours(24)`) in seconds or as a plain number. */
const quotedValue = (text: string): number | undefined => {
  const duration = /Duration\.(seconds|minutes|hours|days)\((\d+)\)/.exec(text);
  if (duration) return Number(duration[2]) * SECONDS[duration[1] as keyof typeof SECONDS];
  const plain = /^`?(\d+)`?$/.exec(text.trim());
  return plain ? Number(plain[1]) : undefined;
};

/**
 * What each prop's default must equal, in the units `quotedValue` reads (seconds for a duration): the settings
 * table's. `visibilityTimeout` is quoted as a multiple of `functionTimeout`, not as a number.
 */
const PROP_DEFAULTS: Record<string, number> = Object.fromEntries(
  settingEntries()
    .filter(([name, setting]) => setting.prop && name !== 'visibilityTimeout')
    .map(([name, setting]) => [name, setting.default]),
);
/** What each context key's default must equal, in the key's own unit. */
const CONTEXT_DEFAULTS: Record<string, number> = Object.fromEntries(
  settingEntries().flatMap(([, setting]) =>
    setting.context ? [[setting.context.key, setting.default / (setting.context.unitSeconds ?? 1)]] : [],
  ),
);

/** The `| \`name\` | default |` rows of the README's tables whose first column names one of `names`. */
const readmeRows = (names: readonly string[], header: string, file = 'README.md'): Map<string, string> => {
  const readme = readFileSync(file, 'utf8');
  const table = readme.slice(readme.indexOf(header));
  const rows = new Map<string, string>();
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [, name = '', value = ''] = line.split('|').map((cell) => cell.trim());
    const key = name.replaceAll('`', '');
    if (names.includes(key)) rows.set(key, value);
  }
  return rows;
};

describe('defaults are quoted as src/contract defines them', () => {
  it('in the README’s table of props', () => {
    const rows = readmeRows(Object.keys(PROP_DEFAULTS), '| prop ');
    expect([...rows.keys()].sort()).toEqual(Object.keys(PROP_DEFAULTS).sort());
    for (const [prop, value] of rows)
      expect({ prop, value: quotedValue(value) }).toEqual({ prop, value: PROP_DEFAULTS[prop] });
  });

  it('in the table of context keys (docs/OPERATIONS.md)', () => {
    const rows = readmeRows(Object.keys(CONTEXT_DEFAULTS), '| key ', 'docs/OPERATIONS.md');
    expect([...rows.keys()].sort()).toEqual(Object.keys(CONTEXT_DEFAULTS).sort());
    for (const [key, value] of rows)
      expect({ key, value: quotedValue(value) }).toEqual({ key, value: CONTEXT_DEFAULTS[key] });
  });

  it('in the @default of each prop’s TSDoc', () => {
    const source = readFileSync('lib/props.ts', 'utf8');
    for (const [prop, expected] of Object.entries(PROP_DEFAULTS)) {
      const doc = new RegExp(`@default ([^\\n]+)\\n\\s*\\*/\\n\\s*readonly ${prop}\\?`).exec(source);
      expect(doc, `no @default for ${prop}`).not.toBeNull();
      expect({ prop, value: quotedValue(doc?.[1] ?? '') }).toEqual({ prop, value: expected });
    }
  });
});
