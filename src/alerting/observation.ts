import type { DriftObservation } from '../../alerts/model.js';
import { SUMMARY_METHOD } from '../windows/evaluate.js';

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

/** A summary point (a feature's missing and unseen counts): no statistic, never drifted. */
export function summaryObservation(base: ObservationBase, unseen: number | null): DriftObservation {
  return {
    ...base,
    method: SUMMARY_METHOD,
    status: 'ok',
    statistic: null,
    pValue: null,
    adjustedPValue: null,
    threshold: null,
    drifted: false,
    unseen,
  };
}
