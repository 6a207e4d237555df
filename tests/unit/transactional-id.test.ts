import { describe, expect, it } from 'vitest';
import { openAll, registerTransactionalId } from '../../src/kafka/transactional-id.js';

describe('opening transactional producers', () => {
  it('all or none: when one fails, the ones that opened are closed and the failure thrown', async () => {
    const closed: number[] = [];
    const open = (i: number) =>
      i === 2
        ? Promise.reject(new Error('coordinator not available'))
        : Promise.resolve({ close: () => Promise.resolve(void closed.push(i)) });
    const use = (opened: unknown[]) => Promise.resolve(opened);
    await expect(openAll([0, 1, 2, 3], open, use)).rejects.toThrow('coordinator not available');
    expect(closed.sort()).toEqual([0, 1, 3]);
    await expect(openAll([0, 1], open, use)).resolves.toHaveLength(2);
    // What is done with them fails: they are closed too.
    closed.length = 0;
    const reading = () => Promise.reject(new Error('offsets unreadable'));
    await expect(openAll([0, 1], open, reading)).rejects.toThrow('offsets unreadable');
    expect(closed.sort()).toEqual([0, 1]);
  });

  it('registers the id (an empty transaction) before anything else, and disconnects when it fails', async () => {
    const calls: string[] = [];
    const producer = (fail: boolean) => ({
      connect: () => Promise.resolve(void calls.push('connect')),
      disconnect: () => Promise.resolve(void calls.push('disconnect')),
      transaction: () => {
        calls.push('transaction');
        return fail
          ? Promise.reject(new Error('CONCURRENT_TRANSACTIONS'))
          : Promise.resolve({ abort: () => Promise.resolve(void calls.push('abort')) });
      },
    });
    await registerTransactionalId(producer(false) as never);
    expect(calls).toEqual(['connect', 'transaction', 'abort']);
    calls.length = 0;
    await expect(registerTransactionalId(producer(true) as never)).rejects.toThrow();
    expect(calls).toEqual(['connect', 'transaction', 'disconnect']);
  });
});
