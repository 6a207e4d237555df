import type { Window } from '../windows/window.js';
import type { WindowModelPoint } from './model-points.js';

export const QUALITY_METHOD = 'quality';
export const QUALITY_CLASS_METHOD = 'quality_class';

type Identity = Omit<
  WindowModelPoint,
  'kind' | 'method' | 'feature' | 'n' | 'missing' | 'ints' | 'floats' | 'strings'
>;

/**
 * The window's model quality from inline labels (README "Model quality"): one `quality` point
 * (feature `_model`: labelled predictions, label coverage, classification and regression
 * metrics, whichever the labels allow) and one `quality_class` point per class. None without a
 * label in the window.
 */
export function qualityPoints(window: Window, identity: Identity): WindowModelPoint[] {
  const labelled = window.quality.combined();
  const c = labelled.classification?.metrics();
  const r = labelled.regression?.metrics();
  const n = (c?.n ?? 0) + (r?.n ?? 0);
  if (n === 0 && labelled.unusable === 0) return [];
  const point = (
    method: string,
    feature: string,
    count: number,
    ints: Record<string, number>,
    floats: Record<string, number | null>,
  ): WindowModelPoint => ({
    ...identity,
    kind: 'model',
    method: method as WindowModelPoint['method'],
    feature,
    n: count,
    missing: 0,
    ints,
    floats,
    strings: {},
  });
  const floats: Record<string, number | null> = {
    label_coverage: window.events > 0 ? n / window.events : null,
  };
  if (c) {
    Object.assign(floats, {
      accuracy: c.accuracy,
      precision: c.macro?.precision ?? null,
      recall: c.macro?.recall ?? null,
      f1: c.macro?.f1 ?? null,
      roc_auc: c.rocAuc,
      log_loss: c.logLoss,
      calibration_error: c.calibrationError,
    });
  }
  if (r) Object.assign(floats, { mae: r.mae, rmse: r.rmse, mape: r.mape, bias: r.bias });
  const ints: Record<string, number> = { labelled: n, unusable_labels: labelled.unusable };
  if (c) ints.scored = c.scored;
  const points = [point(QUALITY_METHOD, '_model', n, ints, floats)];
  for (const k of c?.classes ?? []) {
    points.push(
      point(
        QUALITY_CLASS_METHOD,
        k.class,
        k.support,
        { support: k.support },
        { precision: k.precision, recall: k.recall, f1: k.f1 },
      ),
    );
  }
  return points;
}
