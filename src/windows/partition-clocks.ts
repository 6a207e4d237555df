/**
 * Event-time progress per Kafka partition, and from it the input watermark: the oldest of the
 * partitions' clocks. A partition another consumer holds (or that has not been read yet) holds
 * it back, so partial input never closes a window.
 *
 * Two rules keep one event, or one wait, from closing windows early:
 *
 * - **Idle means nothing to read.** An assigned partition stops holding the watermark back only
 *   when a lag probe (log end offset, read from the broker) shows that everything up to the end
 *   was read, the probe was sent at least `idleTimeoutMs` after the partition's last usable
 *   event, and the probe is recent. Time spent waiting on a sink is not quiet input: a partition
 *   that received events while the daemon was blocked shows lag in the next probe.
 * - **A clock follows the stream, not a lone event.** An event more than `maxStepMs` ahead of its
 *   partition's clock, or stamped ahead of the wall clock when it was read, does not move the
 *   clock by itself: it is held as pending until the partition's next event confirms it (is
 *   nearer to it than to the clock), and dropped as a clock candidate if that event is older.
 *   The event itself still counts in its window; only its power to close windows is held back.
 *   A pending time that stops being in the future and is within a step is taken on the next tick.
 */
export interface ClockSettings {
  idleTimeoutMs: number;
  /** How far one event may move its partition's clock unconfirmed. */
  maxStepMs: number;
  /** A lag probe older than this no longer proves a partition idle. */
  probeMaxAgeMs: number;
}

/** Where a partition's reading stands: the next offset to read and the log end, as probed. */
export interface PartitionPosition {
  /** Next offset to read (everything before it was read and processed). */
  readTo: number;
  /** Log end offset for a read_committed consumer, as of `probedAt`. */
  end: number;
}

interface PartitionState {
  /** The confirmed event-time clock. */
  clock: number;
  /** A newest event time waiting for confirmation (NaN: none). */
  pending: number;
  assigned: boolean;
  readTo: number;
  lastUsableAt: number;
  probedEnd: number;
  probedAt: number;
}

export class PartitionClocks {
  private readonly settings: ClockSettings;
  private readonly states = new Map<number, PartitionState>();
  private all: readonly number[] | undefined;
  private now = 0;
  /** Clocks never count below the committed watermark: it is where event time resumes. */
  private floor = -Infinity;
  /** Wall-clock time when the batch in hand was read; later event times wait for confirmation. */
  private readAt = Infinity;
  private cached = -Infinity;
  /** True when every partition was idle at the last recompute (then the newest clock counts). */
  private allIdle = true;

  constructor(settings: ClockSettings) {
    this.settings = settings;
  }

  /** The oldest clock over the partitions that count (see class comment). */
  get watermark(): number {
    return this.cached;
  }

  setAll(partitions: readonly number[]): void {
    this.all = [...partitions];
    for (const p of partitions) this.state(p);
    this.recompute();
  }

  /** After a join: the partitions this consumer holds, where each resumes and its log end. */
  setAssigned(
    partitions: readonly number[],
    now: number,
    positions: ReadonlyMap<number, PartitionPosition>,
  ): void {
    this.now = now;
    for (const s of this.states.values()) s.assigned = false;
    for (const p of partitions) {
      const s = this.state(p);
      const position = positions.get(p);
      s.assigned = true;
      s.lastUsableAt = now;
      s.readTo = position?.readTo ?? 0;
      s.probedEnd = position?.end ?? Infinity;
      s.probedAt = now;
    }
    this.recompute();
  }

  /** Forgets every clock; `floor` (a clock time) is where they resume. */
  clearClocks(floor: number): void {
    this.floor = floor;
    for (const s of this.states.values()) {
      s.clock = -Infinity;
      s.pending = NaN;
    }
    this.recompute();
  }

  beginBatch(readAt: number): void {
    this.readAt = readAt;
  }

  /** After each batch: where reading stands, and whether it added events to windows. */
  endBatch(partition: number, now: number, readTo: number, usable: boolean): void {
    this.now = now;
    const s = this.state(partition);
    s.readTo = Math.max(s.readTo, readTo);
    if (usable) s.lastUsableAt = now;
    this.recompute();
  }

  /** Batches of transaction markers only: no messages, but reading moved on. */
  markRead(partition: number, readTo: number): void {
    const s = this.state(partition);
    s.readTo = Math.max(s.readTo, readTo);
  }

