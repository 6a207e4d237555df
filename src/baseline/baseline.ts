import { createHash } from 'node:crypto';
import { standardDeviation } from 'simple-statistics';
import {
  toReferenceSample,
  type CategoricalReference,
  type FeatureReference,
} from '../../detectors/index.js';
import type { BaselineFileV1 } from './file-format-v1.js';
import { TAIL_QUANTILES, type BaselineFile, type BaselineFileV2 } from './file-format.js';

/** A feature's baseline is exactly what the detectors compare windows against. */
export type FeatureBaseline = FeatureReference;

/** A training baseline for one (model, model_version), ready for the hot path. */
export interface Baseline {
  model: string;
  modelVersion: string;
  /** Identity (first 16 hex chars of the content SHA-256), written with every drift point. */
  hash: string;
  file: string;
  createdAt: string;
  /** The feature holding the model's output, compared with the logs' `prediction`. */
  prediction: string | null;
  features: ReadonlyMap<string, FeatureBaseline>;
}

/** Identity of a format-1 file: the SHA-256 of its bytes (format 2 carries its own). */
export function baselineHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function categorical(counts: Record<string, number>, other: number): CategoricalReference {
  const categories = Object.keys(counts).sort();
  const values = Float64Array.from(categories, (c) => counts[c] ?? 0);
  return {
    kind: 'categorical',
    categories,
    index: new Map(categories.map((c, i) => [c, i])),
    counts: values,
    count: values.reduce((a, b) => a + b, 0) + other,
    other,
  };
}

function fromV2(parsed: BaselineFileV2): Map<string, FeatureBaseline> {
  const features = new Map<string, FeatureBaseline>();
  for (const [name, f] of Object.entries(parsed.features)) {
    if (f.kind === 'categorical') {
      features.set(name, categorical(f.counts, f.other));
      continue;
    }
    features.set(name, {
      kind: 'numeric',
      cuts: Float64Array.from(f.cuts),
      binCounts: countsOf(f.proportions, f.count),
      count: f.count,
      std: f.summary.std,
      range: {
        min: f.summary.min,
        max: f.summary.max,
        low: f.quantiles.find((q) => q.q === TAIL_QUANTILES[0])?.value ?? NaN,
        high: f.quantiles.find((q) => q.q === TAIL_QUANTILES[1])?.value ?? NaN,
      },
      // A quantile sketch stands for the whole column (KS uses its count as n_ref).
      sample: toReferenceSample(
        f.sample.values,
        f.sample.method === 'quantiles' ? f.count : f.sample.size,
      ),
    });
  }
  return features;
}

function fromV1(parsed: BaselineFileV1): Map<string, FeatureBaseline> {
  const features = new Map<string, FeatureBaseline>();
  for (const [name, f] of Object.entries(parsed.features)) {
    // Format 1 stores proportions; the count-based tests (chi-square) need counts back.
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
      const names = Object.keys(f.proportions);
      const counts = countsOf(
        names.map((c) => f.proportions[c] ?? 0),
        f.count,
      );
      features.set(
        name,
        categorical(Object.fromEntries(names.map((c, i) => [c, counts[i] as number])), 0),
      );
    }
  }
  return features;
}

/** The hot-path form of a parsed file; `hash` is its identity (see baselineIdentity). */
export function toBaseline(parsed: BaselineFile, hash: string, file: string): Baseline {
  const v2 = 'format_version' in parsed;
  return {
    model: parsed.model,
    modelVersion: parsed.model_version,
    hash,
    file,
    createdAt: parsed.created_at,
    prediction: v2 ? parsed.prediction : null,
    features: v2 ? fromV2(parsed) : fromV1(parsed),
  };
}

/** Format 2: its content hash; format 1: the hash of its bytes (as 0.1 wrote to InfluxDB). */
export function baselineIdentity(parsed: BaselineFile, bytes: Buffer | string): string {
  return 'format_version' in parsed ? parsed.content_sha256.slice(0, 16) : baselineHash(bytes);
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

/** Metric labels of a series: the baseline's model and version, bounded by the baselines loaded. */
export function baselineLabels(baseline: Baseline): { model: string; model_version: string } {
  return { model: baseline.model, model_version: baseline.modelVersion };
}
