/**
 * The AWS X-Ray trace header (`X-Amzn-Trace-Id`, SQS's `AWSTraceHeader`, EventBridge's `TraceHeader`), read
 * strictly and written back with only the fields the orchestrator passes on. A producer sets it: it is input,
 * never trusted, and a malformed one is dropped (SQS refuses a malformed `AWSTraceHeader`, so passing one on
 * would fail the copy that carries it).
 */

/** A trace a request belongs to: the fields the orchestrator carries from hop to hop. */
export interface TraceContext {
  /** The trace id, `1-<8 hex: epoch seconds>-<24 hex>`. */
  readonly root: string;
  /** The id of the segment that sent the request (16 hex), when the sender named one. */
  readonly parent?: string;
  /** The sampling decision: `1` sampled, `0` not, `?` not decided yet. */
  readonly sampled?: '0' | '1' | '?';
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const PARENT = /^[0-9a-f]{16}$/;
const SAMPLED = new Set(['0', '1', '?']);
/** X-Ray headers are short; a longer value is not one (and the limit bounds the parsing work). */
const MAX_HEADER_CHARS = 1_024;

/**
 * Reads a trace header, or `undefined` if it is not a well-formed one with a root. Fields other than
 * `Root`, `Parent` and `Sampled` (such as `Lineage`, Lambda's recursion counter, or `Self`) are left out.
 *
 * @example
 * parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
 * // { root: '1-5759e988-bd862e3fe1be46a994272793', parent: '53995c3f42cd8ad8', sampled: '1' }
 */
export function parseTraceHeader(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_HEADER_CHARS) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) return undefined;
    const key = trimmed.slice(0, equals);
    if (fields.has(key)) return undefined;
    fields.set(key, trimmed.slice(equals + 1));
  }
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  const sampled = fields.get('Sampled');
  if (root === undefined || !ROOT.test(root)) return undefined;
  if (parent !== undefined && !PARENT.test(parent)) return undefined;
  if (sampled !== undefined && !SAMPLED.has(sampled)) return undefined;
  return {
    root,
    ...(parent !== undefined && { parent }),
    ...(sampled !== undefined && { sampled: sampled as TraceContext['sampled'] }),
  };
}

/**
 * Writes a trace header with the context's fields only (never `Lineage`: see `docs/DESIGN.md`, "Tracing").
 *
 * @example
 * formatTraceHeader({ root: '1-5759e988-bd862e3fe1be46a994272793', sampled: '1' });
 * // 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'
 */
export function formatTraceHeader(context: TraceContext): string {
  return [
    `Root=${context.root}`,
    ...(context.parent ? [`Parent=${context.parent}`] : []),
    ...(context.sampled ? [`Sampled=${context.sampled}`] : []),
  ].join(';');
}

/**
 * The header a copy or a call passes on for a received trace header: the same trace, without what the
 * orchestrator does not carry; `undefined` for none or a malformed one.
 *
 * @example
 * passedOnTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=a87bd80c:3'); // 'Root=1-5759e988-bd862e3fe1be46a994272793'
 */
export function passedOnTraceHeader(value: unknown): string | undefined {
  const context = parseTraceHeader(value);
  return context ? formatTraceHeader(context) : undefined;
}
