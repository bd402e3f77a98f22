/**
 * EventBridge event-pattern matching, as the EventBridge user guide describes it ("Event patterns", "Content
 * filtering"), for the local EventBridge. The event and the pattern are both flattened to leaf paths
 * (`detail.queueInfo.queueArn`); a pattern matches when every one of its paths matches (AND) and, at each
 * path, one of its values matches one of the event's values there (OR; an event array offers each of its
 * elements). Operators: exact values (string, number, boolean, null), `prefix`, `suffix` (each also with
 * `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or `prefix`,
 * `suffix`, `wildcard`, `equals-ignore-case`, each alone or with a list), `numeric`, `exists`, `cidr` (IPv4 and
 * IPv6), and `$or`. A pattern is compiled whole before any event is matched, so a bad part is refused when the
 * rule is created, as EventBridge does, not when matching first reaches it. Known difference: AWS's own
 * matcher also lets a pattern key with dots (`"detail.channel"`) match nested fields, a quirk it says not to
 * rely on; here such a key names a field with dots in its name.
 */

/** A pattern EventBridge would refuse (`InvalidEventPatternException`). */
export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Matcher = (value: Json) => boolean;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Each leaf value of the event under `path`: array elements each count, objects are walked into. */
function leafValues(event: Json, path: readonly string[]): Json[] {
  if (path.length === 0) {
    if (Array.isArray(event)) return event.flatMap((element) => leafValues(element, path));
    return isObject(event) ? [] : [event];
  }
  if (Array.isArray(event)) return event.flatMap((element) => leafValues(element, path));
  if (!isObject(event)) return [];
  const [head, ...rest] = path;
  return head !== undefined && head in event ? leafValues(event[head] as Json, rest) : [];
}

/**
 * A wildcard pattern as a regular expression: `*` is any run of characters, `\\*` a literal star and `\\\\` a
 * literal backslash; any other escape, and two `*` in a row, are refused (as AWS's matcher refuses them).
 */
const wildcardRegex = (pattern: string, flags = ''): RegExp => {
  let source = '';
  let lastWasStar = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        throw new InvalidEventPatternError(
          `wildcard: only \\* and \\\\ may be escaped, got ${JSON.stringify(pattern)}`,
        );
      source += next === '*' ? '\\*' : '\\\\';
      i += 1;
      lastWasStar = false;
    } else if (char === '*') {
      if (lastWasStar)
        throw new InvalidEventPatternError(
          `wildcard may not hold two * in a row, got ${JSON.stringify(pattern)}`,
        );
      source += '.*';
      lastWasStar = true;
    } else {
      source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      lastWasStar = false;
    }
  }
  return new RegExp(`^${source}$`, `s${flags}`);
};

const ipv4 = (text: string): number | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
};

/** `prefix` / `suffix` with a string or `{ "equals-ignore-case": string }`. */
function affixMatcher(kind: 'prefix' | 'suffix', operand: unknown): Matcher {
  const ignoreCase = isObject(operand) && typeof operand['equals-ignore-case'] === 'string';
  const text = ignoreCase ? (operand as JsonObject)['equals-ignore-case'] : operand;
  if (typeof text !== 'string') throw new InvalidEventPatternError(`${kind} takes a string`);
  const wanted = ignoreCase ? text.toLowerCase() : text;
  return (value) => {
    if (typeof value !== 'string') return false;
    const actual = ignoreCase ? value.toLowerCase() : value;
    return kind === 'prefix' ? actual.startsWith(wanted) : actual.endsWith(wanted);
  };
}

