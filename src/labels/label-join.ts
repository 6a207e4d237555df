import {
  addLabelled,
  type LabelledPredictions,
  type QualityPrediction,
} from '../windows/window-quality.js';
import type { LabelValue } from './label-message.js';
import {
  labelKey,
  predictionKey,
  type JoinPrediction,
  type WindowIdentity,
} from './join-records.js';
import { PendingPredictions, type AwaitingPrediction } from './pending-predictions.js';
import { PendingLabels } from './pending-labels.js';

export interface JoinSettings {
  /** How long past its event time a prediction (or a label) waits, on the join's clock. */
  horizonMs: number;
  /** Pending predictions held at most, and pending labels held at most (each). */
  maxPending: number;
  /** The base window size: a prediction's window is found from its time. */
  windowMs: number;
}

/** One join partition's labelled predictions of one window, cumulative (latest record wins). */
export interface WindowTally extends WindowIdentity {
  /** Predictions with an id this partition was handed for the window (coverage's denominator). */
  predicted: number;
  quality: LabelledPredictions;
}

/** What the counters of a step say (driftwatch_labels_* metrics). */
export interface JoinCounts {
  matched: number;
  duplicatePredictions: number;
  expiredPredictions: number;
  expiredLabels: number;
  evictedPredictions: number;
  evictedLabels: number;
}

/** What a step changed, written in one transaction: tombstones, then the tallies that changed. */
export class JoinChanges {
  readonly removed: string[] = [];
  /** Tallies written again (by tally key). */
  readonly tallies = new Map<string, WindowTally>();
  /** Tallies past the horizon: tombstoned. */
  readonly retired: WindowTally[] = [];
  /**
   * The clock's base-window boundary, when this step passed one: every tally of a window with
   * end + horizon at or before it is final (published so the writer can settle windows).
   */
  clockMark: number | undefined;
  readonly counts: JoinCounts = {
    matched: 0,
    duplicatePredictions: 0,
    expiredPredictions: 0,
    expiredLabels: 0,
    evictedPredictions: 0,
    evictedLabels: 0,
  };

  get empty(): boolean {
    return this.removed.length === 0 && this.tallies.size === 0 && this.retired.length === 0;
  }
}

/** The key of a window's tally: model, version and window, unambiguous whatever the names hold. */
export function tallyKey(w: Pick<WindowIdentity, 'model' | 'modelVersion' | 'start' | 'end'>) {
  return `t|${JSON.stringify([w.model, w.modelVersion, w.start, w.end])}`;
}

/**
 * The join of one partition of `<groupId>.labels-join` (pure: the caller reads the records,
 * brings them in offset order and writes the changes). A label meets its prediction whichever
 * comes first; the pair is measured (the shared `addLabelled`) into the tally of the
 * prediction's base window, and both records are tombstoned. The clock is the newest event
 * time seen (predictions and labels): whatever waits longer than the horizon on it expires.
 */
export class LabelJoin {
  private readonly settings: JoinSettings;
  readonly predictions: PendingPredictions;
  readonly labels: PendingLabels;
  readonly tallies = new Map<string, WindowTally>();
  private clockMs = -Infinity;
  /** The clock's base window at the last retirement scan (tallies retire on boundaries only). */
  private scannedWindow = -Infinity;
  /** Predictions evicted while restoring (over a lowered bound): tombstoned with the next step. */
  private readonly restoreEvicted: string[] = [];
  /** Labels evicted while restoring, likewise (else each restart would read them back). */
  private readonly restoreEvictedLabels: string[] = [];
  /** Last baseline seen per model version (a pending prediction's tally may need re-creating). */
  private readonly baselines = new Map<string, string>();

  constructor(settings: JoinSettings) {
    this.settings = settings;
    this.predictions = new PendingPredictions(settings);
    this.labels = new PendingLabels(settings.maxPending);
  }

  get clock(): number {
    return this.clockMs;
  }

  /** A prediction record (`p|id`) read for the first time. */
  prediction(p: JoinPrediction, changes: JoinChanges): void {
    this.advance(p.time);
    if (p.time <= this.clockMs - this.settings.horizonMs) {
      // Too old to wait: its window's tally may be retired already.
      changes.counts.expiredPredictions++;
      changes.removed.push(predictionKey(p.id));
      return;
    }
    const waiting = this.labels.take(p.id);
    const added = waiting === undefined ? this.predictions.add(p) : undefined;
    if (added?.kind === 'duplicate') {
      changes.counts.duplicatePredictions++;
      return;
    }
    this.baselines.set(versionKey(p), p.baselineHash);
    const tally = this.tallyOf(p, p.baselineHash);
    tally.predicted++;
    changes.tallies.set(tallyKey(tally), tally);
    if (waiting !== undefined) this.match(p, waiting.label, changes);
    else if (added?.evicted) {
      changes.counts.evictedPredictions++;
      changes.removed.push(predictionKey(added.evicted.id));
    }
  }

