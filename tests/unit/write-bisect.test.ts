import { describe, expect, it } from 'vitest';
import { writeBisecting } from '../../src/sinks/write-bisect.js';

class Refused extends Error {}

/** A receiver that refuses any batch holding a point marked bad, and records what it stored. */
function receiver() {
  const stored: string[] = [];
  let calls = 0;
  const write = (batch: readonly string[]) => {
    calls++;
    if (batch.some((p) => p.startsWith('bad'))) return Promise.reject(new Refused('bad point'));
    stored.push(...batch);
    return Promise.resolve();
  };
  return { stored, write, calls: () => calls };
}

const isRefusal = (err: unknown) => err instanceof Refused;
const points = (n: number, bad: readonly number[]) =>
  Array.from({ length: n }, (_, i) => (bad.includes(i) ? `bad-${i}` : `ok-${i}`));

describe('writeBisecting', () => {
  it('writes a clean batch in one call', async () => {
    const r = receiver();
    expect(await writeBisecting(points(10, []), r.write, { isRefusal })).toEqual([]);
    expect(r.stored).toHaveLength(10);
    expect(r.calls()).toBe(1);
  });

  it.each([
    [1, [0]],
    [7, [3]],
    [64, [63]],
    [100, [0, 50, 99]],
    [33, [1, 2, 3, 4]],
  ])(
    'of %i points with bad ones at %j, writes every good point and refuses only the bad',
    async (n, bad) => {
      const r = receiver();
      const input = points(n, bad);
      const refused = await writeBisecting(input, r.write, { isRefusal });
      expect(refused.map((x) => x.point)).toEqual(bad.map((i) => `bad-${i}`));
      expect(refused.every((x) => x.err instanceof Refused)).toBe(true);
      expect([...r.stored].sort()).toEqual(input.filter((p) => p.startsWith('ok')).sort());
    },
  );

  it('finds one bad point among 1,024 in about 2·log2(n) calls, not n', async () => {
    const r = receiver();
    await writeBisecting(points(1_024, [700]), r.write, { isRefusal });
    expect(r.calls()).toBeLessThanOrEqual(2 * 10 + 1);
  });

  it('rethrows any other failure (outages are the caller’s to retry) and calls between after refusals', async () => {
    let betweens = 0;
    const outage = new Error('connection refused');
    await expect(writeBisecting(['ok'], () => Promise.reject(outage), { isRefusal })).rejects.toBe(
      outage,
    );
    const r = receiver();
    await writeBisecting(points(4, [2]), r.write, {
      isRefusal,
      between: () => (betweens++, Promise.resolve()),
    });
    // Refused: the whole batch, its second half, and the bad point alone.
    expect(betweens).toBe(3);
  });
});
