import { describe, expect, it } from 'vitest';
import { compilePath, parsePath } from '../../src/shared/json-path.js';

const doc = {
  a: { b: [10, { c: 'deep' }], 'x.y': 1, 'k/l': 2, 'm~n': 3 },
  list: ['zero', 'one'],
  '': 'empty key',
};

describe('paths into a message', () => {
  it('reads JSON Pointers (RFC 6901), escapes included', () => {
    expect(compilePath('/a/b/0').get(doc)).toBe(10);
    expect(compilePath('/a/b/1/c').get(doc)).toBe('deep');
    expect(compilePath('/a/x.y').get(doc)).toBe(1);
    expect(compilePath('/a/k~1l').get(doc)).toBe(2);
    expect(compilePath('/a/m~0n').get(doc)).toBe(3);
    expect(compilePath('/').get(doc)).toBe('empty key');
    expect(compilePath('').get(doc)).toBe(doc);
  });

  it('reads dotted paths, numeric segments indexing lists', () => {
    expect(compilePath('a.b.0').get(doc)).toBe(10);
    expect(compilePath('a.b.1.c').get(doc)).toBe('deep');
    expect(compilePath('list.1').get(doc)).toBe('one');
  });

  it('gives undefined for anything absent, never an inherited property', () => {
    for (const path of [
      '/a/zz',
      'a.b.5',
      'list.01',
      'list.-1',
      'a.b.0.c',
      'constructor',
      '/a/__proto__',
      'a.toString',
    ]) {
      expect(compilePath(path).get(doc), path).toBeUndefined();
    }
    expect(compilePath('/a/b').get(null)).toBeUndefined();
    expect(compilePath('/a/b/c/d').get(doc)).toBeUndefined();
  });

  it('refuses malformed paths with the reason (a dot inside a key needs a pointer)', () => {
    const error = (text: string) => {
      const parsed = parsePath(text);
      return Array.isArray(parsed) ? '' : parsed.error;
    };
    expect(error('/a/~2')).toContain('"~" must be followed by 0 or 1');
    expect(error('a..b')).toContain('JSON Pointer');
    expect(parsePath('.a')).toHaveProperty('error');
    expect(() => compilePath('a.')).toThrow(/empty segment/);
  });

  it('names a child path in the syntax the user wrote', () => {
    expect(compilePath('/a/b').child('c/d')).toBe('/a/b/c~1d');
    expect(compilePath('a.b').child(3)).toBe('a.b.3');
    expect(compilePath('').child('x')).toBe('/x');
  });
});
