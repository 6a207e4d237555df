import type { EachBatchPayload } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialStage } from '../../src/kafka/serial-stage.js';

/** A stage whose rebuild after a join lasts until the test lets it finish. */
class SlowRestore extends SerialStage {
  finishRestore!: () => void;
  readonly batches: number[] = [];

  constructor() {
    super();
  }

  protected join(): Promise<void> {
    return new Promise((resolve) => (this.finishRestore = resolve));
  }

  protected processBatch(payload: EachBatchPayload): Promise<void> {
    this.batches.push(payload.batch.partition);
    return Promise.resolve();
  }
}

const payload = (heartbeat: () => Promise<void>) =>
  ({ batch: { partition: 0, messages: [] }, heartbeat }) as unknown as EachBatchPayload;

afterEach(() => {
  vi.useRealTimers();
});

describe('SerialStage', () => {
  it('heartbeats while the batch that follows a group join rebuilds the state', async () => {
    vi.useFakeTimers();
    const stage = new SlowRestore();
    const heartbeat = vi.fn(() => Promise.resolve());
    stage.onGroupJoin([0]);
    const handled = stage.handleBatch(payload(heartbeat));
    // A restore reading a whole topic for longer than the session (30 s by default).
    await vi.advanceTimersByTimeAsync(60_000);
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(50);
    expect(stage.batches).toEqual([]);
    stage.finishRestore();
    await handled;
    expect(stage.batches).toEqual([0]);
    // Done: no more heartbeats from the restore.
    const calls = heartbeat.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(heartbeat.mock.calls.length).toBe(calls);
  });

  it('a heartbeat refused during the restore (a rebalance) does not fail the batch', async () => {
    vi.useFakeTimers();
    const stage = new SlowRestore();
    const heartbeat = vi.fn(() => Promise.reject(new Error('REBALANCE_IN_PROGRESS')));
    stage.onGroupJoin([0]);
    const handled = stage.handleBatch(payload(heartbeat));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeat).toHaveBeenCalled();
    stage.finishRestore();
    await expect(handled).resolves.toBeUndefined();
  });
});
