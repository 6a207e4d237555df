import type { EachBatchPayload } from 'kafkajs';
import { Exclusive } from '../shared/exclusive.js';
import { heartbeating } from './heartbeat.js';

/**
 * How often the batch that rebuilds the state heartbeats (kafkajs sends one at most every
 * heartbeatInterval, so asking more often costs nothing).
 */
const JOIN_HEARTBEAT_MS = 1_000;

/**
 * The rest of a batch, returned by `processBatch`: waiting for I/O (a write to be acknowledged,
 * a commit) that may overlap the next batch of another partition. It runs after the batch's
 * turn ends; the batch (kafkajs' eachBatch) is done when it is.
 */
export type BatchTail = () => Promise<void>;

const noHeartbeat = () => Promise.resolve();

/**
 * A consumer-group stage that handles one batch (or timer tick) at a time and rebuilds its
 * partition state after every group join, before the next batch or tick touches it. kafkajs
 * may fetch for partitions the join took away, so the state must be replaced as a whole, never
 * patched. A batch waiting its turn keeps the membership alive by heartbeating, and so does the
 * batch that rebuilds the state: kafkajs heartbeats only between batches, and a rebuild that
 * reads a whole topic (the delayed-labels join, the quality writer) may outlast the session —
 * the member would be evicted, rejoin, rebuild again and be evicted again.
 *
 * A batch may hand back a tail (see BatchTail): tails of different partitions then run
 * alongside each other and the turns of later batches; a partition's next batch comes only
 * after its tail (kafkajs hands out a partition's batches one at a time), and a join or a stop
 * waits for every tail in flight.
 */
export abstract class SerialStage {
  protected readonly exclusive = new Exclusive();
  private pendingJoin: readonly number[] | undefined;
  private readonly tails = new Set<Promise<void>>();

  /** `initialJoin`: the state to build before the first batch (none: wait for a join). */
  protected constructor(initialJoin?: readonly number[]) {
    this.pendingJoin = initialJoin;
  }

  /** kafkajs resumes from the committed offsets after every join: state restarts from them. */
  onGroupJoin(assigned: readonly number[]): void {
    this.pendingJoin = [...assigned];
  }

  /** Resolves once no batch, tail or tick is in hand (a stop waits for the timer's work too). */
  settled(): Promise<void> {
    return this.exclusive.run(() => this.tailsDone());
  }

  async handleBatch(payload: EachBatchPayload): Promise<void> {
    const tail = await this.exclusive.run(
      async () => {
        await heartbeating(
          payload,
          this.joinIfPending(() => payload.heartbeat()),
          JOIN_HEARTBEAT_MS,
        );
        return this.processBatch(payload);
      },
      () => payload.heartbeat(),
    );
    if (!tail) return;
    const running = tail();
    this.tails.add(running);
    try {
      await running;
    } finally {
      this.tails.delete(running);
    }
  }

  /**
   * Builds the state of the last join (loops if another join lands meanwhile); `heartbeat`
   * keeps the membership of a join that waits (a batch's, or none from a timer tick).
   */
  protected async joinIfPending(heartbeat: () => Promise<void> = noHeartbeat): Promise<void> {
    while (this.pendingJoin !== undefined) {
      // The tails in flight belong to the state the join replaces: they finish first.
      await this.tailsDone();
      const assigned = this.pendingJoin;
      this.pendingJoin = undefined;
      await this.join(assigned, heartbeat);
    }
  }

  /** Every tail in flight has settled (a failed one is its own batch's error). */
  private async tailsDone(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails]);
  }

  /** Replaces the partition state with that of the `assigned` partitions. */
  protected abstract join(
    assigned: readonly number[],
    heartbeat: () => Promise<void>,
  ): Promise<void>;

  /**
   * One batch of a partition this member owns after the latest join, in the stage's turn; what
   * it returns (if anything) runs after the turn (see BatchTail).
   */
  protected abstract processBatch(payload: EachBatchPayload): Promise<void | BatchTail>;
}
