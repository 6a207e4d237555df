import { toBaseline, type Baseline } from '../../src/baseline/baseline.js';
import { BASELINE_FORMAT_V1, type BaselineFileV1 } from '../../src/baseline/file-format-v1.js';
import type { BaselineStore } from '../../src/baseline/store.js';

/** An in-memory baseline of model "fraud" version "3" with the given features. */
export function fraudBaseline(
  features: BaselineFileV1['features'],
  hash = 'abcdef0123456789',
): Baseline {
  return modelBaseline('fraud', '3', features, hash);
}

/** An in-memory baseline of any model and version with the given features. */
export function modelBaseline(
  model: string,
  modelVersion: string,
  features: BaselineFileV1['features'],
  hash = 'abcdef0123456789',
): Baseline {
  return toBaseline(
    {
      format: BASELINE_FORMAT_V1,
      model,
      model_version: modelVersion,
      created_at: '2026-01-01T00:00:00.000Z',
      source: { file: 'train.csv', rows: 100 },
      features,
    },
    hash,
    `${model}/${modelVersion}.json`,
  );
}

/** A store that knows only these baselines (no fallback). */
export function storeOf(...baselines: Baseline[]): BaselineStore {
  const get = (model: string, version: string) =>
    baselines.find((b) => model === b.model && version === b.modelVersion);
  return { get, resolve: get, generation: 0, rejectsUnknown: false } as unknown as BaselineStore;
}

/** Model fraud@3 with one numeric feature, amount: three bins cut at 10 and 20 (25/50/25 %). */
export const amountBaseline = (): Baseline =>
  fraudBaseline({
    amount: {
      kind: 'numeric',
      cuts: [10, 20],
      proportions: [0.25, 0.5, 0.25],
      count: 100,
      missing: 0,
    },
  });
