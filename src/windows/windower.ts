import type { Baseline } from '../baseline/baseline.js';
import type { BaselineStore } from '../baseline/store.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';
import { PartitionClocks, type PartitionPosition } from './partition-clocks.js';
import { Window } from './window.js';

/** Window size and the event-time rules (see PartitionClocks), in milliseconds. */
export interface WindowerSettings {
  sizeMs: number;
  /** windows.additionalSizes: multiples of sizeMs, each its own series (`window` tag). */
  additionalSizesMs: readonly number[];
  latenessMs: number;
  idleTimeoutMs: number;
  /** How long a lag probe proves a partition idle. */
  probeMaxAgeMs: number;
}

export type AddOutcome = 'added' | 'late' | 'no-baseline';

/** Versions of one model evaluated against another version's baseline at the same time. */
export const MAX_FALLBACK_VERSIONS = 100;

interface ModelWindows {
  baseline: Baseline;
  /** The events' version (differs from the baseline's under a fallback). */
  version: string;
  /** The store's generation when `baseline` was resolved: a newer one may have a better match. */
  generation: number;
  /** Per window size (the Windower's order): window start → window. */
  bySize: Map<number, Window>[];
}

/**
 * Tumbling event-time windows per (model, model_version). The watermark is the oldest of the
 * topic partitions' newest event times, minus the allowed lateness: a partition that is behind
 * (or, while another consumer holds it, unseen) holds windows open, so reading partitions one
 * batch at a time drops nothing as late and a partial assignment never emits partial windows.
 * A window closes when the watermark reaches its end; events for a closed window are late and
 * dropped (counted).
 */
export class Windower {
  private readonly sizeMs: number;
  /** Every window size, the base size first (the others are multiples of it). */
  private readonly sizes: readonly number[];
  private readonly latenessMs: number;
  private readonly baselines: BaselineStore;
  /** model → version → open windows. Nested maps keep the hot path allocation-free. */
  private readonly open = new Map<string, Map<string, ModelWindows>>();
  private readonly clocks: PartitionClocks;
  private floor = -Infinity;

  /**
   * `idleTimeoutMs`: how long a partition with nothing to read must be quiet before it stops
   * holding windows open; `probeMaxAgeMs`: how long a lag probe proves that (see PartitionClocks).
   * One event may move its partition's clock by at most ten windows (and at least an hour)
   * unconfirmed: sparse streams and closing events jump windows ahead, a mis-stamped one far.
   */
  constructor(
    sizeMs: number,
    latenessMs: number,
    baselines: BaselineStore,
    idleTimeoutMs = Infinity,
    probeMaxAgeMs = Infinity,
    additionalSizesMs: readonly number[] = [],
  ) {
    this.sizeMs = sizeMs;
    this.sizes = [sizeMs, ...additionalSizesMs];
    this.latenessMs = latenessMs;
    this.baselines = baselines;
    this.clocks = new PartitionClocks({
      idleTimeoutMs,
      maxStepMs: maxClockStepMs(sizeMs),
      probeMaxAgeMs,
    });
  }

  /** Where the last `takeClosed` closed windows: what a commit may promise as emitted. */
  get closedUpTo(): number {
    return this.floor;
  }

  /** Everything at or before the watermark is final: windows ending there were emitted. */
  get watermark(): number {
    return Math.max(this.floor, this.clocks.watermark - this.latenessMs);
  }

  /** Every partition of the topic: windows close only once all of them have passed their end. */
  setPartitions(partitions: readonly number[]): void {
    this.clocks.setAll(partitions);
  }

  /** The partitions this consumer holds now (after a group join): where each resumes, its end. */
  setAssigned(
    partitions: readonly number[],
    now: number,
    positions: ReadonlyMap<number, PartitionPosition>,
  ): void {
    this.clocks.setAssigned(partitions, now, positions);
  }

  /** `readAt`: the wall-clock time the batch was read (later event times need confirmation). */
  beginBatch(readAt: number): void {
    this.clocks.beginBatch(readAt);
  }

