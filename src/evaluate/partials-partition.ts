import type { SourceProgress } from '../partials/codec.js';
import type { Window } from '../windows/window.js';
import { HoppingViews, type HoppingSettings } from './hopping-views.js';
import { CountWindows, type CountSettings } from './count-windows.js';

/** What stage 2 commits with a partials partition's offset, so a restart resumes exactly. */
export interface EvaluateCheckpoint {
  /** Windows ending at or before it were emitted. */
  closedUpTo: number;
  /** Each input partition's watermark as last announced. */
  watermarks: ReadonlyMap<number, number>;
  /**
   * The offset reading had reached: partials below it were handled before, so a closed pane
   * met again there is a replay for the hopping views, not a late partial (absent: unknown).
   */
  readTo?: number;
  /**
   * windows.count: per model version (by `countWindowId`), the start of its running count
   * window, rebuilt from its panes' partials on a restart (absent: none running).
   */
  countStarts?: ReadonlyMap<string, number>;
}

/** What stage 2 builds from the closed base windows besides them. */
export interface PaneViews {
  hopping?: HoppingSettings;
  count?: CountSettings;
}

export type PartialOutcome = 'merged' | 'late' | 'replayed' | 'baseline-changed';

interface SourceState {
  watermark: number;
  idle: boolean;
  idleUntil: number;
  /** The input log end offset the idle claim was made at (undefined: not checkable). */
  idleEnd: number | undefined;
}

interface OpenWindow {
  window: Window;
  /** Offset of the first partial merged into it: a restart re-reads from there. */
  firstOffset: number;
}

/**
 * Stage 2's state for one partials partition: per window of the models routed here, the merge
 * of the partials received so far, and per input partition (source) its progress. A window
 * closes once every source passed its end or is idle (the same rule one daemon applies to its
 * partitions). Merging as partials arrive is exact and order-independent across sources
 * (counts and fixed-point sums add exactly; float moments are kept per source inside the
 * aggregates); partials of one source merge in log order, which a replay repeats.
 */
export class PartialsPartition {
  readonly partition: number;
  private readonly open = new Map<string, OpenWindow>();
  private readonly sources = new Map<number, SourceState>();
  private inputPartitions: readonly number[];
  private closed: number;
  private readonly views: HoppingViews | undefined;
  private readonly counts: CountWindows | undefined;
  private readonly replayTo: number;

  constructor(
    partition: number,
    inputPartitions: readonly number[],
    restored: EvaluateCheckpoint,
    { hopping, count }: PaneViews = {},
  ) {
    this.partition = partition;
    this.inputPartitions = [...inputPartitions];
    this.closed = restored.closedUpTo;
    this.views = hopping && hopping.sizesMs.length > 0 ? new HoppingViews(hopping) : undefined;
    this.counts = count
      ? new CountWindows(count, restored.countStarts, restored.closedUpTo)
      : undefined;
    this.replayTo = restored.readTo ?? -Infinity;
    for (const [source, watermark] of restored.watermarks) {
      this.sources.set(source, { watermark, idle: false, idleUntil: 0, idleEnd: undefined });
    }
  }

  get closedUpTo(): number {
    return this.closed;
  }

  get openWindowCount(): number {
    return this.open.size;
  }

  /** Partitions added to the input topic hold windows open until they report progress. */
  setInputPartitions(partitions: readonly number[]): void {
    this.inputPartitions = [...partitions];
  }

  addPartial(window: Window, offset: number): PartialOutcome {
    if (window.end <= this.closed) {
      // A pane a hopping view still needs takes the partial whether it is read again after a
      // restart or arrives late: a restarted run then builds the same views as one that was
      // never interrupted. Only partials first read now count as late.
      const views = this.views;
      if (views?.isPane(window) && window.end > this.closed - views.horizonMs) {
        views.replay(window, offset);
      }
      this.counts?.replay(window, offset);
      return offset < this.replayTo ? 'replayed' : 'late';
    }
    const key = `${window.model}\u0000${window.modelVersion}\u0000${window.start}\u0000${window.end}`;
    const open = this.open.get(key);
    if (!open) {
      this.open.set(key, { window, firstOffset: offset });
      return 'merged';
    }
    // A baseline replaced while the window was open: partials built against another one cannot
    // be merged (their bins and cells differ). The first one to arrive decides, as on a replay.
    if (open.window.baseline.hash !== window.baseline.hash) return 'baseline-changed';
    open.window.merge(window);
    return 'merged';
  }

  progress(records: readonly SourceProgress[]): void {
    for (const r of records) {
      const known = this.sources.get(r.source);
      this.sources.set(r.source, {
        // A late or replayed record never moves a source back.
        watermark: Math.max(r.watermark, known?.watermark ?? -Infinity),
        idle: r.idle,
        idleUntil: r.idleUntil,
        idleEnd: r.idleEnd,
      });
    }
  }

