import { COUNT_WINDOW_PREFIX } from '../../alert-engine/model.js';
import { Window } from '../windows/window.js';

/** windows.count: windows of N predictions, built from whole base windows (panes). */
export interface CountSettings {
  /** windows.size: the panes' length. */
  baseMs: number;
  /** Predictions a count window holds at least when it closes on its count. */
  events: number;
  /** A count window closes at the first base window end at or after start + maxSpan. */
  maxSpanMs: number;
}

/** A closed pane, with the offset of its first partial. */
export interface CountPane {
  window: Window;
  firstOffset: number;
}

interface Running {
  /** The merge of the panes so far, over [start, cap): re-bounded when it closes. */
  window: Window;
  /** End of the newest pane merged in. */
  lastEnd: number;
  /** The smallest offset of a partial merged in: a restart re-reads from there. */
  firstOffset: number;
}

/** The `window` tag of count windows of `events` predictions. */
export const countTag = (events: number) => `${COUNT_WINDOW_PREFIX}${events}`;

/**
 * Count windows: per model version ONE running window, the merge of its closed panes (each
 * already exact over every input partition), closed at the pane end where it reaches N events
 * — or, short of N, at the first base window end at or after start + maxSpan — then the next
 * starts at the next pane with events. Each pane is merged once; memory is one aggregate per
 * model version. Pure and deterministic: the same closed panes, the same windows.
 *
 * A restart rebuilds the running windows from their starts (kept in the checkpoint) by
 * re-reading their panes' partials (`replay`), without emitting anything again.
 */
export class CountWindows {
  private readonly settings: CountSettings;
  private readonly tag: string;
  private readonly running = new Map<string, Running>();
  /** Starts of running windows from the checkpoint, until their first pane is read again. */
  private readonly restored = new Map<string, number>();
  /** Partials of closed panes read again (or late), gathered per pane until folded in. */
  private readonly replayed = new Map<string, CountPane>();
  private closedUpTo: number;

  constructor(
    settings: CountSettings,
    restored: ReadonlyMap<string, number> = new Map(),
    closedUpTo = -Infinity,
  ) {
    this.settings = settings;
    this.closedUpTo = closedUpTo;
    this.tag = countTag(settings.events);
    for (const [id, start] of restored) this.restored.set(id, start);
  }

  isPane(window: Window): boolean {
    return window.end - window.start === this.settings.baseMs;
  }

  /** How many count windows are open (for the open-windows gauge). */
  get openCount(): number {
    return this.running.size;
  }

  /**
   * A partial of a pane already closed — read again after a restart, or late — for the running
   * window it belongs to (a pane at or after its start), never emitted on its own. Partials are
   * gathered into their panes first and the panes folded in in pane order at the next close that
   * moves time on: a restart then merges in the order an uninterrupted run did (pane by pane),
   * so the per-source float moments come out bit-identical.
   */
  replay(window: Window, offset: number): void {
    if (!this.isPane(window)) return;
    const key = `${keyOf(window)}\u0000${window.start}`;
    let pane = this.replayed.get(key);
    if (!pane) {
      // A pane of its own: the partial itself may be the hopping views' pane, merged into there.
      const own = new Window(
        window.baseline,
        window.model,
        window.modelVersion,
        window.start,
        window.end,
      );
      this.replayed.set(key, (pane = { window: own, firstOffset: offset }));
    }
    if (pane.window.baseline === window.baseline) pane.window.merge(window);
  }

  /** Folds the gathered replayed panes into their running windows, oldest pane first. */
  private foldReplayed(): void {
    const panes = [...this.replayed.values()].sort((a, b) => a.window.start - b.window.start);
    this.replayed.clear();
    for (const { window, firstOffset } of panes) {
      const key = keyOf(window);
      let run = this.running.get(key);
      if (!run) {
        const id = countWindowId(window.model, window.modelVersion);
        const start = this.restored.get(id);
        if (start === undefined || window.start < start || window.end > this.capOf(start)) continue;
        this.restored.delete(id);
        run = this.open(window, start, firstOffset);
      }
      // Outside its span (a straggler past a cap) or against another baseline: not this window's.
      const outside = window.start < run.window.start || window.end > run.window.end;
      if (outside || run.window.baseline !== window.baseline) continue;
      run.window.mergePane(window);
      run.lastEnd = Math.max(run.lastEnd, window.end);
      run.firstOffset = Math.min(run.firstOffset, firstOffset);
    }
  }