  /** `readTo`: the next offset to read on the partition; `usable`: it added events to windows. */
  endBatch(partition: number, now: number, readTo: number, usable: boolean): void {
    this.clocks.endBatch(partition, now, readTo, usable);
  }

  /** A batch of transaction markers only moved reading on to `readTo`. */
  markRead(partition: number, readTo: number): void {
    this.clocks.markRead(partition, readTo);
  }

  /** Whether some assigned partition has been quiet long enough to need a lag probe. */
  needsProbe(now: number): boolean {
    return this.clocks.needsProbe(now);
  }

  /** Log end offsets from a request sent at `probedAt`. */
  applyProbe(ends: ReadonlyMap<number, number>, probedAt: number, now: number): void {
    this.clocks.applyProbe(ends, probedAt, now);
  }

  /** Whether the partition has nothing to read (a recent lag probe proved it). */
  isIdle(partition: number): boolean {
    return this.clocks.idle(partition);
  }

  /** Wall-clock time until which the idleness of `partition` holds without a new probe. */
  idleUntil(partition: number): number {
    return this.clocks.idleUntil(partition);
  }

  /** The log end offset up to which an idle partition was proven read (see PartitionClocks). */
  idleEnd(partition: number): number {
    return this.clocks.idleEnd(partition);
  }

  /** Timer: idleness and future-stamped clock times re-evaluated at `now`. */
  tick(now: number): void {
    this.clocks.tick(now);
  }

  /**
   * Forgets open windows and partition clocks; `committedWatermark` becomes the floor. After a
   * rebalance the consumer resumes from the committed offsets, which re-reads exactly the
   * events of the forgotten windows, so nothing is counted twice.
   */
  reset(committedWatermark: number): void {
    this.open.clear();
    this.clocks.clearClocks(committedWatermark + this.latenessMs);
    // Assigned, not raised: windows closed in memory but never written (say, a rebalance cut a
    // retry short) must be rebuilt from the re-read events, so only what was committed counts.
    this.floor = committedWatermark;
  }

  /** baselines.fallback `reject`: events without a baseline go to the dead-letter topic. */
  get rejectsWithoutBaseline(): boolean {
    return this.baselines.rejectsUnknown;
  }

  get openWindowCount(): number {
    let n = 0;
    for (const versions of this.open.values())
      for (const m of versions.values()) for (const w of m.bySize) n += w.size;
    return n;
  }

  add(log: PredictionLog, partition: number, offset: number): AddOutcome {
    // Events we cannot evaluate do not move any clock: a stray producer of an unknown model
    // (with a skewed clock, say) must not close the windows of the models we watch.
    let versions = this.open.get(log.model);
    let model = versions?.get(log.model_version);
    if (!model || model.generation !== this.baselines.generation) {
      // New baselines appeared since: the event's own version may have one now. Open windows
      // keep the baseline they started with; new windows use the fresh resolution.
      const baseline = this.baselines.resolve(log.model, log.model_version);
      if (!baseline) return 'no-baseline';
      // Each version without its own baseline opens its own windows and series: a stream of
      // made-up versions must not grow memory without bound.
      if (!model && baseline.modelVersion !== log.model_version && versions) {
        let borrowed = 0;
        for (const m of versions.values()) if (m.baseline.modelVersion !== m.version) borrowed++;
        if (borrowed >= MAX_FALLBACK_VERSIONS) return 'no-baseline';
      }
      if (!versions) this.open.set(log.model, (versions = new Map<string, ModelWindows>()));
      const bySize = model?.bySize ?? this.sizes.map(() => new Map<number, Window>());
      model = {
        baseline,
        version: log.model_version,
        generation: this.baselines.generation,
        bySize,
      };
      versions.set(log.model_version, model);
    }
    const watermark = this.watermark;
    let added = false;
    // Late for one size (its window closed) may still count in a larger one.
    for (let s = 0; s < this.sizes.length; s++) {
      const size = this.sizes[s] as number;
      const start = Math.floor(log.timestamp / size) * size;
      const end = start + size;
      if (end <= watermark) continue;
      if (!added) this.clocks.observe(partition, log.timestamp);
      added = true;
      const windows = model.bySize[s] as Map<number, Window>;
      let window = windows.get(start);
      if (!window) {
        window = new Window(model.baseline, log.model, log.model_version, start, end);
        windows.set(start, window);
      }
      window.add(log, partition, offset);
    }
    return added ? 'added' : 'late';
  }

