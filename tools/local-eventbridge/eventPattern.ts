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

const wildcardRegex = (pattern: string, flags = ''): RegExp => {
  if (/(?<!\\)\*\*/.test(pattern))
    throw new InvalidEventPatternError(
      `wildcard may not hold two * in a row, got ${JSON.stringify(pattern)}`,
    );
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i += 1;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
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
  // One range: at most one lower and one upper bound, or one '=' alone.
  if (sides.lower > 1 || sides.upper > 1 || (sides.equal > 0 && tests.length > 1))
    throw new InvalidEventPatternError(`numeric takes one range, got ${JSON.stringify(operand)}`);
  return (value) => typeof value === 'number' && tests.every((test) => test(value));
}

/** An IPv6 address as a 128-bit number (`::` compression and an IPv4 tail accepted), or undefined. */
const ipv6 = (text: string): bigint | undefined => {
  if (!text.includes(':')) return undefined;
  let body = text;
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  let tailGroups: string[] = [];
  if (tail?.[1]) {
    const v4 = ipv4(tail[1]);
    if (v4 === undefined) return undefined;
    tailGroups = [(v4 >>> 16).toString(16), (v4 & 0xffff).toString(16)];
    body = body.slice(0, -tail[1].length - 1) || ':';
    if (body.endsWith(':') && !body.endsWith('::')) body = `${body}:`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const given = [...head, ...rest, ...tailGroups];
  const missing = 8 - given.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = halves.length === 2 ? [...head, ...Array(missing).fill('0'), ...rest, ...tailGroups] : given;
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
};

function cidrMatcher(operand: unknown): Matcher {
  const [network = '', bitsText = '', extra] = typeof operand === 'string' ? operand.split('/') : [];
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  const v4 = ipv4(network);
  if (v4 !== undefined && extra === undefined && bits >= 0 && bits <= 32) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (value) => {
      const address = typeof value === 'string' ? ipv4(value) : undefined;
      return address !== undefined && (address & mask) >>> 0 === (v4 & mask) >>> 0;
    };
  }
  const v6 = ipv6(network);
  if (v6 !== undefined && extra === undefined && bits >= 0 && bits <= 128) {
    const mask = bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
    return (value) => {
      const address = typeof value === 'string' ? ipv6(value) : undefined;
      return address !== undefined && (address & mask) === (v6 & mask);
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
  if (
    excluded.length === 0 ||
    excluded.some((one) => one === null || (typeof one === 'object' && one !== null))
  )
    throw new InvalidEventPatternError(
      `anything-but takes values other than null, got ${JSON.stringify(operand)}`,
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
