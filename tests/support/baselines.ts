import { toBaseline, type Baseline } from '../../src/baseline/baseline.js';
import { BASELINE_FORMAT, type BaselineFile } from '../../src/baseline/file-format.js';
import type { BaselineStore } from '../../src/baseline/store.js';

/** An in-memory baseline of model "fraud" version "3" with the given features. */
export function fraudBaseline(
  features: BaselineFile['features'],
  hash = 'abcdef0123456789',
): Baseline {
  return toBaseline(
    {
      format: BASELINE_FORMAT,
      model: 'fraud',
      model_version: '3',
      created_at: '2026-01-01T00:00:00.000Z',
      source: { file: 'train.csv', rows: 100 },
      features,
    },
    hash,
    'fraud/3.json',
  );
}

/** A store that knows only this baseline. */
export function storeOf(baseline: Baseline): BaselineStore {
  return {
    get: (model: string, version: string) =>
      model === baseline.model && version === baseline.modelVersion ? baseline : undefined,
  } as BaselineStore;
}
