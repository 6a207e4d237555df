/**
 * Bounds how many log lines a flood of similar events produces: the first `perInterval` in each
 * interval are logged, the rest are counted and reported in one line when the next interval
 * starts. Metrics still count every event.
 */
export class LogLimiter {
  private readonly perInterval: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private intervalStart = -Infinity;
  private logged = 0;
  private suppressed = 0;

  constructor(perInterval: number, intervalMs: number, now: () => number = Date.now) {
    this.perInterval = perInterval;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Whether to log this occurrence, and how many went unlogged in the interval that ended. */
  take(): { log: boolean; suppressedBefore: number } {
    const t = this.now();
    let suppressedBefore = 0;
    if (t - this.intervalStart >= this.intervalMs) {
      suppressedBefore = this.suppressed;
      this.intervalStart = t;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged < this.perInterval) {
      this.logged++;
      return { log: true, suppressedBefore };
    }
    this.suppressed++;
    return { log: false, suppressedBefore };
  }
}
