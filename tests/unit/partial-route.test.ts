import { describe, expect, it } from 'vitest';
import { fnv1a32, routeModel } from '../../src/partials/route.js';

describe('routeModel', () => {
  // '', 'a' and 'foobar' are FNV-1a's published 32-bit test vectors; the others were computed
  // with a separate Python implementation over the names' UTF-8 bytes.
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['fraud', 0x02d027a1],
    ['credit-risk', 0xb935123c],
    ['modèle-名前', 0xeaddb987],
  ])('hashes %j with FNV-1a over its UTF-8 bytes', (name, hash) => {
    expect(fnv1a32(name)).toBe(hash);
  });

  it.each([
    ['fraud', 12, 5],
    ['fraud', 7, 0],
    ['credit-risk', 12, 4],
    ['modèle-名前', 12, 7],
    ['modèle-名前', 7, 4],
    ['foobar', 1, 0],
  ])('routes %j among %i partitions to %i', (name, partitions, expected) => {
    expect(routeModel(name, partitions)).toBe(expected);
  });

  it('refuses a partition count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => routeModel('fraud', bad)).toThrow(RangeError);
  });
});
