/** What a rule's target sends: the whole event, a constant, a part of the event, or a transformed one. */
export interface TargetInputSpec {
  /** A constant JSON text. */
  readonly input?: string;
  /** A JSON path to the part of the event to send (`$.detail`). */
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap?: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
}

/** The rule the event matched, for the predefined variables. */
export interface RuleIdentity {
  readonly name: string;
  readonly arn: string;
}

/**
 * The value at a JSON path of the kind EventBridge supports (`$`, dot notation with dashes and underscores,
 * array indices), or `undefined` when there is none.
 *
 * @example
 * valueAtPath({ detail: { ids: ['a', 'b'] } }, '$.detail.ids[1]'); // 'b'
 */
export function valueAtPath(event: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  const steps = path
    .slice(1)
    .split(/\.|(?=\[)/)
    .filter(Boolean);
  let value: unknown = event;
  for (const step of steps) {
    const index = /^\[(\d+)\]$/.exec(step);
    if (index) value = Array.isArray(value) ? value[Number(index[1])] : undefined;
    else
      value =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[step] : undefined;
    if (value === undefined) return undefined;
  }
  return value;
}

/** A value as it goes inside a JSON string of the template: a string's characters, escaped; else its JSON. */
const insideString = (value: unknown): string => {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text).slice(1, -1);
};
/** A value as it goes in JSON, outside a string: its JSON (`null` when the path found nothing). */
const outsideString = (value: unknown): string => (value === undefined ? 'null' : JSON.stringify(value));

/**
 * Fills an input template: each `<name>` of the paths map (or a predefined `aws.events.*` variable) becomes
 * its value: inside a JSON string, the value's characters; outside, its JSON. A template that is not JSON (a
 * text) takes each value's characters. Other `<…>` stay as written.
 *
 * @example
 * fillTemplate('{"token":"rule-<id>","contact":<id>}', { id: 'c-1' }); // '{"token":"rule-c-1","contact":"c-1"}'
 */
export function fillTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  const json = /^\s*[[{]/.test(template);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i += 1) {
    const char = template[i] as string;
    if (char === '\\' && inString) {
      out += char + (template[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (char === '"') inString = !inString;
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (name && Object.hasOwn(values, name)) {
        const value = values[name];
        out += !json
          ? typeof value === 'string'
            ? value
            : outsideString(value)
          : inString
            ? insideString(value)
            : outsideString(value);
        i = end;
        continue;
      }
    }
    out += char;
  }
  return out;
}

/**
 * The message a target receives for an event, as EventBridge builds it.
 *
 * @example
 * targetMessage({ inputPath: '$.detail' }, event, rule); // the event's detail, as JSON
 */
export function targetMessage(
  spec: TargetInputSpec,
  event: Record<string, unknown>,
  rule: RuleIdentity,
): string {
  if (spec.input !== undefined) return spec.input;
  if (spec.inputPath !== undefined) return JSON.stringify(valueAtPath(event, spec.inputPath) ?? null);
  if (!spec.inputTransformer) return JSON.stringify(event);
  const values: Record<string, unknown> = {
    'aws.events.rule-arn': rule.arn,
    'aws.events.rule-name': rule.name,
    'aws.events.event.ingestion-time': event.time,
    'aws.events.event.json': event,
    // The original event without its detail (the user guide: usable only as a JSON field's value).
    'aws.events.event': Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'detail')),
  };
  for (const [name, path] of Object.entries(spec.inputTransformer.inputPathsMap ?? {}))
    values[name] = valueAtPath(event, path);
  return fillTemplate(spec.inputTransformer.inputTemplate, values);
}