  /** A label record (`l|id`) read for the first time. */
  label(id: string, label: LabelValue, time: number, changes: JoinChanges): void {
    this.advance(time);
    const p = this.predictions.take(id);
    if (p !== undefined && p.time <= this.clockMs - this.settings.horizonMs) {
      // Its wait is over, though the sweep (arrival order) has not reached it: its window's
      // tally may be retired, and measuring it would re-create that tally from this pair alone.
      changes.counts.expiredPredictions++;
      changes.removed.push(predictionKey(p.id));
    } else if (p !== undefined) {
      return this.match(p, label, changes);
    }
    const evicted = this.labels.put(id, label, time);
    if (evicted !== undefined) {
      changes.counts.evictedLabels++;
      changes.removed.push(labelKey(evicted));
    }
  }

  /** Expires what waited past the horizon, and retires the tallies no label can change now. */
  expire(changes: JoinChanges): void {
    if (this.restoreEvicted.length > 0) {
      changes.counts.evictedPredictions += this.restoreEvicted.length;
      changes.removed.push(...this.restoreEvicted.splice(0).map(predictionKey));
    }
    if (this.restoreEvictedLabels.length > 0) {
      changes.counts.evictedLabels += this.restoreEvictedLabels.length;
      changes.removed.push(...this.restoreEvictedLabels.splice(0).map(labelKey));
    }
    for (const p of this.predictions.expire(this.clockMs)) {
      changes.counts.expiredPredictions++;
      changes.removed.push(predictionKey(p.id));
    }
    for (const id of this.labels.expire(this.clockMs - this.settings.horizonMs)) {
      changes.counts.expiredLabels++;
      changes.removed.push(labelKey(id));
    }
    const { windowMs, horizonMs } = this.settings;
    const window = Math.floor(this.clockMs / windowMs);
    if (window === this.scannedWindow) return;
    this.scannedWindow = window;
    changes.clockMark = window * windowMs;
    for (const [key, tally] of this.tallies) {
      if (tally.end + horizonMs > this.clockMs) continue;
      this.tallies.delete(key);
      changes.tallies.delete(key);
      changes.retired.push(tally);
    }
  }

  /** Restoring: a pending prediction read back (already counted in its tally). */
  restorePrediction(p: JoinPrediction): void {
    this.baselines.set(versionKey(p), p.baselineHash);
    const added = this.predictions.add(p);
    if (added.kind === 'added' && added.evicted) this.restoreEvicted.push(added.evicted.id);
  }

  restoreLabel(id: string, label: LabelValue, time: number): void {
    const evicted = this.labels.put(id, label, time);
    if (evicted !== undefined) this.restoreEvictedLabels.push(evicted);
  }

  restoreTally(tally: WindowTally): void {
    this.baselines.set(versionKey(tally), tally.baselineHash);
    this.tallies.set(tallyKey(tally), tally);
  }

  restoreClock(clock: number): void {
    this.clockMs = Math.max(this.clockMs, clock);
  }

  private advance(time: number): void {
    if (time > this.clockMs) this.clockMs = time;
  }

  private match(p: AwaitingPrediction | undefined, label: LabelValue, changes: JoinChanges) {
    if (p === undefined) return;
    const tally = this.tallyOf(p, this.baselines.get(versionKey(p)) ?? '');
    const read: QualityPrediction = {
      predicted: p.predicted,
      score: p.score,
      positive: p.positive,
    };
    addLabelled(tally.quality, read, label);
    changes.tallies.set(tallyKey(tally), tally);
    changes.removed.push(predictionKey(p.id), labelKey(p.id));
    changes.counts.matched++;
  }

  private tallyOf(p: AwaitingPrediction, baselineHash: string): WindowTally {
    const size = this.settings.windowMs;
    const start = Math.floor(p.time / size) * size;
    const identity = { model: p.model, modelVersion: p.modelVersion, start, end: start + size };
    const key = tallyKey(identity);
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = {
        ...identity,
        baselineHash,
        predicted: 0,
        quality: { classification: null, regression: null, unusable: 0 },
      };
      this.tallies.set(key, tally);
    }
    return tally;
  }
}

const versionKey = (p: { model: string; modelVersion: string }) =>
  `${p.model}\u0000${p.modelVersion}`;
