import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

/** How many single-character edits turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The flag closest to a mistyped one, when it is close enough to be what was meant (at most a third of its
 * characters off).
 *
 * @example
 * nearestFlag('--queue-idd', ['queue-id', 'queue-url']); // '--queue-id'
 */
export function nearestFlag(typed: string, flags: readonly string[]): string | undefined {
  const bare = typed.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { flag: string; distance: number } | undefined;
  for (const flag of flags) {
    const distance = editDistance(bare.toLowerCase(), flag.toLowerCase());
    if (!best || distance < best.distance) best = { flag, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.flag.length / 3))
    ? `--${best.flag}`
    : undefined;
}

/** The flags a command takes, as `parseArgs` declares them. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** What `parseFlags` returns: `parseArgs`'s values and positionals for these options. */
export type ParsedFlags<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
>;

/**
 * `parseArgs` (strict, positionals allowed) whose unknown flag is a usage error naming the flag and the
 * nearest known one, not Node's own parser text.
 */
export function parseFlags<T extends FlagOptions>(args: readonly string[], options: T): ParsedFlags<T> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as Error & { code?: string }).code;
    if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw error;
    const typed = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1] ?? 'flag';
    const nearest = nearestFlag(typed, Object.keys(options));
    throw new UsageError(`unknown flag ${typed}${nearest ? `; did you mean ${nearest}?` : ''}`);
  }
}
