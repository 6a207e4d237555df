import type { LabelledPredictions, WindowQuality } from '../windows/window-quality.js';
import type { Window } from '../windows/window.js';
import type { WindowModelPoint } from './model-points.js';

export const QUALITY_METHOD = 'quality';
export const QUALITY_CLASS_METHOD = 'quality_class';
/** The same points from delayed labels (README "Model quality (delayed labels)"). */
export const DELAYED_QUALITY_METHOD = 'quality_delayed';
export const DELAYED_QUALITY_CLASS_METHOD = 'quality_class_delayed';

type QualityMethods =
  | { point: typeof QUALITY_METHOD; perClass: typeof QUALITY_CLASS_METHOD }
  | { point: typeof DELAYED_QUALITY_METHOD; perClass: typeof DELAYED_QUALITY_CLASS_METHOD };

const INLINE: QualityMethods = { point: QUALITY_METHOD, perClass: QUALITY_CLASS_METHOD };
export const DELAYED: QualityMethods = {
  point: DELAYED_QUALITY_METHOD,
  perClass: DELAYED_QUALITY_CLASS_METHOD,
};

export type Identity = Omit<
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
  return labelledPoints(window.quality.combined(), window.events, identity, INLINE);
}

/**
 * The quality points of labelled predictions out of `predictions` (label_coverage's
 * denominator), under the inline or the delayed methods.
 */
export function labelledPoints(
  labelled: LabelledPredictions,
  predictions: number,
  identity: Identity,
  methods: QualityMethods,
): WindowModelPoint[] {
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
    label_coverage: predictions > 0 ? n / predictions : null,
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
  const points = [point(methods.point, '_model', n, ints, floats)];
  for (const k of c?.classes ?? []) {
    points.push(
      point(
        methods.perClass,
        k.class,
        k.support,
        { support: k.support },
        { precision: k.precision, recall: k.recall, f1: k.f1 },
      ),
    );
  }
  return points;
}

/**
 * A window's quality from delayed labels, every join partition's tally kept apart (merged in
 * ascending partition order: the same float sums whatever order they arrived in).
 */
export interface DelayedQuality {
  identity: Identity;
  /** Predictions with an id the join received for the window (label_coverage's denominator). */
  predicted: number;
  /** Per join partition, its labelled predictions. */
  quality: WindowQuality;
}

/** The `quality_delayed` and `quality_class_delayed` points of a window's delayed quality. */
export function delayedQualityPoints(d: DelayedQuality): WindowModelPoint[] {
  return labelledPoints(d.quality.combined(), d.predicted, d.identity, DELAYED);
}