  /**
   * Advances the closed-up-to time (never back) and removes the windows it passed, oldest end
   * first, in a fixed order: the same partials give the same windows in the same order.
   */
  takeClosed(now: number): Window[] {
    const watermark = this.closableUpTo(now);
    if (watermark > this.closed) this.closed = watermark;
    const closed: Window[] = [];
    const panes: OpenWindow[] = [];
    for (const [key, open] of this.open) {
      if (open.window.end <= this.closed) {
        closed.push(open.window);
        panes.push(open);
        this.open.delete(key);
      }
    }
    panes.sort((a, b) => order(a.window, b.window));
    if (this.views) closed.push(...this.views.close(panes, this.closed));
    if (this.counts) closed.push(...this.counts.close(panes, this.closed));
    return closed.sort(order);
  }

  /** Panes kept for hopping views (for the open-windows gauge). */
  get retainedPanes(): number {
    return this.views?.paneCount ?? 0;
  }

  /** Count windows still short of their events. */
  get openCountWindows(): number {
    return this.counts?.openCount ?? 0;
  }

  /** The end up to which every source passed or is idle (what takeClosed would close to). */
  closableUpTo(now: number, claims: 'trusted' | 'ignored' = 'trusted'): number {
    let oldest = Infinity;
    let newest = -Infinity;
    for (const p of this.inputPartitions) {
      const s = this.sources.get(p);
      const watermark = s?.watermark ?? -Infinity;
      newest = Math.max(newest, watermark);
      if (claims === 'ignored' || !this.claimHolds(s, now)) oldest = Math.min(oldest, watermark);
    }
    // Every source idle: all that could be read has been, so the newest watermark counts.
    return oldest === Infinity ? newest : oldest;
  }

  /**
   * The idle claims, by source, that closing now would rely on, with the input log end offset
   * each was made at. A claim is a probe of the past: its claimant may have read new input
   * since and not yet handed it on (slow, or killed before its next commit), so before a window
   * closes on it the caller checks the log has not grown past that offset (checkClaims).
   */
  claimsToCheck(now: number): Map<number, number> {
    const toCheck = new Map<number, number>();
    const floor = Math.max(this.closed, this.closableUpTo(now, 'ignored'));
    if (this.closableUpTo(now) <= floor) return toCheck;
    for (const p of this.inputPartitions) {
      const s = this.sources.get(p);
      // A claim without an end offset (format 1 or 2 writer) cannot be checked: it holds.
      if (s?.idleEnd !== undefined && this.claimHolds(s, now)) toCheck.set(p, s.idleEnd);
    }
    return toCheck;
  }

  /**
   * Withdraws the claims of sources whose input log grew past the claim (or all of `claims`,
   * when the log ends could not be read): those sources hold windows at their watermark until
   * they report again. Returns how many were withdrawn.
   */
  checkClaims(
    claims: ReadonlyMap<number, number>,
    ends: ReadonlyMap<number, number> | undefined,
  ): number {
    let withdrawn = 0;
    for (const [source, claimedEnd] of claims) {
      const end = ends?.get(source);
      if (end !== undefined && end <= claimedEnd) continue;
      const s = this.sources.get(source);
      if (s) s.idle = false;
      withdrawn++;
    }
    return withdrawn;
  }

  private claimHolds(s: SourceState | undefined, now: number): boolean {
    return s !== undefined && s.idle && now <= s.idleUntil;
  }

  /** Where a restart must resume reading this partition, and what it must remember. */
  checkpoint(nextOffset: number): { offset: number; checkpoint: EvaluateCheckpoint } {
    let offset = nextOffset;
    for (const { firstOffset } of this.open.values()) offset = Math.min(offset, firstOffset);
    if (this.views) offset = Math.min(offset, this.views.firstOffset());
    if (this.counts) offset = Math.min(offset, this.counts.firstOffset());
    const watermarks = new Map<number, number>();
    for (const [source, s] of this.sources) watermarks.set(source, s.watermark);
    const readTo = Math.max(nextOffset, this.replayTo);
    const checkpoint: EvaluateCheckpoint = { closedUpTo: this.closed, watermarks, readTo };
    if (this.counts) checkpoint.countStarts = this.counts.starts();
    return { offset, checkpoint };
  }
}

/** Oldest end first, then model, version and start: the same partials, the same order. */
function order(a: Window, b: Window): number {
  return (
    a.end - b.end ||
    compare(a.model, b.model) ||
    compare(a.modelVersion, b.modelVersion) ||
    a.start - b.start
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
