/**
 * Event-time progress per Kafka partition, and from it the input watermark: the oldest of the
 * partitions' newest event times. A partition another consumer holds (or that has not been
 * read yet) holds it back, so partial input never closes a window. An assigned partition that
 * has nothing to read stops holding it back once it is *idle*: caught up (its backlog read, as
 * known at assignment from the committed and end offsets, then from each batch), without a
 * usable event for `idleTimeoutMs`, while at least two batches of other partitions went by — so
 * a partition that merely waits behind an outage or a slow batch is never taken for idle, and
 * one that delivers only unusable messages (garbage, unknown models) does not stall the rest.
 */
export class PartitionClocks {
  private readonly idleTimeoutMs: number;
  private readonly newest = new Map<number, number>();
  private all: readonly number[] | undefined;
  private readonly assigned = new Set<number>();
  private readonly lastBatchAt = new Map<number, number>();
  private readonly caughtUp = new Map<number, boolean>();
  private readonly batchesSince = new Map<number, number>();
  private now = 0;
  private cached = -Infinity;
  /** True when every partition was idle at the last recompute (then the newest time counts). */
  private allIdle = true;

  constructor(idleTimeoutMs: number) {
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** The oldest newest-event-time over the partitions that count (see class comment). */
  get watermark(): number {
    return this.cached;
  }

  setAll(partitions: readonly number[]): void {
    this.all = [...partitions];
    this.recompute();
  }

  /** `caughtUp`: per partition, whether nothing was left to read when it was assigned. */
  setAssigned(
    partitions: readonly number[],
    now: number,
    caughtUp: ReadonlyMap<number, boolean>,
  ): void {
    this.assigned.clear();
    this.lastBatchAt.clear();
    this.caughtUp.clear();
    this.batchesSince.clear();
    this.now = now;
    for (const p of partitions) {
      this.assigned.add(p);
      this.lastBatchAt.set(p, now);
      this.batchesSince.set(p, 0);
      this.caughtUp.set(p, caughtUp.get(p) ?? false);
    }
    this.recompute();
  }

  clearClocks(): void {
    this.newest.clear();
    this.recompute();
  }

  /**
   * After each batch: `caughtUp` when it reached the partition's end, `usable` when it added at
   * least one event to a window (only those count as activity for the idle rule).
   */
  endBatch(partition: number, now: number, caughtUp: boolean, usable: boolean): void {
    this.now = now;
    this.caughtUp.set(partition, caughtUp);
    for (const p of this.batchesSince.keys()) {
      if (p !== partition) this.batchesSince.set(p, (this.batchesSince.get(p) ?? 0) + 1);
    }
    if (usable) {
      this.lastBatchAt.set(partition, now);
      this.batchesSince.set(partition, 0);
    }
    this.recompute();
  }

  /** Records an on-time event; cheap when the partition's clock does not move. */
  observe(partition: number, eventTime: number): void {
    const current = this.newest.get(partition);
    if (current !== undefined && eventTime <= current) return;
    this.newest.set(partition, eventTime);
    // A partition already ahead of the watermark cannot move the minimum: skip the scan, which
    // would otherwise run for nearly every event (event times mostly increase).
    if (current !== undefined && current > this.cached && !this.allIdle) return;
    this.recompute();
  }

  private isIdle(p: number): boolean {
    if (!this.assigned.has(p)) return false;
    if (this.caughtUp.get(p) !== true) return false;
    const quietFor = this.now - (this.lastBatchAt.get(p) ?? this.now);
    return quietFor >= this.idleTimeoutMs && (this.batchesSince.get(p) ?? 0) >= 2;
  }

  private recompute(): void {
    const partitions = this.all ?? [...this.newest.keys()];
    let oldest = Infinity;
    let newestOverall = -Infinity;
    for (const p of partitions) {
      const t = this.newest.get(p) ?? -Infinity;
      newestOverall = Math.max(newestOverall, t);
      if (!this.isIdle(p)) oldest = Math.min(oldest, t);
    }
    // Every partition idle: all that could be read has been, so the newest event time counts.
    this.allIdle = oldest === Infinity;
    this.cached = this.allIdle ? newestOverall : oldest;
  }
}
