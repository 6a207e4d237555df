import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest run of synchronous work between two turns of the event loop. */
export const SLICE_MS = 10;

/**
 * Cuts long synchronous runs — a batch of thousands of messages, one watermark closing a
 * hundred models' windows — into slices, so timers, heartbeats, /metrics and the other stage
 * get a turn at least every SLICE_MS. Work loops ask `due()` (a clock read) per item and
 * `await pause()` only when it says so: most items pay no await at all.
 */
export class TimeSlice {
  private started = performance.now();

  due(): boolean {
    return performance.now() - this.started >= SLICE_MS;
  }

  async pause(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
  }

  /** For loops over items that are each a sizeable piece of work. */
  async yieldIfDue(): Promise<void> {
    if (this.due()) await this.pause();
  }
}
