/**
 * The synthetic data of `npm run bench:peers`: 50,000 training rows and 12 windows of 3,000
 * events over 4 numeric and 2 categorical features, seeded, so every run and both sides of the
 * bench see the same values. Windows 0–5 are drawn like the training rows; windows 6–11 each
 * shift something (a mean by 0.1 to 0.3 σ, a scale, a category mix), so the peers are timed on
 * drifted windows too (the drifted KS p-values are the expensive ones).
 */
import type { PredictionLog } from '../src/prediction-log/prediction-log.js';
import { uniform53 } from '../scripts/sfc32.js';

export const TRAINING_ROWS = 50_000;
export const WINDOWS = 12;
export const WINDOW_EVENTS = 3_000;
export const NUMERIC = ['amount', 'age', 'score', 'latency'] as const;
export const CATEGORICAL = {
  country: {
    names: ['DE', 'US', 'FR', 'GB', 'NL', 'ES', 'IT', 'PL'],
    weights: [30, 20, 15, 12, 10, 7, 4, 2],
  },
  device: { names: ['ios', 'android', 'web'], weights: [45, 40, 15] },
} as const;
type Numeric = (typeof NUMERIC)[number];
type Categorical = keyof typeof CATEGORICAL;
const CATEGORICAL_NAMES = Object.keys(CATEGORICAL) as Categorical[];

/** What a window changes: latent shifts (in σ of the latent normal) and category mixes. */
interface Shift {
  z?: Partial<Record<Numeric, number>>;
  scale?: Partial<Record<Numeric, number>>;
  /** Replaces the category weights. */
  mix?: Partial<Record<Categorical, readonly number[]>>;
}

const SHIFTS: readonly Shift[] = [
  {},
  {},
  {},
  {},
  {},
  {},
  { z: { age: 0.1 } },
  { scale: { amount: 1.1 } },
  { z: { score: 0.3 } },
  { mix: { country: [24, 22, 15, 12, 10, 9, 5, 3] } },
  { scale: { latency: 1.3 }, mix: { device: [40, 40, 20] } },
  { z: { age: 0.2, score: 0.2 }, scale: { amount: 1.2 }, mix: { device: [35, 45, 20] } },
];

export interface PeersData {
  /** Training columns by feature, as a CSV reader would hand them to `baseline build`. */
  training: Record<string, (number | string)[]>;
  /** Per window, its events in arrival order. */
  windows: PredictionLog[][];
  /** Raw columns for the Python side: training then every window's values back to back. */
  raw: {
    numeric: Record<Numeric, { reference: Float64Array; current: Float64Array }>;
    categorical: Record<Categorical, { reference: Int32Array; current: Int32Array }>;
  };
}

type Row = Record<Numeric, number> & Record<Categorical, number>;

function drawRows(count: number, shift: Shift, u: () => number): Row[] {
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const pick = (weights: readonly number[]) => {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = u() * total;
    let k = 0;
    while (k < weights.length - 1 && r >= (weights[k] as number)) r -= weights[k++] as number;
    return k;
  };
  const z = (f: Numeric) => normal() + (shift.z?.[f] ?? 0);
  const s = (f: Numeric) => shift.scale?.[f] ?? 1;
  return Array.from({ length: count }, () => ({
    amount: s('amount') * Math.exp(3 + 0.8 * z('amount')),
    age: 40 + 12 * z('age'),
    score: 1 / (1 + Math.exp(-z('score'))),
    latency: -s('latency') * 120 * Math.log(1 - u()) + 5 * z('latency'),
    country: pick(shift.mix?.country ?? CATEGORICAL.country.weights),
    device: pick(shift.mix?.device ?? CATEGORICAL.device.weights),
  }));
}

export function peersData(seed = 13): PeersData {
  const u = uniform53(seed);
  const trainingRows = drawRows(TRAINING_ROWS, {}, u);
  const windowRows = SHIFTS.map((shift) => drawRows(WINDOW_EVENTS, shift, u));
  const all = windowRows.flat();
  const name = (f: Categorical, k: number) => CATEGORICAL[f].names[k] as string;
  const training: PeersData['training'] = {};
  for (const f of NUMERIC) training[f] = trainingRows.map((r) => r[f]);
  for (const f of CATEGORICAL_NAMES) training[f] = trainingRows.map((r) => name(f, r[f]));
  const windows = windowRows.map((rows, w) =>
    rows.map((r, i): PredictionLog => {
      const features: Record<string, number | string> = {};
      for (const f of NUMERIC) features[f] = r[f];
      for (const f of CATEGORICAL_NAMES) features[f] = name(f, r[f]);
      return { model: 'peers', model_version: '1', timestamp: w * 60_000 + i, features };
    }),
  );
  const numeric = Object.fromEntries(
    NUMERIC.map((f) => [
      f,
      {
        reference: Float64Array.from(trainingRows, (r) => r[f]),
        current: Float64Array.from(all, (r) => r[f]),
      },
    ]),
  ) as PeersData['raw']['numeric'];
  const categorical = Object.fromEntries(
    CATEGORICAL_NAMES.map((f) => [
      f,
      {
        reference: Int32Array.from(trainingRows, (r) => r[f]),
        current: Int32Array.from(all, (r) => r[f]),
      },
    ]),
  ) as PeersData['raw']['categorical'];
  return { training, windows, raw: { numeric, categorical } };
}
