import { describe, expect, it } from 'vitest';
import { pointsByPartition } from '../../src/daemon/alert-routing.js';
import { routeModel } from '../../src/partials/route.js';
import type { WindowPoint } from '../../src/windows/evaluate.js';

describe('routing models to partitions', () => {
  it('is FNV-1a (32 bits, unsigned) over the UTF-8 bytes of the model name, modulo the count', () => {
    // Reference hashes: "" 0x811c9dc5, "a" 0xe40c292c, "foobar" 0xbf9cf968.
    expect(routeModel('', 1_000_003)).toBe(0x811c9dc5 % 1_000_003);
    expect(routeModel('a', 1_000_003)).toBe(0xe40c292c % 1_000_003);
    expect(routeModel('foobar', 1_000_003)).toBe(0xbf9cf968 % 1_000_003);
    expect(routeModel('é', 2 ** 31)).not.toBe(routeModel('e', 2 ** 31));
    expect(routeModel('fraud', 1)).toBe(0);
  });

  it('sends all points of a model (every version) to one partition', () => {
    const point = (model: string, modelVersion: string) =>
      ({ model, modelVersion }) as unknown as WindowPoint;
    const points = ['m0', 'm1', 'm2', 'm3'].flatMap((m) => [point(m, '1'), point(m, '2')]);
    const routed = pointsByPartition(points, 3);
    for (const [q, list] of routed) {
      for (const p of list) expect(routeModel(p.model, 3)).toBe(q);
    }
    expect([...routed.values()].flat()).toHaveLength(points.length);
  });
});
