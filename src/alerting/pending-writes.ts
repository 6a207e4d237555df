/**
 * The evaluations whose output is not durable yet, oldest first. The alert engine moves on the
 * moment it evaluates (its cursors advance, its changes are taken), so the windows are never
 * evaluated again: output whose write failed (say a rebalance error escaping the retry's
 * heartbeat) must wait here and be written, in order, before anything newer. Meanwhile the
 * input offsets stay uncommitted, as the pipeline commits only once the write resolved.
 * Calls must not overlap (the pipeline awaits each one).
 */
export class PendingWrites<T> {
  private readonly queue: T[] = [];

  get size(): number {
    return this.queue.length;
  }

  push(entry: T): void {
    this.queue.push(entry);
  }

  /**
   * Writes the queued entries head first; each leaves the queue only once `write` resolved for
   * it. A failure rethrows and leaves that entry and every later one queued for the next call.
   */
  async writeAll(write: (entry: T) => Promise<void>): Promise<void> {
    while (this.queue.length > 0) {
      await write(this.queue[0] as T);
      this.queue.shift();
    }
  }
}
