import type { LabelValue } from './label-message.js';

export interface WaitingLabel {
  label: LabelValue;
  /** The label's time, ms: it waits for its prediction until the horizon past it. */
  time: number;
}

/**
 * Labels that came before their prediction (its stage 1 step not yet committed, say), by id,
 * bounded: at the bound the oldest is evicted. A later label for a waiting id replaces it and
 * moves to the end, as the compacted topic keeps the latest record of a key.
 */
export class PendingLabels {
  private readonly max: number;
  private readonly waiting = new Map<string, WaitingLabel>();

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError('PendingLabels: max < 1');
    this.max = max;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Keeps the label; returns the id evicted to make room, if any. */
  put(id: string, label: LabelValue, time: number): string | undefined {
    this.waiting.delete(id);
    let evicted: string | undefined;
    if (this.waiting.size >= this.max) {
      for (const oldest of this.waiting.keys()) {
        evicted = oldest;
        break;
      }
      if (evicted !== undefined) this.waiting.delete(evicted);
    }
    this.waiting.set(id, { label, time });
    return evicted;
  }

  take(id: string): WaitingLabel | undefined {
    const w = this.waiting.get(id);
    if (w !== undefined) this.waiting.delete(id);
    return w;
  }

  /** Removes the labels timed at or before `cutoff`, in arrival order (stops at the first later one). */
  expire(cutoff: number): string[] {
    const out: string[] = [];
    for (const [id, w] of this.waiting) {
      if (w.time > cutoff) break;
      this.waiting.delete(id);
      out.push(id);
    }
    return out;
  }
}
