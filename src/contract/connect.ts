/**
 * Connect refuses a contact's 12th transfer: an orchestrator's cap can be configured lower, never higher.
 * (The Connect simulator keeps its own copy of this rule on purpose: a checker must not share the checked
 * code.)
 */
export const CONNECT_TRANSFER_LIMIT = 11;

/** `TransferContact`'s default quota per account and Region, shared with every other caller. */
export const CONNECT_TRANSFER_QUOTA = { ratePerSecond: 2, burst: 5 } as const;

/**
 * Above this rate (calls/s) Connect's bucket of 5 is under a second deep: the worker's calls take call times
 * from the schedule's call cursor (one more ledger write a call, which the table's capacity counts) and a
 * lone throttle may be answered with a pause. At or below it, calls keep their slots.
 */
export const CALL_CURSOR_ABOVE_RATE = CONNECT_TRANSFER_QUOTA.burst;

/**
 * The burst of the default quota of Connect's APIs that publish none of their own (`DescribeContact`,
 * `ListAssociatedContacts`, `UpdateContactAttributes`): 2 requests/s, burst 5, per API, account and Region.
 */
export const CONNECT_DEFAULT_BURST = 5;

/**
 * `UpdateContactAttributes`' rules for a request's `Attributes`, from the Amazon Connect API reference: keys
 * of letters, digits, dash and underscore; up to 32,768 UTF-8 bytes across all of a contact's attributes
 * (the request's own are checked: Connect holds the rest).
 */
export const CONTACT_ATTRIBUTES_LIMITS = {
  keyPattern: /^[A-Za-z0-9_-]+$/,
  maxTotalBytes: 32_768,
} as const;

/**
 * What is wrong with an attributes map, as `UpdateContactAttributes` would refuse it: each bad key, and the
 * size when over the limit (empty when nothing is).
 *
 * @example
 * contactAttributesProblems({ 'bad key': 'x' }); // ['key "bad key" may hold only letters, digits, - and _']
 */
export function contactAttributesProblems(attributes: Readonly<Record<string, string>>): string[] {
  const problems = Object.keys(attributes)
    .filter((key) => !CONTACT_ATTRIBUTES_LIMITS.keyPattern.test(key))
    .map((key) => `key ${JSON.stringify(key)} may hold only letters, digits, - and _`);
  const bytes = Object.entries(attributes).reduce(
    (sum, [key, value]) => sum + utf8Length(key) + utf8Length(String(value)),
    0,
  );
  if (bytes > CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes)
    problems.push(
      `at most ${CONTACT_ATTRIBUTES_LIMITS.maxTotalBytes} UTF-8 bytes (keys and values), got ${bytes}`,
    );
  return problems;
}

/**
 * A string's length in UTF-8 bytes, as `Buffer.byteLength` counts it (a lone surrogate as the 3 bytes of
 * U+FFFD), without Node's `Buffer`: the contract also compiles into the jsii construct package.
 */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
