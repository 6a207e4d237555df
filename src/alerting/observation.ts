import {
  DETAILS,
  MEASURES,
  type DetailName,
  type DriftObservation,
  type MeasureName,
  type PValueAdjustment,
} from '../../alert-engine/model.js';
import { SUMMARY_METHOD, windowTagOf, type WindowPoint } from '../drift/window-points.js';

/**
 * What the live window point (`toObservation`) and the stored one (the backtest's
 * `observationFromRow`) share when they become the observation rules read.
 */

/** The series, the window and its counts: what every observation carries. */
export type ObservationBase = Pick<
  DriftObservation,
  | 'model'
  | 'modelVersion'
  | 'feature'
  | 'window'
  | 'baseline'
  | 'windowStart'
  | 'windowEnd'
  | 'n'
  | 'missing'
>;

/** A finite number as it is; anything else (NaN, ±Infinity, null, not a number) → null. */
export const finiteOrNull = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

/** The correction behind an adjusted p-value as rules report it; none, or unknown → null. */
export function adjustmentOf(method: unknown, tests: unknown): PValueAdjustment | null {
  if (typeof method !== 'string' || method === 'none') return null;
  if (typeof tests !== 'number' || !Number.isInteger(tests) || tests < 1) return null;
  return { method, tests };
}

/** What a summary point counts besides missing values. */
export type SummaryCounts = Pick<
  DriftObservation,
  'unseen' | 'outOfRange' | 'outOfQuantiles' | 'wrongType'
>;

/** A summary point (a feature's missing, unseen, out-of-range counts): no statistic, never drifted. */
export function summaryObservation(base: ObservationBase, counts: SummaryCounts): DriftObservation {
  return {
    ...base,
    method: SUMMARY_METHOD,
    status: 'ok',
    statistic: null,
    pValue: null,
    adjustedPValue: null,
    correction: null,
    threshold: null,
    drifted: false,
    ...counts,
  };
}

/** Out-of-range counts as rules read them: absent when the point has none, null when partial. */
export function outOfRangeCounts(
  belowMin: number | null | undefined,
  aboveMax: number | null | undefined,
  belowLow: number | null | undefined,
  aboveHigh: number | null | undefined,
): Pick<DriftObservation, 'outOfRange' | 'outOfQuantiles'> {
  if (belowMin == null || aboveMax == null) return {};
  return {
    outOfRange: belowMin + aboveMax,
    outOfQuantiles: belowLow == null || aboveHigh == null ? null : belowLow + aboveHigh,
  };
}

/** A model-level point (ops, schema, a class): its measures, no statistic, never drifted. */
export function modelObservation(
  base: ObservationBase,
  method: string,
  measures: NonNullable<DriftObservation['measures']>,
  details?: DriftObservation['details'],
): DriftObservation {
  return {
    ...base,
    method,
    status: 'ok',
    statistic: null,
    pValue: null,
    adjustedPValue: null,
    correction: null,
    threshold: null,
    drifted: false,
    unseen: null,
    measures,
    ...(details === undefined ? {} : { details }),
  };
}

/** The measures rules read from a model-level point's fields (numbers; others absent). */
export function measuresOf(
  fields: Readonly<Record<string, unknown>>,
): NonNullable<DriftObservation['measures']> {
  const measures: Partial<Record<MeasureName, number | null>> = {};
  for (const name of MEASURES) {
    if (name in fields) measures[name] = finiteOrNull(fields[name]);
  }
  return measures;
}

/**
 * The text fields notifications name features with (the schema point's name lists); undefined
 * when the point has none, so other points' observations stay as they were.
 */
export function detailsOf(
  fields: Readonly<Record<string, unknown>>,
): DriftObservation['details'] | undefined {
  const details: Partial<Record<DetailName, string>> = {};
  let any = false;
  for (const name of DETAILS) {
    const v = fields[name];
    if (typeof v === 'string') {
      details[name] = v;
      any = true;
    }
  }
  return any ? details : undefined;
}

/** A drift point as rules read it; the backtest builds the same from InfluxDB rows. */
export function toObservation(p: WindowPoint): DriftObservation {
  const common: ObservationBase = {
    model: p.model,
    modelVersion: p.modelVersion,
    feature: p.feature,
    window: windowTagOf(p),
    baseline: p.baselineHash,
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
    n: p.n,
    missing: p.missing,
  };
  if (p.kind === 'summary') {
    return summaryObservation(common, {
      unseen: p.unseen ?? null,
      ...outOfRangeCounts(p.belowMin, p.aboveMax, p.belowLow, p.aboveHigh),
      ...(p.wrongType === undefined ? {} : { wrongType: p.wrongType }),
    });
  }
  if (p.kind === 'model') {
    return modelObservation(
      common,
      p.method,
      measuresOf({ ...p.ints, ...p.floats }),
      detailsOf(p.strings),
    );
  }
  return {
    ...common,
    method: p.method,
    status: p.status,
    statistic: finiteOrNull(p.statistic),
    pValue: finiteOrNull(p.pValue),
    adjustedPValue: finiteOrNull(p.adjustedPValue),
    correction: adjustmentOf(p.correction, p.tests),
    threshold: p.threshold,
    drifted: p.drifted,
    unseen: p.unseen ?? null,
  };
}
