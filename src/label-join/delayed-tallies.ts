import { delayedQualityPoints, type DelayedQuality } from '../drift/quality-points.js';
import type { WindowPoint } from '../drift/window-points.js';
import { WindowQuality } from '../windows/window-quality.js';
import { decodeTally, decodeTime, type PartitionTally } from './tally-codec.js';

/** What the writer settles of one partition of `<groupId>.label-quality` (see settle). */
export interface Settlement {
  /** The windows newly settled, by window end, then model and version. */
  windows: DelayedQuality[];
  /** The mark to write once they are handed on: the window end they are settled up to. */
  upTo: number;
}

interface WindowEntry {
  /** The label-quality partition the window's tallies come on (its model's). */
  q: number;
  /** Join partition → its latest tally. */
  byJ: Map<number, PartitionTally>;
}

interface PartitionMarks {
  /** Join partition → its clock, as read on this label-quality partition. */
  clocks: Map<number, number>;
  /** Every window ending at or before this was handed on. */
  settledUpTo: number;
}

/**
 * The quality writer's state: per window, the latest tally of every join partition, read from
 * `<groupId>.label-quality`. No tally is ever taken back — a window's point is merged from every
 * join partition's last tally, whichever retired first (a tombstone from an earlier release is
 * ignored) — and windows older than the topic keeps are let go, so memory stays bounded.
 *
 * Per label-quality partition it also keeps every join partition's clock (read there after
 * that join partition's tallies) and the settled mark: a window is settled once every join
 * partition's clock passed its end + settleAfter (with settleAfter = horizon, no label can
 * change it any more), and the writer hands its quality to the alert rules once.
 */
export class DelayedTallies {
  private readonly windows = new Map<string, WindowEntry>();
  private readonly marks = new Map<number, PartitionMarks>();
  /** The newest window end of any tally read: the clock for letting windows go. */
  private newestEnd = -Infinity;
  private readonly keepMs: number;

  /** `keepMs`: how long after the newest window end the topic keeps a window's tallies. */
  constructor(keepMs: number) {
    this.keepMs = keepMs;
  }

  clear(): void {
    this.windows.clear();
    this.marks.clear();
    this.newestEnd = -Infinity;
  }

  get size(): number {
    return this.windows.size;
  }

  /**
   * One record of partition q of the topic; returns the window whose point it changes, if any.
   * Throws on a value that is not what its key says (the caller logs it with its offset).
   */
  apply(q: number, key: string | undefined, value: Buffer | null): string | undefined {
    const parsed = parseKey(key);
    if (parsed === undefined || value === null) return undefined;
    if (parsed.kind === 'clock') {
      const clocks = this.marksOf(q).clocks;
      clocks.set(parsed.j, Math.max(clocks.get(parsed.j) ?? -Infinity, decodeTime(value)));
      return undefined;
    }
    if (parsed.kind === 'settled') {
      const marks = this.marksOf(q);
      marks.settledUpTo = Math.max(marks.settledUpTo, decodeTime(value));
      return undefined;
    }
    const tally = decodeTally(value);
    // Older than the topic keeps: another partition's tally of it may be gone already, and a
    // rewrite without it would lower the point's counts.
    if (tally.end < this.newestEnd - this.keepMs) return undefined;
    if (tally.end > this.newestEnd) {
      this.newestEnd = tally.end;
      this.forgetOlderThan(this.newestEnd - this.keepMs);
    }
    let entry = this.windows.get(parsed.window);
    if (!entry) this.windows.set(parsed.window, (entry = { q, byJ: new Map() }));
    entry.byJ.set(parsed.j, tally);
    return parsed.window;
  }

  pointsOf(window: string): WindowPoint[] {
    const entry = this.windows.get(window);
    return entry ? delayedPoints(entry.byJ) : [];
  }

  /**
   * The windows of partition q settled since its mark: every one of the `joinPartitions` join
   * partitions' clocks is at or past end + settleAfter. Undefined when the mark would not move.
   * The mark is a window end (every window ending at or before it was handed on), so a changed
   * settleAfter neither skips a window nor hands one on twice.
   */
  settle(q: number, joinPartitions: number, settleAfterMs: number): Settlement | undefined {
    const marks = this.marksOf(q);
    let clock = Infinity;
    for (let j = 0; j < joinPartitions; j++) {
      clock = Math.min(clock, marks.clocks.get(j) ?? -Infinity);
    }
    const upTo = clock - settleAfterMs;
    if (!(upTo > marks.settledUpTo)) return undefined;
    const windows: DelayedQuality[] = [];
    for (const entry of this.windows.values()) {
      if (entry.q !== q) continue;
      const first = entry.byJ.values().next().value;
      if (!first || first.end <= marks.settledUpTo || first.end > upTo) continue;
      const quality = delayedQualityOf(entry.byJ);
      if (quality) windows.push(quality);
    }
    windows.sort(
      (a, b) =>
        a.identity.windowEnd - b.identity.windowEnd ||
        compareText(a.identity.model, b.identity.model) ||
        compareText(a.identity.modelVersion, b.identity.modelVersion),
    );
    return { windows, upTo };
  }

  /** The windows of a settlement were handed on (and its mark written). */
  noteSettled(q: number, upTo: number): void {
    const marks = this.marksOf(q);
    marks.settledUpTo = Math.max(marks.settledUpTo, upTo);
  }

  private marksOf(q: number): PartitionMarks {
    let marks = this.marks.get(q);
    if (!marks) this.marks.set(q, (marks = { clocks: new Map(), settledUpTo: -Infinity }));
    return marks;
  }

  private forgetOlderThan(end: number): void {
    for (const [key, entry] of this.windows) {
      const first = entry.byJ.values().next().value;
      if (first && first.end < end) this.windows.delete(key);
    }
  }
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A window's quality from every join partition's tally (kept apart, merged in order later). */
export function delayedQualityOf(
  byJ: ReadonlyMap<number, PartitionTally>,
): DelayedQuality | undefined {
  const quality = new WindowQuality();
  let predicted = 0;
  // The identity (its baseline is a tag) from the lowest join partition, not the first to arrive.
  let any: PartitionTally | undefined;
  for (const j of [...byJ.keys()].sort((a, b) => a - b)) {
    const t = byJ.get(j) as PartitionTally;
    quality.partitions.set(j, t.quality);
    predicted += t.predicted;
    any ??= t;
  }
  if (!any) return undefined;
  return {
    identity: {
      model: any.model,
      modelVersion: any.modelVersion,
      baselineHash: any.baselineHash,
      windowStart: any.start,
      windowEnd: any.end,
    },
    predicted,
    quality,
  };
}

/** A window's points from every join partition's tally, merged in ascending partition order. */
export function delayedPoints(byJ: ReadonlyMap<number, PartitionTally>): WindowPoint[] {
  const quality = delayedQualityOf(byJ);
  return quality ? delayedQualityPoints(quality) : [];
}

type ParsedKey =
  { kind: 'tally'; window: string; j: number } | { kind: 'clock'; j: number } | { kind: 'settled' };

function parseKey(key: string | undefined): ParsedKey | undefined {
  if (key === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts)) return undefined;
    if (parts.length === 2 && typeof parts[1] === 'number') {
      if (parts[0] === 'clock') return { kind: 'clock', j: parts[1] };
      if (parts[0] === 'settled') return { kind: 'settled' };
      return undefined;
    }
    if (parts.length !== 5 || typeof parts[4] !== 'number') return undefined;
    return { kind: 'tally', window: JSON.stringify(parts.slice(0, 4)), j: parts[4] };
  } catch {
    return undefined;
  }
}
