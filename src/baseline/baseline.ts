import { createHash } from 'node:crypto';
import { standardDeviation } from 'simple-statistics';
import { toReferenceSample, type FeatureReference } from '../../detectors/index.js';
import type { BaselineFile } from './file-format.js';

/** A feature's baseline is exactly what the detectors compare windows against. */
export type FeatureBaseline = FeatureReference;

/** A training baseline for one (model, model_version), ready for the hot path. */
export interface Baseline {
  model: string;
  modelVersion: string;
  /** Content hash of the file (first 16 hex chars of sha256), written with every drift point. */
  hash: string;
  file: string;
  features: ReadonlyMap<string, FeatureBaseline>;
}

export function baselineHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export function toBaseline(parsed: BaselineFile, hash: string, file: string): Baseline {
  const features = new Map<string, FeatureBaseline>();
  for (const [name, f] of Object.entries(parsed.features)) {
    // Files store proportions; the count-based tests (chi-square) need counts back.
    if (f.kind === 'numeric') {
      features.set(name, {
        kind: 'numeric',
        cuts: Float64Array.from(f.cuts),
        binCounts: countsOf(f.proportions, f.count),
        count: f.count,
        // Training values near ±1e308 overflow the variance: NaN marks "no usable scale".
        std: f.std ?? (f.sample ? standardDeviation(f.sample) : NaN),
        sample: f.sample ? toReferenceSample(f.sample) : undefined,
      });
    } else {
      const categories = Object.keys(f.proportions).sort();
      features.set(name, {
        kind: 'categorical',
        categories,
        index: new Map(categories.map((c, i) => [c, i])),
        counts: countsOf(
          categories.map((c) => f.proportions[c] ?? 0),
          f.count,
        ),
        count: f.count,
      });
    }
  }
  return { model: parsed.model, modelVersion: parsed.model_version, hash, file, features };
}

/**
 * Training counts back from proportions × count, by largest remainder so they sum to `count`
 * exactly and a feature with a positive count never becomes an all-zero vector.
 */
export function countsOf(proportions: readonly number[], count: number): Float64Array {
  const exact = proportions.map((p) => p * count);
  const counts = Float64Array.from(exact, Math.floor);
  let left = count - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/** Canonical string form of a categorical value, shared by baseline building and windows. */
export function categoryKey(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}
