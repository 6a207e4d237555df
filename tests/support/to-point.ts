import { Point } from '@influxdata/influxdb-client';
import { SUMMARY_METHOD, windowTagOf, type WindowPoint } from '../../src/drift/window-points.js';

/**
 * The documented series built with the InfluxDB client's Point: tags carry identity, fields
 * carry numbers, the timestamp is the window end, so re-emitting a window overwrites its points
 * instead of duplicating them. The daemon writes `toLine` (src/sinks/line-protocol.ts); this is
 * the oracle the tests check its text against.
 */
export function toPoint(result: WindowPoint, measurement: string): Point {
  const point = new Point(measurement)
    .tag('model', result.model)
    .tag('model_version', result.modelVersion)
    .tag('feature', result.feature)
    .tag('method', result.kind === 'summary' ? SUMMARY_METHOD : result.method)
    .tag('baseline', result.baselineHash)
    .tag('window', windowTagOf(result))
    .intField('n', result.n)
    .intField('missing', result.missing)
    .timestamp(result.windowEnd);
  // A count window's span varies: its start is written beside the end (the point's time).
  if (result.windowTag !== undefined) point.intField('window_start', result.windowStart);
  // A number that is not defined for this point is left out, never written as NaN.
  const float = (name: string, value: number | null | undefined) => {
    // InfluxDB rejects NaN/±Infinity, and a rejected batch would be retried forever.
    if (value !== null && value !== undefined && Number.isFinite(value)) {
      point.floatField(name, value);
    }
  };
  const int = (name: string, value: number | undefined) => {
    if (value !== undefined) point.intField(name, value);
  };
  if (result.kind === 'summary') {
    float('mean', result.mean);
    float('std', result.std);
    float('min', result.min);
    float('max', result.max);
    int('categories', result.categories);
    int('unseen', result.unseen);
    int('below_min', result.belowMin);
    int('above_max', result.aboveMax);
    int('below_q001', result.belowLow ?? undefined);
    int('above_q999', result.aboveHigh ?? undefined);
    // One string field: a field per bin would make the series' schema depend on the baseline.
    if (result.counts?.length) point.stringField('counts', result.counts.join(','));
    int('wrong_type', result.wrongType);
    return point;
  }
  if (result.kind === 'model') {
    for (const [name, v] of Object.entries(result.ints)) point.intField(name, v);
    for (const [name, v] of Object.entries(result.floats)) float(name, v);
    for (const [name, v] of Object.entries(result.strings)) point.stringField(name, v);
    return point;
  }
  point
    .stringField('status', result.status)
    .booleanField('drifted', result.drifted)
    .booleanField('warning', result.warning)
    .intField('n_ref', result.nRef);
  float('threshold', result.threshold);
  float('statistic', result.statistic);
  float('p_value', result.pValue);
  float('p_value_adjusted', result.adjustedPValue);
  float('statistic_bound', result.bound);
  float('alpha', result.alpha);
  int('unseen', result.unseen);
  int('bins', result.bins);
  int('tests', result.tests);
  // Why the point flagged or not (README "InfluxDB series"): a field, so series stay as they were.
  point.stringField('rule', result.rule);
  if (result.correction !== undefined) point.stringField('correction', result.correction);
  if (result.pValueMethod !== undefined) point.stringField('p_value_method', result.pValueMethod);
  if (result.reason !== undefined) point.stringField('reason', result.reason);
  return point;
}
