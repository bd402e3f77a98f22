// Where a handler's CPU goes: a V8 CPU profile (`node --cpu-prof`) of the bundled worker, its samples mapped
// back through the bundle's source map to the module they ran in, and summed as self time per module.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One module's self time in the profile. */
export interface ProfileRow {
  readonly module: string;
  /** Self time per record (ms). */
  readonly msPerRecord: number;
  /** Share of the profile's busy time (idle excluded). */
  readonly share: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A source map's mappings, per generated line: [generated column, source index] in column order. */
function decodeMappings(mappings: string): number[][][] {
  const lines: number[][][] = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments: number[][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0] ?? 0;
      // Only the source index is kept: the other fields' deltas never change it.
      if (fields.length >= 4) {
        source += fields[1] ?? 0;
        segments.push([column, source]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** The module a source file belongs to: its package under node_modules, else its path in this repository. */
export function moduleOf(source: string): string {
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = source.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? source);
  }
  const own = /(?:^|\/)((?:lambdas|src|packages)\/.*)$/.exec(source);
  return own?.[1] ?? source;
}

/** Coarse groups of modules, for a table a reader can act on (the first that matches). */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  [
    'AWS SDK: middleware, serialisation, signing',
    /^@smithy\/|^@aws-sdk\/|^@aws-crypto\/|^node:internal\/crypto|^fast-xml-parser|^tslib/,
  ],
  [
    'async hooks: X-Ray SDK (cls-hooked), AsyncLocalStorage',
    /async_hooks|registerDestroyHook|^cls-hooked|^async-hook|^emitter-listener|^aws-xray-sdk/,
  ],
  [
    'HTTP and sockets (Node)',
    /^node:_http|^node:net|^node:internal\/(streams|stream_base_commons|url|dns|timers)|^node:(events|buffer|stream|timers)|^(close|writeUtf8String|latin1Slice|utf8Slice|getAddrInfo)$/,
  ],
  ['writes to sockets and stdout (writev)', /^writev$/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['promise jobs and ticks', /^runMicrotasks$|^node:internal\/process|^\(program\)$/],
  ['Powertools: idempotency, logger, metrics, batch, tracer', /^@aws-lambda-powertools\//],
  ['zod (request and event schemas)', /^zod/],
  ["this project's code", /^(lambdas|src|packages)\//],
];

/** The category of a module (see {@link CATEGORIES}). */
export function categoryOf(module: string): string {
  return CATEGORIES.find(([, pattern]) => pattern.test(module))?.[0] ?? 'other';
}

/** Maps a position in the bundle (0-based line and column, as profiles give them) to its source's module. */
function bundleLocator(sourceMapFile: string): (line: number, column: number) => string {
  const map = JSON.parse(readFileSync(sourceMapFile, 'utf8')) as { sources: string[]; mappings: string };
  const lines = decodeMappings(map.mappings);
  return (line, column) => {
    const segments = lines[line] ?? [];
    let lo = 0;
    let hi = segments.length - 1;
    let found: number[] | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const segment = segments[mid] as number[];
      if ((segment[0] ?? 0) <= column) {
        found = segment;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found ? moduleOf(map.sources[found[1] ?? 0] ?? '?') : '(bundle, unmapped)';
  };
}

/**
 * Sums the self time of the profiles in `directory` (one per process) by module, over the window each
 * process measured (`window`, in the profile's clock, µs), idle excluded.
 */
export function summarizeProfileDirectory(
  directory: string,
  sourceMapFile: string,
  records: number,
  window?: { readonly fromUs: number; readonly toUs: number },
  /** `function`: each function of a module apart (`module: name`); `category`: modules in coarse groups. */
  by: 'category' | 'module' | 'function' = 'module',
): { rows: ProfileRow[]; text: string } {
  const locate = bundleLocator(sourceMapFile);
  const bundleName =
    sourceMapFile
      .replace(/\.map$/, '')
      .split('/')
      .at(-1) ?? '';
  const selfUs = new Map<string, number>();
  for (const file of readdirSync(directory).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile;
    const moduleOfNode = new Map<number, string>();
    for (const node of profile.nodes) {
      const { url, functionName, lineNumber, columnNumber } = node.callFrame;
      const module = url.endsWith(`/${bundleName}`)
        ? locate(lineNumber, columnNumber)
        : url === ''
          ? functionName
          : url.startsWith('node:')
            ? `node:${url.slice(5).split('/').slice(0, 2).join('/')}`
            : url;
      // Idle is no work: never summed, whatever the grouping.
      moduleOfNode.set(
        node.id,
        module === '(idle)'
          ? module
          : by === 'function'
            ? `${module}: ${functionName}`
            : by === 'category'
              ? categoryOf(module)
              : module,
      );
    }
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      const module = moduleOfNode.get(id) ?? '?';
      if (module === '(idle)') return;
      selfUs.set(module, (selfUs.get(module) ?? 0) + delta);
    });
  }
  const busyUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const rows = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .map(([module, us]) => ({
      module,
      msPerRecord: Math.round((us / 1000 / records) * 1000) / 1000,
      share: Math.round((us / busyUs) * 1000) / 1000,
    }));
  const text = [
    `CPU profile: self time by ${by}, ${Math.round(busyUs / 1000 / records / 0.001) / 1000} ms per record busy`,
    ...rows
      .slice(0, 30)
      .map(
        (r) =>
          `  ${r.module.padEnd(60)} ${String(r.msPerRecord).padStart(8)} ms ${`${(r.share * 100).toFixed(1)}%`.padStart(7)}`,
      ),
  ].join('\n');
  return { rows, text };
}