  /** Log end offsets read from the broker by a request sent at `probedAt`. */
  applyProbe(ends: ReadonlyMap<number, number>, probedAt: number, now: number): void {
    this.now = now;
    for (const [p, end] of ends) {
      const s = this.states.get(p);
      if (!s?.assigned) continue;
      s.probedEnd = end;
      s.probedAt = probedAt;
    }
    this.recompute();
  }

  /** Re-evaluates idleness and pending times at `now` (a timer: input may be silent). */
  tick(now: number): void {
    this.now = now;
    for (const s of this.states.values()) {
      if (Number.isNaN(s.pending) || s.pending > now) continue;
      if (s.pending - this.reference(s) <= this.settings.maxStepMs) {
        s.clock = s.pending;
        s.pending = NaN;
      }
    }
    this.recompute();
  }

  /** Assigned partitions quiet long enough that only a lag probe can tell whether they are idle. */
  needsProbe(now: number): boolean {
    for (const s of this.states.values()) {
      if (s.assigned && now - s.lastUsableAt >= this.settings.idleTimeoutMs) return true;
    }
    return false;
  }

  /** Records an on-time event; cheap when the partition's clock does not move. */
  observe(partition: number, eventTime: number): void {
    const s = this.state(partition);
    let reference = this.reference(s);
    if (!Number.isNaN(s.pending)) {
      const pending = s.pending;
      s.pending = NaN;
      const confirmed =
        reference === -Infinity
          ? eventTime >= pending - this.settings.maxStepMs
          : eventTime >= (pending + reference) / 2;
      if (confirmed) {
        this.advance(s, pending);
        reference = this.reference(s);
      }
    }
    if (eventTime <= reference) return;
    if (eventTime - reference > this.settings.maxStepMs || eventTime > this.readAt) {
      s.pending = eventTime;
      return;
    }
    this.advance(s, eventTime);
  }

  private advance(s: PartitionState, time: number): void {
    const previous = s.clock;
    if (time <= previous) return;
    s.clock = time;
    // A partition already ahead of the watermark cannot move the minimum: skip the scan, which
    // would otherwise run for nearly every event (event times mostly increase).
    if (previous !== -Infinity && previous > this.cached && !this.allIdle) return;
    this.recompute();
  }

  private reference(s: PartitionState): number {
    return Math.max(s.clock, this.floor);
  }

  private state(p: number): PartitionState {
    let s = this.states.get(p);
    if (!s) {
      s = {
        clock: -Infinity,
        pending: NaN,
        assigned: false,
        readTo: 0,
        lastUsableAt: this.now,
        probedEnd: Infinity,
        probedAt: -Infinity,
      };
      this.states.set(p, s);
    }
    return s;
  }

  /** Whether the partition has nothing to read (see the class comment), as of the last update. */
  idle(partition: number): boolean {
    const s = this.states.get(partition);
    return s !== undefined && this.isIdle(s);
  }

  /** When the lag probe behind an idle partition stops proving it (wall-clock ms). */
  idleUntil(partition: number): number {
    const s = this.states.get(partition);
    return s === undefined ? -Infinity : s.probedAt + this.settings.probeMaxAgeMs;
  }

  /**
   * The log end offset the probe behind an idle partition read: everything before it was read.
   * Whoever relies on the idleness can check the log has not grown past it since.
   */
  idleEnd(partition: number): number {
    const s = this.states.get(partition);
    return s === undefined ? Infinity : s.probedEnd;
  }

  private isIdle(s: PartitionState): boolean {
    if (!s.assigned) return false;
    const { idleTimeoutMs, probeMaxAgeMs } = this.settings;
    return (
      s.readTo >= s.probedEnd &&
      s.probedAt - s.lastUsableAt >= idleTimeoutMs &&
      this.now - s.probedAt <= probeMaxAgeMs
    );
  }

  private recompute(): void {
    let oldest = Infinity;
    let newestOverall = -Infinity;
    const partitions = this.all ?? [...this.states.keys()];
    for (const p of partitions) {
      const s = this.states.get(p);
      const t = s?.clock ?? -Infinity;
      newestOverall = Math.max(newestOverall, t);
      if (!s || !this.isIdle(s)) oldest = Math.min(oldest, t);
    }
    // Every partition idle: all that could be read has been, so the newest clock counts.
    this.allIdle = oldest === Infinity;
    this.cached = this.allIdle ? newestOverall : oldest;
  }
}
