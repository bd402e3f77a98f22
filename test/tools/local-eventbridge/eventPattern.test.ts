import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
} from '../../../tools/local-eventbridge/eventPattern.js';
import { LocalEventBridge } from '../../../tools/local-eventbridge/LocalEventBridge.js';

// Cases from the EventBridge user guide ("Creating event patterns", "Content filtering in event patterns"):
// each pattern with an event it must match and one it must not.
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const withDetail = (detail: Record<string, unknown>) => ({ ...ec2, detail });

const CASES: [string, unknown, unknown, boolean][] = [
  ['exact values, AND across fields', { source: ['aws.ec2'], detail: { state: ['terminated'] } }, ec2, true],
  ['exact values are case-sensitive', { detail: { state: ['Terminated'] } }, ec2, false],
  ['OR across a list of values', { detail: { state: ['stopped', 'terminated'] } }, ec2, true],
  ['a field the event lacks never matches a value', { detail: { zone: ['a'] } }, ec2, false],
  [
    'an event array matches when one element does',
    { resources: [{ suffix: 'i-1234567890abcdef0' }] },
    ec2,
    true,
  ],
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, ec2, true],
  ['prefix on another date', { time: [{ prefix: '2017-10-02' }] }, ec2, false],
  ['prefix ignoring case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, ec2, true],
  ['suffix', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'image.png' }), true],
  [
    'suffix on another extension',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'a.jpg' }),
    false,
  ],
  [
    'suffix ignoring case',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    withDetail({ FileName: 'A.PNG' }),
    true,
  ],
  [
    'equals-ignore-case',
    { detail: { name: [{ 'equals-ignore-case': 'alice' }] } },
    withDetail({ name: 'ALICE' }),
    true,
  ],
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
  ['anything-but the same string', { detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2, false],
  [
    'anything-but a number',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 123 }),
    false,
  ],
  [
    'anything-but another number',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 7 }),
    true,
  ],
  [
    'anything-but a list',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    withDetail({ state: 'stopped' }),
    false,
  ],
  [
    'anything-but a prefix',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    withDetail({ state: 'initializing' }),
    false,
  ],
  [
    'anything-but a prefix, other value',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    ec2,
    true,
  ],
  [
    'anything-but a suffix',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    withDetail({ FileName: 'a.txt' }),
    false,
  ],
  [
    'anything-but ignoring case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
    withDetail({ state: 'STOPPED' }),
    false,
  ],
  [
    'anything-but a wildcard',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/lib/x.so' }),
    false,
  ],
  [
    'anything-but needs the field',
    { detail: { initiationMethod: [{ 'anything-but': ['TRANSFER'] }] } },
    ec2,
    false,
  ],
  [
    'numeric range',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 5 }),
    true,
  ],
  [
    'numeric range, outside',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 0 }),
    false,
  ],
  [
    'numeric on a string',
    { detail: { 'c-count': [{ numeric: ['>', 0] }] } },
    withDetail({ 'c-count': '5' }),
    false,
  ],
  [
    'numeric equals',
    { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    withDetail({ 'x-limit': 301.8 }),
    true,
  ],
  ['exact number', { detail: { price: [100] } }, withDetail({ price: 100 }), true],
  ['a number is not its string', { detail: { price: [100] } }, withDetail({ price: '100' }), false],
  ['exists', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['exists, absent', { detail: { 'c-count': [{ exists: true }] } }, ec2, false],
  ['does not exist', { detail: { 'c-count': [{ exists: false }] } }, ec2, true],
  ['does not exist, present', { detail: { state: [{ exists: false }] } }, ec2, false],
  ['exists only on leaf nodes', { detail: [{ exists: true }] }, ec2, false],
  ['null', { detail: { UserID: [null] } }, withDetail({ UserID: null }), true],
  ['null is not empty', { detail: { UserID: [null] } }, withDetail({ UserID: '' }), false],
  ['empty string', { detail: { LastName: [''] } }, withDetail({ LastName: '' }), true],
  [
    'wildcard',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ FileName: 'dir/sub/a.png' }),
    true,
  ],
  [
    'wildcard, other extension',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ FileName: 'dir/a.jpg' }),
    false,
  ],
  [
    'cidr',
    { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ 'source-ip': '10.0.0.255' }),
    true,
  ],
  [
    'cidr, outside',
    { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ 'source-ip': '10.0.1.0' }),
    false,
  ],
  [
    '$or of alternatives',
    {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }],
      },
    },
    withDetail({ 'd-count': 3 }),
    true,
  ],
  [
    '$or, none matching',
    {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }],
      },
    },
    withDetail({ 'c-count': 9, 'd-count': 11 }),
    false,
  ],
  [
    '$or at the top, with other fields',
    { source: ['aws.ec2'], $or: [{ 'detail-type': ['nope'] }, { detail: { state: ['terminated'] } }] },
    ec2,
    true,
  ],
  ['a pattern object on a leaf', { detail: { state: { inner: ['x'] } } }, ec2, false],
];

