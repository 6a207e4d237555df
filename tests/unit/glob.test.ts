import { describe, expect, it } from 'vitest';
import { compileGlob, globLiteralPrefix, globMatches } from '../../alert-engine/glob.js';

/**
 * The translation the rules used before (an anchored regular expression): the oracle for the
 * semantics, safe on the short values it is given here.
 */
function regexOracle(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

/** Every string of length 0..max over the alphabet. */
function strings(alphabet: string, max: number): string[] {
  let level = [''];
  const out = [''];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => [...alphabet].map((c) => s + c));
    out.push(...level);
  }
  return out;
}

describe('glob matching', () => {
  it('matches the documented syntax: * any run (also none), ? exactly one, the rest literally', () => {
    const table: [string, string, boolean][] = [
      ['fraud', 'fraud', true],
      ['fraud', 'fraud2', false],
      ['fraud*', 'fraud', true],
      ['fraud*', 'fraud-eu', true],
      ['fraud*', 'xfraud', false],
      ['*-eu', 'fraud-eu', true],
      ['*-eu', 'fraud-eu2', false],
      ['fraud-?', 'fraud-3', true],
      ['fraud-?', 'fraud-', false],
      ['fraud-?', 'fraud-34', false],
      ['?', '', false],
      ['*', '', true],
      ['**', 'anything', true],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'axxbyyc', true],
      ['a*b*c', 'acb', false],
      ['a*a', 'a', false],
      ['a*a', 'aa', true],
      ['*-rc*-hotfix', '2.0-rc1-hotfix', true],
      ['*-rc*-hotfix', '2.0-rc1-hotfix-2', false],
      ['?*?', 'ab', true],
      ['?*?', 'a', false],
      // No classes, no escapes: brackets, dots and backslashes are themselves.
      ['v[12]', 'v[12]', true],
      ['v[12]', 'v1', false],
      ['v1.2', 'v1x2', false],
      ['a\\*', 'a\\bc', true],
      ['a\\*', 'a*', false],
      // Line breaks are characters like any other.
      ['a*b', 'a\nb', true],
      ['a?b', 'a\nb', true],
      ['fraud', 'fraud\n', false],
    ];
    for (const [pattern, value, expected] of table) {
      expect({ pattern, value, matches: globMatches(pattern, value) }).toEqual({
        pattern,
        value,
        matches: expected,
      });
      expect(regexOracle(pattern).test(value)).toBe(expected);
    }
  });

  it('gives the same answer as the former regular expression on every small pattern and value', () => {
    const values = strings('ab', 6);
    for (const pattern of strings('ab*?', 4)) {
      const oracle = regexOracle(pattern);
      const matcher = compileGlob(pattern);
      const differing = values.filter((v) => matcher(v) !== oracle.test(v));
      expect({ pattern, differing }).toEqual({ pattern, differing: [] });
    }
  });

  it('a list matches when any of its globs does; plain names and * keep their fast paths', () => {
    const m = compileGlob(['fraud', 'churn-*', '?x']);
    expect(['fraud', 'churn-eu', 'ax', 'fraud2', 'churn', 'x'].map(m)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    const names = compileGlob(['3', '4']);
    expect(['3', '4', '34'].map(names)).toEqual([true, true, false]);
    expect(compileGlob(['x', '*'])('anything')).toBe(true);
    expect(compileGlob('***')('')).toBe(true);
  });

  it('answers adversarial values that made the regular expression backtrack for minutes', () => {
    const as10k = 'a'.repeat(10_000);
    const as300k = 'a'.repeat(300_000);
    expect(globMatches('*a*a*b', as10k)).toBe(false);
    expect(globMatches('*a*a*b', as300k)).toBe(false);
    expect(globMatches('*a*a*b', `${as300k}b`)).toBe(true);
    expect(globMatches('*a?a*a?b', as300k)).toBe(false);
    const version = '-rc'.repeat(100_000);
    expect(globMatches('*-rc*-hotfix', version)).toBe(false);
    expect(globMatches('*-rc*-hotfix', `${version}-hotfix`)).toBe(true);
    expect(compileGlob(['*-rc*-hotfix', '*a*a*b'])(version)).toBe(false);
    // Many stars against a value where every segment almost matches everywhere.
    const pattern = `${'*a'.repeat(50)}*b`;
    expect(globMatches(pattern, as300k)).toBe(false);
    expect(globMatches(`${'*a?'.repeat(50)}*`, as300k)).toBe(true);
  });

  it("knows a glob's literal prefix", () => {
    expect(['fraud-*', 'fraud?', 'fraud', '*x', ''].map(globLiteralPrefix)).toEqual([
      'fraud-',
      'fraud',
      'fraud',
      '',
      '',
    ]);
  });
});
