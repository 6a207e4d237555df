import { flux } from '@influxdata/influxdb-client';
import { checkInfluxTls, influxClient, type InfluxConnection } from '../sinks/influx-client.js';
import type { DriftObservation } from '../../alert-engine/model.js';
import { compileGlob, globLiteralPrefix } from '../../alert-engine/glob.js';
import { parseDuration } from '../config/duration.js';
import { SUMMARY_METHOD } from '../drift/window-points.js';
import { MODEL_POINT_METHODS } from '../drift/model-points.js';
import {
  adjustmentOf,
  detailsOf,
  finiteOrNull as num,
  measuresOf,
  modelObservation,
  outOfRangeCounts,
  summaryObservation,
  type ObservationBase,
} from '../alerting/observation.js';

/**
 * The backtest's input (`driftwatch rules backtest`): the drift series of a time range, read
 * back from InfluxDB as the observations rules read.
 */

/** One row of the drift measurement after the pivot: tag columns and one column per field. */
export type DriftRow = Readonly<Record<string, unknown>>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The observation a stored drift point stands for: the same as `toObservation` builds from the
 * live window point (fields absent from the point are null). Undefined when the row is not a
 * drift point (no identity tags, unreadable time or window tag).
 */
export function observationFromRow(row: DriftRow): DriftObservation | undefined {
  const model = str(row.model);
  const modelVersion = str(row.model_version);
  const feature = str(row.feature);
  const method = str(row.method);
  const window = str(row.window);
  const time = row._time;
  const windowEnd =
    typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  // A count window (`count:<N>`) has no fixed length: its point carries its start.
  const start = num(row.window_start);
  const length =
    window === undefined
      ? undefined
      : (parseDuration(window) ??
        (start !== null && start < windowEnd ? windowEnd - start : undefined));
  if (
    model === undefined ||
    modelVersion === undefined ||
    feature === undefined ||
    method === undefined ||
    window === undefined ||
    length === undefined ||
    !Number.isFinite(windowEnd)
  ) {
    return undefined;
  }
  const common: ObservationBase = {
    model,
    modelVersion,
    feature,
    window,
    baseline: str(row.baseline) ?? '',
    windowStart: windowEnd - length,
    windowEnd,
    n: num(row.n) ?? 0,
    missing: num(row.missing) ?? 0,
  };
  if (method === SUMMARY_METHOD) {
    const wrongType = num(row.wrong_type);
    return summaryObservation(common, {
      unseen: num(row.unseen),
      ...outOfRangeCounts(
        num(row.below_min),
        num(row.above_max),
        num(row.below_q001),
        num(row.above_q999),
      ),
      ...(wrongType === null ? {} : { wrongType }),
    });
  }
  if (MODEL_POINT_METHODS.has(method)) {
    return modelObservation(common, method, measuresOf(row), detailsOf(row));
  }
  const pValue = num(row.p_value);
  return {
    ...common,
    method,
    status: str(row.status) ?? 'unavailable',
    statistic: num(row.statistic),
    pValue,
    // The daemon writes the adjusted p-value whenever there is a p-value (equal to it without a
    // correction); points written before that field existed fall back to the raw one.
    adjustedPValue: num(row.p_value_adjusted) ?? pValue,
    correction: adjustmentOf(row.correction, num(row.tests)),
    threshold: num(row.threshold),
    drifted: row.drifted === true,
    unseen: num(row.unseen),
  };
}

export interface DriftSource extends InfluxConnection {
  org: string;
  bucket: string;
  measurement: string;
}

export interface DriftRange {
  /** Window ends from (inclusive) … to (inclusive), epoch ms. */
  from: number;
  to: number;
  /** Only models matching this glob (`*`, `?`). */
  model?: string | undefined;
}

/**
 * What InfluxDB narrows the rows by: the model glob's literal prefix (the whole name when it
 * has no wildcard), as a tag regex it applies in storage. The glob itself is matched here, by
 * the one glob matcher, on the rows that come back.
 */
export function modelPrefixRegExp(glob: string): RegExp | undefined {
  const prefix = globLiteralPrefix(glob);
  if (prefix === '') return undefined;
  const escaped = prefix.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`^${escaped}${prefix === glob ? '$' : ''}`);
}

/** The Flux query of the drift points whose window ends lie in the range, one row per point. */
export function driftQuery(source: Pick<DriftSource, 'bucket' | 'measurement'>, range: DriftRange) {
  const start = new Date(range.from);
  // range() stops before `stop`: one millisecond past `to` keeps a window ending at `to`.
  const stop = new Date(range.to + 1);
  const prefix = range.model === undefined ? undefined : modelPrefixRegExp(range.model);
  const byModel =
    prefix === undefined
      ? flux``
      : flux`
  |> filter(fn: (r) => r.model =~ ${prefix})`;
  return flux`from(bucket: ${source.bucket})
  |> range(start: ${start}, stop: ${stop})
  |> filter(fn: (r) => r._measurement == ${source.measurement})${byModel}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
}

/** Reads the drift series of a range from InfluxDB as the observations rules read. */
export async function readDriftObservations(
  source: DriftSource,
  range: DriftRange,
): Promise<{ observations: DriftObservation[]; rows: number; skipped: number }> {
  await checkInfluxTls(source);
  const api = influxClient(source, 120_000).getQueryApi(source.org);
  const matchModel = range.model === undefined ? () => true : compileGlob(range.model);
  const observations: DriftObservation[] = [];
  let rows = 0;
  let skipped = 0;
  for await (const { values, tableMeta } of api.iterateRows(driftQuery(source, range))) {
    rows++;
    const o = observationFromRow(tableMeta.toObject(values));
    if (o === undefined) skipped++;
    else if (matchModel(o.model)) observations.push(o);
  }
  return { observations, rows, skipped };
}
