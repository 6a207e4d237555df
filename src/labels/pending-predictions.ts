/**
 * Predictions waiting for their label (delayed labels, joined by prediction id). Pure: the
 * caller brings the event time and makes the state durable (a compacted changelog keyed by id).
 *
 * Memory is the concern — a fleet can wait days for labels — so a prediction is not kept as
 * an object: one Map entry (id → slot) and a few typed-array cells per slot; model/version
 * pairs and predicted classes are interned (a class string is kept once however many
 * predictions name it). `bench/pending-labels.ts` measures the bytes per pending prediction.
 * At the bound the oldest (in arrival order) is evicted and returned to the caller to count:
 * its label, if it ever comes, finds nothing.
 */

export interface AwaitingPrediction {
  id: string;
  model: string;
  modelVersion: string;
  /** Event time of the prediction, ms. */
  time: number;
  /** The predicted class (classification) or value (regression). */
  predicted: string | number;
  /** The model's probability of the positive class, when the log carries one. */
  score: number | null;
  /** The positive class `score` is the probability of (a two-class probability map). */
  positive?: string | undefined;
}

interface PredictionModel {
  model: string;
  modelVersion: string;
}

export interface PendingLimits {
  /** How long after its event time a prediction still waits for its label. */
  horizonMs: number;
  /** Pending predictions held at most; past it the oldest is evicted. */
  maxPending: number;
}

export type AddOutcome =
  | { kind: 'added'; evicted: AwaitingPrediction | undefined }
  /** The id is already waiting (a redelivered prediction): the first one stands. */
  | { kind: 'duplicate' };

/** Distinct predicted classes interned; more (a regression model's text, say) are kept as is. */
const MAX_INTERNED_CLASSES = 4_096;

export class PendingPredictions {
  private readonly limits: PendingLimits;
  /** id → slot, in arrival order (a Map iterates in insertion order). */
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private capacity = 0;
  private time = new Float64Array(0);
  private score = new Float64Array(0);
  private value = new Float64Array(0);
  private modelOf = new Int32Array(0);
  /** Index of the positive class in `positives`, −1: none. */
  private positiveOf = new Int32Array(0);
  private readonly positives: string[] = [];
  private readonly positiveIndex = new Map<string, number>();
  /** The predicted class per slot (undefined: a numeric prediction, in `value`). */
  private readonly classOf: (string | undefined)[] = [];
  private readonly models: PredictionModel[] = [];
  private readonly modelIndex = new Map<string, number>();
  private readonly classes = new Map<string, string>();

  constructor(limits: PendingLimits) {
    if (!(limits.maxPending >= 1)) throw new RangeError('PendingPredictions: maxPending < 1');
    this.limits = limits;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The waiting ids, in arrival order. */
  ids(): IterableIterator<string> {
    return this.slots.keys();
  }

  add(p: AwaitingPrediction): AddOutcome {
    if (this.slots.has(p.id)) return { kind: 'duplicate' };
    const evicted = this.slots.size >= this.limits.maxPending ? this.takeOldest() : undefined;
    const slot = this.free.pop() ?? this.grow();
    this.time[slot] = p.time;
    this.score[slot] = p.score ?? Number.NaN;
    this.modelOf[slot] = this.internModel(p.model, p.modelVersion);
    this.positiveOf[slot] = p.positive === undefined ? -1 : this.internPositive(p.positive);
    if (typeof p.predicted === 'number') {
      this.value[slot] = p.predicted;
      this.classOf[slot] = undefined;
    } else {
      this.classOf[slot] = this.internClass(p.predicted);
    }
    this.slots.set(p.id, slot);
    return { kind: 'added', evicted };
  }

  /** The prediction labelled `id`, removed; undefined when none waits (expired, evicted, unknown). */
  take(id: string): AwaitingPrediction | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    return this.release(id, slot);
  }

  /**
   * Removes the predictions whose wait is over (event time at or before `watermark` − horizon)
   * and returns them, in arrival order. Arrival order is close to event-time order, not equal
   * to it: one that arrived late waits until those before it expired.
   */
  expire(watermark: number): AwaitingPrediction[] {
    const cutoff = watermark - this.limits.horizonMs;
    const out: AwaitingPrediction[] = [];
    for (const [id, slot] of this.slots) {
      if ((this.time[slot] as number) > cutoff) break;
      out.push(this.release(id, slot));
    }
    return out;
  }

  private takeOldest(): AwaitingPrediction | undefined {
    for (const [id, slot] of this.slots) return this.release(id, slot);
    return undefined;
  }

  private release(id: string, slot: number): AwaitingPrediction {
    const model = this.models[this.modelOf[slot] as number] as PredictionModel;
    const cls = this.classOf[slot];
    const score = this.score[slot] as number;
    const positive = this.positiveOf[slot] as number;
    const p: AwaitingPrediction = {
      id,
      model: model.model,
      modelVersion: model.modelVersion,
      time: this.time[slot] as number,
      predicted: cls ?? (this.value[slot] as number),
      score: Number.isNaN(score) ? null : score,
      positive: positive < 0 ? undefined : this.positives[positive],
    };
    this.slots.delete(id);
    this.classOf[slot] = undefined;
    this.free.push(slot);
    return p;
  }

  private grow(): number {
    const slot = this.capacity;
    const capacity = Math.min(Math.max(16, this.capacity * 2), this.limits.maxPending);
    const widen = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.time = widen(this.time, (n) => new Float64Array(n));
    this.score = widen(this.score, (n) => new Float64Array(n));
    this.value = widen(this.value, (n) => new Float64Array(n));
    this.modelOf = widen(this.modelOf, (n) => new Int32Array(n));
    this.positiveOf = widen(this.positiveOf, (n) => new Int32Array(n));
    for (let s = capacity - 1; s > slot; s--) this.free.push(s);
    this.capacity = capacity;
    return slot;
  }

  private internModel(model: string, modelVersion: string): number {
    const key = `${model}\u0000${modelVersion}`;
    let i = this.modelIndex.get(key);
    if (i === undefined) {
      i = this.models.length;
      this.models.push({ model, modelVersion });
      this.modelIndex.set(key, i);
    }
    return i;
  }

  /** Positive classes are few (one per binary model): each kept once, never evicted. */
  private internPositive(cls: string): number {
    let i = this.positiveIndex.get(cls);
    if (i === undefined) {
      i = this.positives.length;
      this.positives.push(cls);
      this.positiveIndex.set(cls, i);
    }
    return i;
  }

  private internClass(cls: string): string {
    const known = this.classes.get(cls);
    if (known !== undefined) return known;
    if (this.classes.size < MAX_INTERNED_CLASSES) this.classes.set(cls, cls);
    return cls;
  }
}