const NUMERIC_OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numericMatcher(operand: unknown): Matcher {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0)
    throw new InvalidEventPatternError('numeric takes pairs of an operator and a number');
  const tests: ((n: number) => boolean)[] = [];
  const sides = { lower: 0, upper: 0, equal: 0 };
  for (let i = 0; i < operand.length; i += 2) {
    const operator = String(operand[i]);
    const compare = NUMERIC_OPERATORS[operator];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number' || !Number.isFinite(bound))
      throw new InvalidEventPatternError(`numeric: unknown operator or bound ${JSON.stringify(operand)}`);
    if (operator === '=') sides.equal += 1;
    else if (operator.startsWith('>')) sides.lower += 1;
    else sides.upper += 1;
    tests.push((n) => compare(n, bound));
  }
  // One range: '=' alone, or a lower bound then an upper one above it, each within ±5e9.
  const bounds = operand.filter((_, i) => i % 2 === 1) as number[];
  const operators = operand.filter((_, i) => i % 2 === 0).map(String);
  const ordered =
    tests.length < 2 ||
    (operators[0]?.startsWith('>') === true &&
      operators[1]?.startsWith('<') === true &&
      (bounds[0] ?? 0) < (bounds[1] ?? 0));
  const oneRange = sides.lower <= 1 && sides.upper <= 1 && (sides.equal === 0 || tests.length === 1);
  if (!oneRange || !ordered || bounds.some((bound) => Math.abs(bound) > 5e9))
    throw new InvalidEventPatternError(`numeric takes one range, got ${JSON.stringify(operand)}`);
  return (value) => typeof value === 'number' && tests.every((test) => test(value));
}

/** An IPv6 address as a 128-bit number (`::` compression accepted, no dotted IPv4 tail), or undefined. */
const ipv6 = (text: string): bigint | undefined => {
  if (!text.includes(':') || text.includes('.')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
};

/** The IPv4 address an event value names: dotted, or an IPv4-mapped IPv6 address (`::ffff:a00:1`). */
const ipv4Of = (text: string): number | undefined => {
  const dotted = ipv4(text);
  if (dotted !== undefined) return dotted;
  const v6 = ipv6(text);
  return v6 !== undefined && v6 >> 32n === 0xffffn ? Number(v6 & 0xffffffffn) : undefined;
};

/**
 * `cidr`: an IPv4 block (prefix 0 to 31) or an IPv6 block (0 to 127), matching from its address as written
 * to the end of its block, as AWS's matcher reads it.
 */
function cidrMatcher(operand: unknown): Matcher {
  const [network = '', bitsText = '', extra] = typeof operand === 'string' ? operand.split('/') : [];
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  const v4 = ipv4(network);
  if (v4 !== undefined && extra === undefined && bits >= 0 && bits <= 31) {
    const size = 2 ** (32 - bits);
    const last = v4 - (v4 % size) + size - 1;
    return (value) => {
      const address = typeof value === 'string' ? ipv4Of(value) : undefined;
      return address !== undefined && address >= v4 && address <= last;
    };
  }
  const v6 = ipv6(network);
  if (v6 !== undefined && extra === undefined && bits >= 0 && bits <= 127) {
    const last = v6 | ((1n << BigInt(128 - bits)) - 1n);
    return (value) => {
      const address = typeof value === 'string' ? ipv6(value) : undefined;
      return address !== undefined && address >= v6 && address <= last;
    };
  }
  throw new InvalidEventPatternError(`cidr takes an IPv4 or IPv6 block, got ${JSON.stringify(operand)}`);
}

/**
 * The values `anything-but` excludes: a value, a list of values, or one operator (`prefix`, `suffix`,
 * `wildcard`, `equals-ignore-case`) with a string or a list of them. Matches only a present value; with an
 * operator, any value that is not a string (a number, null) is not excluded, as on AWS. `null` cannot be
 * excluded, nor an empty prefix or suffix.
 */
function anythingButMatcher(operand: unknown): Matcher {
  if (isObject(operand)) {
    const entries = Object.entries(operand);
    const [operator, inner] = entries[0] ?? [];
    const operands = Array.isArray(inner) ? inner : [inner];
    if (entries.length !== 1 || operands.length === 0 || !operands.every((one) => typeof one === 'string'))
      throw new InvalidEventPatternError(`anything-but does not take ${JSON.stringify(operand)}`);
    if ((operator === 'prefix' || operator === 'suffix') && operands.some((one) => one === ''))
      throw new InvalidEventPatternError(`anything-but ${operator} may not be empty`);
    if (!['prefix', 'suffix', 'wildcard', 'equals-ignore-case'].includes(operator ?? ''))
      throw new InvalidEventPatternError(`anything-but does not take ${JSON.stringify(operand)}`);
    const excluded = operands.map((one) => operatorMatcher({ [operator as string]: one as Json }));
    return (value) => typeof value !== 'string' || !excluded.some((match) => match(value));
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  const kinds = new Set(excluded.map((one) => typeof one));
  if (excluded.length === 0 || kinds.size !== 1 || !(kinds.has('string') || kinds.has('number')))
    throw new InvalidEventPatternError(
      `anything-but takes strings or numbers, one kind, got ${JSON.stringify(operand)}`,
    );
  return (value) => !excluded.some((one) => exactMatch(one as Json, value));
}

const exactMatch = (wanted: Json, value: Json): boolean =>
  wanted === null ? value === null : typeof wanted === typeof value && wanted === value;

/** One operator object (`{ "prefix": "…" }`) as a matcher of one value. */
function operatorMatcher(spec: JsonObject): Matcher {
  const entries = Object.entries(spec);
  if (entries.length !== 1)
    throw new InvalidEventPatternError(`one operator per object, got ${JSON.stringify(spec)}`);
  const [operator, operand] = entries[0] as [string, Json];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return affixMatcher(operator, operand);
    case 'equals-ignore-case':
      if (typeof operand !== 'string')
        throw new InvalidEventPatternError('equals-ignore-case takes a string');
      return (value) => typeof value === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard': {
      if (typeof operand !== 'string') throw new InvalidEventPatternError('wildcard takes a string');
      const regex = wildcardRegex(operand);
      return (value) => typeof value === 'string' && regex.test(value);
    }
    case 'anything-but':
      return anythingButMatcher(operand);
    case 'numeric':
      return numericMatcher(operand);
    case 'cidr':
      return cidrMatcher(operand);
    default:
      throw new InvalidEventPatternError(`unknown operator ${operator}`);
  }
}