  /**
   * Counts an event of a watched model version that no window took (late, or refused for a
   * timestamp too far ahead) in that version's newest open base window, for its ops point.
   * None open: only the metrics count it.
   */
  countUnwindowed(log: PredictionLog, why: 'late' | 'future'): void {
    const bySize = this.open.get(log.model)?.get(log.model_version)?.bySize;
    // The newest base window: after a restart the windows still open are the same ones minus
    // those that closed, so the replayed event lands where it did, or (already written) nowhere.
    let newest: Window | undefined;
    for (const w of bySize?.[0]?.values() ?? []) if (!newest || w.start > newest.start) newest = w;
    if (!newest) return;
    if (why === 'late') newest.ops.lateEvents++;
    else newest.ops.futureEvents++;
  }

  /** The baseline events of this (model, version) are compared with, while it has an entry. */
  baselineOf(model: string, modelVersion: string): Baseline | undefined {
    return this.open.get(model)?.get(modelVersion)?.baseline;
  }

  /** Removes and returns the windows the watermark has passed, oldest end first. */
  takeClosed(): Window[] {
    const watermark = this.watermark;
    // The watermark never goes back, even when an idle partition wakes up with older events:
    // a window once emitted stays emitted, and its late events are dropped and counted.
    this.floor = watermark;
    const closed: Window[] = [];
    for (const [modelName, versions] of this.open) {
      for (const [version, { bySize }] of versions) {
        let open = 0;
        for (const windows of bySize) {
          for (const [start, window] of windows) {
            if (window.end <= watermark) {
              closed.push(window);
              windows.delete(start);
            }
          }
          open += windows.size;
        }
        // Versions that went quiet free their entry (it is rebuilt if they come back).
        if (open === 0) versions.delete(version);
      }
      if (versions.size === 0) this.open.delete(modelName);
    }
    return closed.sort((a, b) => a.end - b.end || a.start - b.start);
  }

  /**
   * Removes and returns every open window, oldest end first: an idle partition hands over what
   * it holds (its clock may stay inside those windows for long). Events that come later for
   * the same windows open new ones.
   */
  takeAll(): Window[] {
    const all: Window[] = [];
    for (const versions of this.open.values()) {
      for (const { bySize } of versions.values()) {
        for (const windows of bySize) all.push(...windows.values());
      }
    }
    this.open.clear();
    return all.sort((a, b) => a.end - b.end || a.start - b.start);
  }

  /**
   * The offset to commit per partition: the first offset still held by an open window, or
   * just past the last processed offset when no open window holds events from it. Committing
   * this after closed windows are durable means a restart re-reads exactly the open windows.
   */
  committableOffsets(lastProcessed: ReadonlyMap<number, number>): Map<number, number> {
    const result = new Map<number, number>();
    for (const [partition, last] of lastProcessed) result.set(partition, last + 1);
    for (const versions of this.open.values()) {
      for (const { bySize } of versions.values()) {
        for (const windows of bySize) {
          for (const window of windows.values()) {
            for (const [partition, first] of window.firstOffsets) {
              const current = result.get(partition);
              if (current === undefined || first < current) result.set(partition, first);
            }
          }
        }
      }
    }
    return result;
  }
}

/** How far one event may move its partition's clock without a second event confirming it. */
export function maxClockStepMs(windowSizeMs: number): number {
  return Math.max(10 * windowSizeMs, 3_600_000);
}
