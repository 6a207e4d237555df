import { createHash } from 'node:crypto';
import type { BaselineFile } from './file-format.js';

export interface NumericFeatureBaseline {
  kind: 'numeric';
  cuts: Float64Array;
  proportions: Float64Array;
}

export interface CategoricalFeatureBaseline {
  kind: 'categorical';
  categories: readonly string[];
  /** category → position in `categories` / `proportions`. */
  index: ReadonlyMap<string, number>;
  proportions: Float64Array;
}

export type FeatureBaseline = NumericFeatureBaseline | CategoricalFeatureBaseline;

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
    if (f.kind === 'numeric') {
      features.set(name, {
        kind: 'numeric',
        cuts: Float64Array.from(f.cuts),
        proportions: Float64Array.from(f.proportions),
      });
    } else {
      const categories = Object.keys(f.proportions).sort();
      features.set(name, {
        kind: 'categorical',
        categories,
        index: new Map(categories.map((c, i) => [c, i])),
        proportions: Float64Array.from(categories, (c) => f.proportions[c] ?? 0),
      });
    }
  }
  return { model: parsed.model, modelVersion: parsed.model_version, hash, file, features };
}

/** Canonical string form of a categorical value, shared by baseline building and windows. */
export function categoryKey(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}
