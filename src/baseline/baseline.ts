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
        binCounts: Float64Array.from(f.proportions, (p) => Math.round(p * f.count)),
        count: f.count,
        std: f.std ?? (f.sample ? standardDeviation(f.sample) : 0),
        sample: f.sample ? toReferenceSample(f.sample) : undefined,
      });
    } else {
      const categories = Object.keys(f.proportions).sort();
      features.set(name, {
        kind: 'categorical',
        categories,
        index: new Map(categories.map((c, i) => [c, i])),
        counts: Float64Array.from(categories, (c) => Math.round((f.proportions[c] ?? 0) * f.count)),
        count: f.count,
      });
    }
  }
  return { model: parsed.model, modelVersion: parsed.model_version, hash, file, features };
}

/** Canonical string form of a categorical value, shared by baseline building and windows. */
export function categoryKey(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}
