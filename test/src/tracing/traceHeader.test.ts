import { describe, expect, it } from 'vitest';
import {
  formatTraceHeader,
  parseTraceHeader,
  passedOnTraceHeader,
} from '../../../src/tracing/traceHeader.js';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';

describe('parseTraceHeader', () => {
  it('reads the root, parent and sampling decision, in any order, and leaves the rest out', () => {
    expect(
      parseTraceHeader(`Sampled=1;Lineage=a87bd80c:15;Parent=53995c3f42cd8ad8;Root=${ROOT};Self=x`),
    ).toEqual({
      root: ROOT,
      parent: '53995c3f42cd8ad8',
      sampled: '1',
    });
    expect(parseTraceHeader(`Root=${ROOT}`)).toEqual({ root: ROOT });
  });

  it.each([
    ['no root', 'Parent=53995c3f42cd8ad8;Sampled=1'],
    ['a root of the wrong shape', 'Root=1-5759e988-bd862e3f'],
    ['an upper-case root', `Root=${ROOT.toUpperCase()}`],
    ['a parent of the wrong shape', `Root=${ROOT};Parent=xyz`],
    ['a sampling decision X-Ray does not know', `Root=${ROOT};Sampled=yes`],
    ['a field twice', `Root=${ROOT};Root=${ROOT}`],
    ['a field without a value', `Root=${ROOT};Parent`],
    ['a value over 1 KB', `Root=${ROOT};Self=${'a'.repeat(1_100)}`],
    ['an empty string', ''],
    ['not a string', 42],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceHeader(value)).toBeUndefined();
  });
});

describe('passedOnTraceHeader', () => {
  it('passes on the same trace without Lambda’s hop counter', () => {
    expect(passedOnTraceHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:15`)).toBe(
      `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
    );
    expect(passedOnTraceHeader('Root=forged')).toBeUndefined();
    expect(formatTraceHeader({ root: ROOT, sampled: '?' })).toBe(`Root=${ROOT};Sampled=?`);
  });
});