  /**
   * Takes the panes just closed, oldest end first, and returns the count windows they close;
   * then closes those whose span reached maxSpan by `closedUpTo`.
   */
  close(panes: readonly CountPane[], closedUpTo: number): Window[] {
    const out: Window[] = [];
    // Replayed partials wait while time stands still (a restart re-reading up to where it was).
    if (panes.length === 0 && closedUpTo <= this.closedUpTo) return out;
    this.closedUpTo = Math.max(this.closedUpTo, closedUpTo);
    this.foldReplayed();
    for (const { window, firstOffset } of panes) {
      if (!this.isPane(window)) continue;
      const key = keyOf(window);
      let run = this.running.get(key);
      if (run && window.end > run.window.end) {
        // Past the cap: the running one closes short, at its cap.
        out.push(this.finish(key, run, run.window.end));
        run = undefined;
      } else if (run && run.window.baseline !== window.baseline) {
        // Against another baseline (its bins differ): the running one closes at its last pane.
        out.push(this.finish(key, run, run.lastEnd));
        run = undefined;
      }
      if (!run) {
        // A running window from before a restart whose first pane was not read again yet.
        const id = countWindowId(window.model, window.modelVersion);
        const restored = this.restored.get(id);
        this.restored.delete(id);
        const start =
          restored !== undefined && restored <= window.start && window.end <= this.capOf(restored)
            ? restored
            : window.start;
        run = this.open(window, start, firstOffset);
      }
      run.window.mergePane(window);
      run.lastEnd = window.end;
      run.firstOffset = Math.min(run.firstOffset, firstOffset);
      if (run.window.events >= this.settings.events) out.push(this.finish(key, run, window.end));
    }
    for (const [key, run] of this.running) {
      if (run.window.end <= closedUpTo) out.push(this.finish(key, run, run.window.end));
    }
    // A restored start whose panes never came again (their partials were dropped) is let go.
    for (const [id, start] of this.restored) {
      if (this.capOf(start) <= closedUpTo) this.restored.delete(id);
    }
    return out;
  }

  /** The smallest offset a restart must re-read from (Infinity: nothing running). */
  firstOffset(): number {
    let offset = Infinity;
    for (const run of this.running.values()) offset = Math.min(offset, run.firstOffset);
    for (const pane of this.replayed.values()) offset = Math.min(offset, pane.firstOffset);
    return offset;
  }

  /** Per model version (by id), the start of its running window: what the checkpoint keeps. */
  starts(): Map<string, number> {
    const starts = new Map(this.restored);
    for (const run of this.running.values()) {
      starts.set(countWindowId(run.window.model, run.window.modelVersion), run.window.start);
    }
    return starts;
  }

  private open(pane: Window, start: number, firstOffset: number): Running {
    const window = new Window(
      pane.baseline,
      pane.model,
      pane.modelVersion,
      start,
      this.capOf(start),
    );
    const run: Running = { window, lastEnd: start, firstOffset };
    this.running.set(keyOf(pane), run);
    return run;
  }

  /** The first base window end at or after start + maxSpan. */
  private capOf(start: number): number {
    const { baseMs, maxSpanMs } = this.settings;
    return start + Math.ceil(maxSpanMs / baseMs) * baseMs;
  }

  private finish(key: string, run: Running, end: number): Window {
    this.running.delete(key);
    const closed = run.window.rebounded(run.window.start, end);
    closed.tag = this.tag;
    return closed;
  }
}

const keyOf = (w: Window) => `${w.model}\u0000${w.modelVersion}`;

/**
 * A short id of a model version for the checkpoint (offset-commit metadata is small): 48 bits
 * of two 32-bit FNV-1a-style hashes, in base 36.
 */
export function countWindowId(model: string, version: string): string {
  const text = `${model}\u0000${version}`;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const bits = (a >>> 0) * 65_536 + ((b >>> 16) & 0xffff);
  return bits.toString(36).padStart(10, '0');
}