/** One pattern path's list, compiled: whether the event's values there match one of its entries. */
function compilePath(spec: Json[], where: string): (values: Json[]) => boolean {
  if (spec.length === 0) throw new InvalidEventPatternError(`empty list at ${where}`);
  const tests = spec.map((one): ((values: Json[]) => boolean) => {
    if (isObject(one) && 'exists' in one) {
      if (typeof one.exists !== 'boolean' || Object.keys(one).length !== 1)
        throw new InvalidEventPatternError('exists takes true or false');
      const wanted = one.exists;
      return (values) => wanted === values.length > 0;
    }
    if (Array.isArray(one)) throw new InvalidEventPatternError(`a list in a list at ${where}`);
    const match: Matcher = isObject(one) ? operatorMatcher(one) : (value) => exactMatch(one, value);
    return (values) => values.some(match);
  });
  return (values) => tests.some((test) => test(values));
}

type EventTest = (event: Json) => boolean;

/** A pattern object at `path`, compiled: its keys AND-ed, `$or` alternatives OR-ed. */
function compileObject(pattern: JsonObject, path: readonly string[]): EventTest {
  const tests: EventTest[] = Object.entries(pattern).map(([key, spec]) => {
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject))
        throw new InvalidEventPatternError('$or takes a list of at least two patterns');
      const alternatives = spec.map((alternative) => compileObject(alternative as JsonObject, path));
      return (event) => alternatives.some((alternative) => alternative(event));
    }
    const at = [...path, key];
    if (isObject(spec)) return compileObject(spec, at);
    if (Array.isArray(spec)) {
      const matches = compilePath(spec, at.join('.'));
      return (event) => matches(leafValues(event, at));
    }
    throw new InvalidEventPatternError(`${at.join('.')} must be a list or an object`);
  });
  return (event) => tests.every((test) => test(event));
}

/**
 * Compiles an event pattern, refusing it whole as EventBridge does when a rule is created
 * ({@link InvalidEventPatternError}), into a test of events.
 *
 * @example
 * const matches = compileEventPattern({ source: ['aws.connect'] });
 * matches(event); // true for a Connect event
 */
export function compileEventPattern(pattern: unknown): (event: unknown) => boolean {
  if (!isObject(pattern)) throw new InvalidEventPatternError('an event pattern is a JSON object');
  const test = compileObject(pattern, []);
  return (event) => test(event as Json);
}

/**
 * Whether an event matches an event pattern. Throws {@link InvalidEventPatternError} for a pattern
 * EventBridge would refuse, whatever the event.
 *
 * @example
 * matchesEventPattern({ source: ['aws.connect'], detail: { channel: ['TASK'] } }, event); // true for a task's event
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}
