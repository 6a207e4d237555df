import type { Baseline } from '../baseline/baseline.js';

/** One drift point of one feature and method, as a report draws it. */
export interface SeriesPoint {
  /** Window end, epoch ms. */
  time: number;
  statistic: number | null;
  threshold: number | null;
  pValue: number | null;
  drifted: boolean;
  n: number;
  /** Why the point flagged or not: `p_value` means the threshold is an alpha for the p-value. */
  rule: string;
}

/** One alert transition in the range (the `driftwatch_alerts` measurement). */
export interface AlertTransitionRow {
  time: number;
  rule: string;
  severity: string;
  state: string;
  from: string;
  feature: string;
  method: string;
  value: number | null;
  threshold: number | null;
}

/** Everything one report shows; gathered by report-query.ts, drawn by render.ts. */
export interface ReportData {
  model: string;
  modelVersion: string;
  from: number;
  to: number;
  generatedAt: number;
  /** The baseline the points were computed against; undefined when not in baselines.dir. */
  baseline: Baseline | undefined;
  /** Hash of the baseline named by the points (they carry it even when the file is gone). */
  baselineHash: string | undefined;
  /** feature → method → points in time order (the dataset-level share under `_dataset`). */
  series: ReadonlyMap<string, ReadonlyMap<string, readonly SeriesPoint[]>>;
  /** The window whose distribution is drawn against the baseline's, and its counts. */
  distribution: { windowEnd: number; counts: ReadonlyMap<string, readonly number[]> } | undefined;
  alerts: readonly AlertTransitionRow[];
}
