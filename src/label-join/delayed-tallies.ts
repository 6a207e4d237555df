import { DELAYED, labelledPoints } from '../drift/quality-points.js';
import type { WindowPoint } from '../drift/window-points.js';
import { WindowQuality } from '../windows/window-quality.js';
import { decodeTally, type PartitionTally } from './tally-codec.js';

/**
 * The quality writer's state: per window, the latest tally of every join partition, read from
 * `<groupId>.label-quality`. No tally is ever taken back — a window's point is merged from every
 * join partition's last tally, whichever retired first (a tombstone from an earlier release is
 * ignored) — and windows older than the topic keeps are let go, so memory stays bounded.
 */
export class DelayedTallies {
  /** Window key → join partition → its latest tally. */
  private readonly windows = new Map<string, Map<number, PartitionTally>>();
  /** The newest window end of any tally read: the clock for letting windows go. */
  private newestEnd = -Infinity;
  private readonly keepMs: number;

  /** `keepMs`: how long after the newest window end the topic keeps a window's tallies. */
  constructor(keepMs: number) {
    this.keepMs = keepMs;
  }

  clear(): void {
    this.windows.clear();
    this.newestEnd = -Infinity;
  }

  get size(): number {
    return this.windows.size;
  }

  /**
   * One record of the topic; returns the window whose point it changes, if any. Throws on a
   * value that is not a tally (the caller logs it with its offset).
   */
  apply(key: string | undefined, value: Buffer | null): string | undefined {
    const parsed = parseKey(key);
    if (parsed === undefined || value === null) return undefined;
    const tally = decodeTally(value);
    // Older than the topic keeps: another partition's tally of it may be gone already, and a
    // rewrite without it would lower the point's counts.
    if (tally.end < this.newestEnd - this.keepMs) return undefined;
    if (tally.end > this.newestEnd) {
      this.newestEnd = tally.end;
      this.forgetOlderThan(this.newestEnd - this.keepMs);
    }
    let byJ = this.windows.get(parsed.window);
    if (!byJ) this.windows.set(parsed.window, (byJ = new Map<number, PartitionTally>()));
    byJ.set(parsed.j, tally);
    return parsed.window;
  }

  pointsOf(window: string): WindowPoint[] {
    const byJ = this.windows.get(window);
    return byJ ? delayedPoints(byJ) : [];
  }

  private forgetOlderThan(end: number): void {
    for (const [key, byJ] of this.windows) {
      const first = byJ.values().next().value;
      if (first && first.end < end) this.windows.delete(key);
    }
  }
}

/** A window's points from every join partition's tally, merged in ascending partition order. */
export function delayedPoints(byJ: ReadonlyMap<number, PartitionTally>): WindowPoint[] {
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
  if (!any) return [];
  return labelledPoints(
    quality.combined(),
    predicted,
    {
      model: any.model,
      modelVersion: any.modelVersion,
      baselineHash: any.baselineHash,
      windowStart: any.start,
      windowEnd: any.end,
    },
    DELAYED,
  );
}

function parseKey(key: string | undefined): { window: string; j: number } | undefined {
  if (key === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts) || parts.length !== 5 || typeof parts[4] !== 'number') {
      return undefined;
    }
    return { window: JSON.stringify(parts.slice(0, 4)), j: parts[4] };
  } catch {
    return undefined;
  }
}
