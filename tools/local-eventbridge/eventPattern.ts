/**
 * EventBridge event-pattern matching, as the EventBridge user guide describes it ("Event patterns", "Content
 * filtering"), for the local EventBridge. The event and the pattern are both flattened to leaf paths
 * (`detail.queueInfo.queueArn`); a pattern matches when every one of its paths matches (AND) and, at each
 * path, one of its values matches one of the event's values there (OR; an event array offers each of its
 * elements). Operators: exact values (string, number, boolean, null), `prefix`, `suffix` (each also with
 * `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or `prefix`,
 * `suffix`, `wildcard`, `equals-ignore-case`), `numeric`, `exists`, `cidr` (IPv4), and `$or`.
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
  for (let i = 0; i < operand.length; i += 2) {
    const compare = NUMERIC_OPERATORS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number')
      throw new InvalidEventPatternError(`numeric: unknown operator or bound ${JSON.stringify(operand)}`);
    tests.push((n) => compare(n, bound));
  }
  return (value) => typeof value === 'number' && tests.every((test) => test(value));
}

function cidrMatcher(operand: unknown): Matcher {
  const [network = '', bitsText = ''] = typeof operand === 'string' ? operand.split('/') : [];
  const base = ipv4(network);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new InvalidEventPatternError(`cidr takes an IPv4 block, got ${JSON.stringify(operand)}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (value) => {
    const address = typeof value === 'string' ? ipv4(value) : undefined;
    return address !== undefined && (address & mask) >>> 0 === (base & mask) >>> 0;
  };
}

/** The values `anything-but` excludes: a value, a list, or one operator. Matches only a present value. */
function anythingButMatcher(operand: unknown): Matcher {
  if (isObject(operand)) {
    const [operator, inner] = Object.entries(operand)[0] ?? [];
    if (operator === 'prefix' || operator === 'suffix') {
      const excluded = affixMatcher(operator, inner);
      return (value) => typeof value === 'string' && !excluded(value);
    }
    if (operator === 'wildcard' || operator === 'equals-ignore-case') {
      const excluded = (Array.isArray(inner) ? inner : [inner]).map((one) =>
        operatorMatcher({ [operator]: one as Json }),
      );
      return (value) => typeof value === 'string' && !excluded.some((match) => match(value));
    }
    throw new InvalidEventPatternError(`anything-but does not take ${JSON.stringify(operand)}`);
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
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

/** Whether the values at one pattern path match the event's values there. */
function pathMatches(spec: Json[], values: Json[]): boolean {
  for (const one of spec) {
    if (isObject(one) && 'exists' in one) {
      if (typeof one.exists !== 'boolean') throw new InvalidEventPatternError('exists takes true or false');
      if (one.exists === values.length > 0) return true;
      continue;
    }
    const match: Matcher = isObject(one) ? operatorMatcher(one) : (value) => exactMatch(one, value);
    if (values.some(match)) return true;
  }
  return false;
}

/** Whether an event matches a pattern object at `path` (its keys AND-ed, `$or` alternatives OR-ed). */
function objectMatches(pattern: JsonObject, event: Json, path: readonly string[]): boolean {
  for (const [key, spec] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject))
        throw new InvalidEventPatternError('$or takes a list of at least two patterns');
      if (!spec.some((alternative) => objectMatches(alternative as JsonObject, event, path))) return false;
    } else if (isObject(spec)) {
      if (!objectMatches(spec, event, [...path, key])) return false;
    } else if (Array.isArray(spec)) {
      if (spec.length === 0) throw new InvalidEventPatternError(`empty list at ${[...path, key].join('.')}`);
      if (!pathMatches(spec, leafValues(event, [...path, key]))) return false;
    } else {
      throw new InvalidEventPatternError(`${[...path, key].join('.')} must be a list or an object`);
    }
  }
  return true;
}

/**
 * Whether an event matches an event pattern. Throws {@link InvalidEventPatternError} for a pattern
 * EventBridge would refuse.
 *
 * @example
 * matchesEventPattern({ source: ['aws.connect'], detail: { channel: ['TASK'] } }, event); // true for a task's event
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new InvalidEventPatternError('an event pattern is a JSON object');
  return objectMatches(pattern, event as Json, []);
}