describe('local EventBridge: event patterns as the user guide describes them', () => {
  it.each(CASES)('%s', (_, pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it.each([
    ['an unknown operator', { detail: { state: [{ contains: 'x' }] } }],
    ['an empty list', { source: [] }],
    ['a bare value', { source: 'aws.ec2' }],
    ['a numeric operator it does not know', { detail: { n: [{ numeric: ['!=', 1] }] } }],
    ['a $or of one', { $or: [{ source: ['a'] }] }],
  ])('refuses %s', (_, pattern) => {
    expect(() => matchesEventPattern(pattern, ec2)).toThrow(InvalidEventPatternError);
  });
});

describe('local EventBridge: where it used to differ from AWS', () => {
  const at = (detail: Record<string, unknown>) => withDetail(detail);

  it.each([
    [
      'an IPv6 block',
      { detail: { ip: [{ cidr: '2001:db8::/32' }] } },
      at({ ip: '2001:db8:85a3::8a2e:370:7334' }),
      true,
    ],
    [
      'an IPv6 address outside it',
      { detail: { ip: [{ cidr: '2001:db8::/32' }] } },
      at({ ip: '2001:db9::1' }),
      false,
    ],
    ['an IPv6 /127', { detail: { ip: [{ cidr: '::/127' }] } }, at({ ip: '0:0:0:0:0:0:0:1' }), true],
    [
      'a block from its address as written',
      { detail: { ip: [{ cidr: '10.0.0.5/24' }] } },
      at({ ip: '10.0.0.9' }),
      true,
    ],
    [
      'below the address as written',
      { detail: { ip: [{ cidr: '10.0.0.5/24' }] } },
      at({ ip: '10.0.0.1' }),
      false,
    ],
    [
      'an IPv4-mapped IPv6 value',
      { detail: { ip: [{ cidr: '10.0.0.0/8' }] } },
      at({ ip: '::ffff:a00:1' }),
      true,
    ],
    ['a literal star, escaped', { detail: { n: [{ wildcard: 'a\\*' }] } }, at({ n: 'a*' }), true],
    ['a literal star, escaped, not a run', { detail: { n: [{ wildcard: 'a\\*' }] } }, at({ n: 'ab' }), false],
    ['a literal backslash, escaped', { detail: { n: [{ wildcard: 'a\\\\*' }] } }, at({ n: 'a\\bc' }), true],
    [
      'an IPv4 address against an IPv6 block',
      { detail: { ip: [{ cidr: '::/0' }] } },
      at({ ip: '10.0.0.1' }),
      false,
    ],
    [
      'anything-but a list of prefixes',
      { detail: { state: [{ 'anything-but': { prefix: ['term', 'stop'] } }] } },
      at({ state: 'running' }),
      true,
    ],
    [
      'anything-but a list of prefixes, excluded',
      { detail: { state: [{ 'anything-but': { prefix: ['term', 'stop'] } }] } },
      at({ state: 'stopping' }),
      false,
    ],
    [
      'anything-but a list of suffixes',
      { detail: { file: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] } },
      at({ file: 'a.txt' }),
      true,
    ],
    [
      'anything-but a prefix, a number',
      { detail: { n: [{ 'anything-but': { prefix: 'a' } }] } },
      at({ n: 5 }),
      true,
    ],
    [
      'anything-but a suffix, null',
      { detail: { n: [{ 'anything-but': { suffix: 'a' } }] } },
      at({ n: null }),
      true,
    ],
    [
      'anything-but a wildcard, a number',
      { detail: { n: [{ 'anything-but': { wildcard: 'a*' } }] } },
      at({ n: 1 }),
      true,
    ],
    [
      'anything-but equals-ignore-case, null',
      { detail: { n: [{ 'anything-but': { 'equals-ignore-case': 'a' } }] } },
      at({ n: null }),
      true,
    ],
    [
      'anything-but a prefix, the field absent',
      { detail: { n: [{ 'anything-but': { prefix: 'a' } }] } },
      at({}),
      false,
    ],
  ])('%s', (_, pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it.each([
    ['anything-but null', { detail: { n: [{ 'anything-but': null }] } }],
    ['anything-but a list holding null', { detail: { n: [{ 'anything-but': ['a', null] }] } }],
    ['an empty anything-but prefix', { detail: { n: [{ 'anything-but': { prefix: '' } }] } }],
    ['an empty anything-but suffix', { detail: { n: [{ 'anything-but': { suffix: '' } }] } }],
    ['an affix nested in equals-ignore-case', { detail: { n: [{ 'equals-ignore-case': { prefix: 'a' } }] } }],
    ['two lower bounds', { detail: { n: [{ numeric: ['>', 0, '>', 5] }] } }],
    ['two upper bounds', { detail: { n: [{ numeric: ['<', 10, '<=', 5] }] } }],
    ['= with another bound', { detail: { n: [{ numeric: ['=', 1, '<', 5] }] } }],
    ['** in a wildcard', { detail: { n: [{ wildcard: 'a**b' }] } }],
    ['a cidr that is neither IPv4 nor IPv6', { detail: { ip: [{ cidr: '10.0.0.1/33' }] } }],
    ['an IPv4 /32 (AWS takes at most 31)', { detail: { ip: [{ cidr: '10.0.0.1/32' }] } }],
    ['an IPv6 /128 (AWS takes at most 127)', { detail: { ip: [{ cidr: '::1/128' }] } }],
    ['an IPv6 block with a dotted tail', { detail: { ip: [{ cidr: '::ffff:1.2.3.4/120' }] } }],
    ['an escape other than \\* and \\\\', { detail: { n: [{ wildcard: 'a\\b' }] } }],
    ['anything-but a boolean', { detail: { n: [{ 'anything-but': true }] } }],
    ['anything-but strings and numbers mixed', { detail: { n: [{ 'anything-but': ['a', 1] }] } }],
    ['an upper bound before the lower', { detail: { n: [{ numeric: ['<', 10, '>', 0] }] } }],
    ['a lower bound above the upper', { detail: { n: [{ numeric: ['>', 10, '<', 5] }] } }],
    ['a bound past 5e9', { detail: { n: [{ numeric: ['>', 6e9] }] } }],
  ])('refuses %s', (_, pattern) => {
    expect(() => matchesEventPattern(pattern, ec2)).toThrow(InvalidEventPatternError);
  });

  it('refuses a bad pattern when it is compiled, before any event reaches its bad part', () => {
    // The first alternative matches every event; the bad one is never reached by matching.
    const pattern = { $or: [{ source: ['aws.ec2'] }, { detail: { n: [{ numeric: ['>', 0, '>', 5] }] } }] };
    expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError);
  });

  it('refuses a rule with a bad pattern when the bus is configured, as PutRule does', async () => {
    const bridge = await LocalEventBridge.start({ sqsEndpoint: 'http://127.0.0.1:1' });
    try {
      const rule = {
        name: 'bad',
        arn: 'arn:aws:events:us-east-1:123456789012:rule/bad',
        busName: 'default',
        eventPattern: { detail: { n: [{ wildcard: 'a**' }] } },
        enabled: true,
        targets: [],
      };
      expect(() => bridge.configure({ buses: [], rules: [rule] })).toThrow(InvalidEventPatternError);
    } finally {
      await bridge.stop();
    }
  });
});
