/**
 * Deterministic synthetic prediction logs for the demo, the tests and the benchmark: numeric
 * features ~ N(0, 1) and a categorical `country`, with an optional mean shift injected into
 * chosen features from a given time on.
 */

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'ES'] as const;
const COUNTRY_WEIGHTS = [0.3, 0.2, 0.25, 0.15, 0.1];

function country(random: () => number): string {
  let u = random();
  for (let i = 0; i < COUNTRIES.length; i++) {
    u -= COUNTRY_WEIGHTS[i] as number;
    if (u < 0) return COUNTRIES[i] as string;
  }
  return COUNTRIES[COUNTRIES.length - 1] as string;
}

export interface SyntheticSpec {
  model: string;
  modelVersion: string;
  numericFeatures: string[];
  /** Features whose mean moves by `shift` for events at or after `shiftFrom` (ms). */
  shifted?: { features: string[]; shift: number; shiftFrom: number };
  seed: number;
}

export function featureNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i < 26 ? String.fromCharCode(97 + i) : `f${i}`));
}

/** Training columns for a baseline (no shift). */
export function trainingColumns(
  spec: SyntheticSpec,
  rows: number,
): Record<string, number[] | string[]> {
  const random = rng(spec.seed ^ 0x5eed);
  const columns: Record<string, number[] | string[]> = {};
  for (const f of spec.numericFeatures)
    columns[f] = Array.from({ length: rows }, () => normal(random));
  columns.country = Array.from({ length: rows }, () => country(random));
  return columns;
}

/** `count` prediction logs evenly spaced from `start` every `stepMs`. */
export function* predictionLogs(spec: SyntheticSpec, start: number, stepMs: number, count: number) {
  const random = rng(spec.seed);
  const shifted = new Set(spec.shifted?.features ?? []);
  for (let i = 0; i < count; i++) {
    const timestamp = start + i * stepMs;
    const isShifted = spec.shifted !== undefined && timestamp >= spec.shifted.shiftFrom;
    const features: Record<string, number | string | null> = {};
    for (const f of spec.numericFeatures) {
      features[f] = normal(random) + (isShifted && shifted.has(f) ? (spec.shifted?.shift ?? 0) : 0);
    }
    features.country = country(random);
    yield {
      model: spec.model,
      model_version: spec.modelVersion,
      timestamp: new Date(timestamp).toISOString(),
      id: `req-${i}`,
      features,
      prediction: random(),
    };
  }
}
