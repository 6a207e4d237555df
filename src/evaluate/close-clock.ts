/**
 * When each window end of one stage-2 batch became closable: the Kafka timestamp of the
 * progress record that moved the closable point past it (stage 1 stamps it when it hands the
 * record on, right after its watermark passed). From there to InfluxDB's acknowledgement is the
 * window's close latency (driftwatch_window_close_seconds). Across hosts it includes their
 * clock difference; after a restart, the time the replay took.
 */
export class CloseClock {
  private readonly passed: { upTo: number; at: number }[] = [];
  private upTo: number;
  /** For windows that became closable otherwise (a source's idleness ran out): the batch start. */
  private readonly fallbackAt: number;

  constructor(closableUpTo: number, batchStartedAt: number) {
    this.upTo = closableUpTo;
    this.fallbackAt = batchStartedAt;
  }

  /** After a progress record with this Kafka timestamp (ms), the closable point is `upTo`. */
  note(upTo: number, timestamp: number): void {
    if (!(upTo > this.upTo)) return;
    this.upTo = upTo;
    this.passed.push({ upTo, at: Number.isFinite(timestamp) ? timestamp : this.fallbackAt });
  }

  /** When a window ending at `end` became closable. */
  closableSince(end: number): number {
    for (const p of this.passed) if (p.upTo >= end) return p.at;
    return this.fallbackAt;
  }
}
