import { Window } from '../windows/window.js';

/** windows.hopping: views of these sizes, one ending at every base window end. */
export interface HoppingSettings {
  /** windows.size: the panes' length and the views' hop. */
  baseMs: number;
  /** Each a multiple of baseMs, larger than it. */
  sizesMs: readonly number[];
}

interface Pane {
  window: Window;
  /** Offset of its first partial: a restart re-reads the panes still needed from there. */
  firstOffset: number;
}

/**
 * Hopping windows built from panes: every closed base window of a model version is kept while
 * a view still needs it, and at each base window end a view of every configured size is the
 * merge of the panes inside it — an hour every five minutes holds twelve panes, never twelve
 * copies of the data. Panes from before a baseline change are left out of later views (their
 * bins differ). Pure and deterministic: the same closed panes give the same views.
 */
export class HoppingViews {
  private readonly settings: HoppingSettings;
  private readonly panes = new Map<string, Map<number, Pane>>();
  readonly horizonMs: number;

  constructor(settings: HoppingSettings) {
    this.settings = settings;
    this.horizonMs = Math.max(0, ...settings.sizesMs.map((s) => s - settings.baseMs));
  }

  isPane(window: Window): boolean {
    return window.end - window.start === this.settings.baseMs;
  }

  /**
   * A partial of a pane already closed — read again after a restart, or late — merged into
   * the retained pane for the views still to come (the pane itself is never emitted again).
   */
  replay(window: Window, offset: number): void {
    const panes = this.panesOf(window);
    const known = panes.get(window.start);
    if (!known) panes.set(window.start, { window, firstOffset: offset });
    // Window.merge needs the same Baseline object (a reloaded baseline is another one).
    else if (known.window.baseline === window.baseline) known.window.merge(window);
  }

  /**
   * Takes the panes just closed (with their first offsets) and returns the views ending at
   * them, in the panes' order; panes no view needs any more (ending at or before
   * `closedUpTo − horizon`) are let go.
   */
  close(closed: readonly Pane[], closedUpTo: number): Window[] {
    const views: Window[] = [];
    for (const pane of closed) {
      if (!this.isPane(pane.window)) continue;
      const panes = this.panesOf(pane.window);
      panes.set(pane.window.start, pane);
      for (const size of this.settings.sizesMs) views.push(this.viewOf(panes, pane.window, size));
    }
    this.prune(closedUpTo);
    return views;
  }

  /** The smallest first offset of a retained pane (Infinity: none). */
  firstOffset(): number {
    let offset = Infinity;
    for (const panes of this.panes.values()) {
      for (const p of panes.values()) offset = Math.min(offset, p.firstOffset);
    }
    return offset;
  }

  get paneCount(): number {
    let n = 0;
    for (const panes of this.panes.values()) n += panes.size;
    return n;
  }

  private viewOf(panes: ReadonlyMap<number, Pane>, last: Window, size: number): Window {
    const view = new Window(
      last.baseline,
      last.model,
      last.modelVersion,
      last.end - size,
      last.end,
    );
    const inside = [...panes.values()]
      .filter((p) => p.window.start >= view.start && p.window.baseline === last.baseline)
      .sort((a, b) => a.window.start - b.window.start);
    for (const p of inside) view.mergePane(p.window);
    return view;
  }

  private prune(closedUpTo: number): void {
    const keepAfter = closedUpTo - this.horizonMs;
    for (const [key, panes] of this.panes) {
      for (const [start, p] of panes) if (p.window.end <= keepAfter) panes.delete(start);
      if (panes.size === 0) this.panes.delete(key);
    }
  }

  private panesOf(window: Window): Map<number, Pane> {
    const key = `${window.model}\u0000${window.modelVersion}`;
    let panes = this.panes.get(key);
    if (!panes) this.panes.set(key, (panes = new Map<number, Pane>()));
    return panes;
  }
}
