import type { EachBatchPayload } from 'kafkajs';
import { Exclusive } from '../shared/exclusive.js';

/**
 * A consumer-group stage that handles one batch (or timer tick) at a time and rebuilds its
 * partition state after every group join, before the next batch or tick touches it. kafkajs
 * may fetch for partitions the join took away, so the state must be replaced as a whole, never
 * patched, and a batch waiting its turn keeps the membership alive by heartbeating.
 */
export abstract class SerialStage {
  protected readonly exclusive = new Exclusive();
  private pendingJoin: readonly number[] | undefined;

  /** `initialJoin`: the state to build before the first batch (none: wait for a join). */
  protected constructor(initialJoin?: readonly number[]) {
    this.pendingJoin = initialJoin;
  }

  /** kafkajs resumes from the committed offsets after every join: state restarts from them. */
  onGroupJoin(assigned: readonly number[]): void {
    this.pendingJoin = [...assigned];
  }

  /** Resolves once no batch or tick is in hand (a stop waits for the timer's work too). */
  settled(): Promise<void> {
    return this.exclusive.run(() => Promise.resolve());
  }

  handleBatch(payload: EachBatchPayload): Promise<void> {
    return this.exclusive.run(
      async () => {
        await this.joinIfPending();
        await this.processBatch(payload);
      },
      () => payload.heartbeat(),
    );
  }

  /** Builds the state of the last join (loops if another join lands meanwhile). */
  protected async joinIfPending(): Promise<void> {
    while (this.pendingJoin !== undefined) {
      const assigned = this.pendingJoin;
      this.pendingJoin = undefined;
      await this.join(assigned);
    }
  }

  /** Replaces the partition state with that of the `assigned` partitions. */
  protected abstract join(assigned: readonly number[]): Promise<void>;

  /** One batch of a partition this member owns after the latest join. */
  protected abstract processBatch(payload: EachBatchPayload): Promise<void>;
}
