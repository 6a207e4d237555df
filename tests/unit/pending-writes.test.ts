import { describe, expect, it } from 'vitest';
import { PendingWrites } from '../../src/alerting/pending-writes.js';

class RebalanceError extends Error {
  readonly type = 'REBALANCE_IN_PROGRESS';
}

describe('PendingWrites: evaluations not written yet wait, in order', () => {
  it('a failed write keeps the evaluation; the next call writes it first, then the new one', async () => {
    const pending = new PendingWrites<string>();
    const written: string[] = [];

    pending.push('evaluation 1');
    await expect(
      pending.writeAll(() => Promise.reject(new RebalanceError('rebalancing'))),
    ).rejects.toThrow('rebalancing');
    expect(pending.size).toBe(1);

    pending.push('evaluation 2');
    await pending.writeAll((e) => {
      written.push(e);
      return Promise.resolve();
    });
    expect(written).toEqual(['evaluation 1', 'evaluation 2']);
    expect(pending.size).toBe(0);
  });

  it('entries leave only once written: a failure in the middle keeps it and the later ones', async () => {
    const pending = new PendingWrites<number>();
    for (const n of [1, 2, 3]) pending.push(n);
    const attempts: number[] = [];
    await expect(
      pending.writeAll((n) => {
        attempts.push(n);
        return n === 2 ? Promise.reject(new Error('outage')) : Promise.resolve();
      }),
    ).rejects.toThrow('outage');
    expect(attempts).toEqual([1, 2]);
    expect(pending.size).toBe(2);

    const retried: number[] = [];
    pending.push(4);
    await pending.writeAll((n) => {
      retried.push(n);
      return Promise.resolve();
    });
    expect(retried).toEqual([2, 3, 4]);
  });

  it('nothing queued: nothing written', async () => {
    const pending = new PendingWrites<string>();
    let calls = 0;
    await pending.writeAll(() => {
      calls++;
      return Promise.resolve();
    });
    expect(calls).toBe(0);
  });
});
