import type { InfluxReader } from '../sinks/influx-client.js';
import { DriftwatchError } from '../errors.js';
import { SUMMARY_METHOD } from '../drift/window-points.js';
import type { AlertTransitionRow, SeriesPoint } from './report-data.js';
import { parseDuration } from '../config/duration.js';
import { MODEL_POINT_METHODS } from '../drift/model-points.js';

export interface ReportRange {
  model: string;
  /** Without it: the version of the newest point in the range. */
  modelVersion?: string | undefined;
  from: number;
  to: number;
  /** The window (end, epoch ms) whose distribution is drawn; default the last one. */
  windowEnd?: number | undefined;
}

export interface ReportSource extends InfluxReader {
  /** The alert transitions' measurement (alerts.influx.measurement). */
  alertsMeasurement: string;
}

export interface QueriedReport {
  modelVersion: string;
  baselineHash: string | undefined;
  series: Map<string, Map<string, SeriesPoint[]>>;
  distribution: { windowEnd: number; counts: Map<string, number[]> } | undefined;
  alerts: AlertTransitionRow[];
}

/** A Flux string literal: model names are user data. */
function lit(s: string): string {
  return JSON.stringify(s);
}

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The drift points, last window's distribution and alert transitions of one model version. */
export async function queryReport(
  source: ReportSource,
  range: ReportRange,
): Promise<QueriedReport> {
  const api = source.client.getQueryApi(source.org);
  const start = new Date(range.from).toISOString();
  const stop = new Date(range.to).toISOString();
  const base = (measurement: string) =>
    `from(bucket: ${lit(source.bucket)})
  |> range(start: ${start}, stop: ${stop})
  |> filter(fn: (r) => r._measurement == ${lit(measurement)} and r.model == ${lit(range.model)})`;
  const modelVersion =
    range.modelVersion ?? (await newestVersion(source, base(source.measurement), range.model));
  const ofVersion = `\n  |> filter(fn: (r) => r.model_version == ${lit(modelVersion)})`;
  const rows = await api.collectRows<Record<string, unknown>>(
    `${base(source.measurement)}${ofVersion}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`,
  );
  const series = new Map<string, Map<string, SeriesPoint[]>>();
  const summaries = new Map<number, Map<string, number[]>>();
  let baselineHash: string | undefined;
  // The report draws the base windows: the shortest length present (windows.size), not the
  // additional or hopping lengths written beside them.
  const lengths = rows.map((r) => parseDuration(String(r.window)) ?? Infinity);
  const baseLength = Math.min(...lengths);
  for (const [i, r] of rows.entries()) {
    const time = Date.parse(String(r._time));
    const feature = String(r.feature);
    const method = String(r.method);
    // Model-level points (ops, schema, classes, quality) are not drift of a feature.
    if (MODEL_POINT_METHODS.has(method) || lengths[i] !== baseLength) continue;
    baselineHash = String(r.baseline);
    if (method === SUMMARY_METHOD) {
      if (typeof r.counts !== 'string' || r.counts === '') continue;
      let byFeature = summaries.get(time);
      if (!byFeature) summaries.set(time, (byFeature = new Map<string, number[]>()));
      byFeature.set(feature, r.counts.split(',').map(Number));
      continue;
    }
    let byMethod = series.get(feature);
    if (!byMethod) series.set(feature, (byMethod = new Map<string, SeriesPoint[]>()));
    let points = byMethod.get(method);
    if (!points) byMethod.set(method, (points = []));
    points.push({
      time,
      statistic: num(r.statistic),
      threshold: num(r.threshold),
      pValue: num(r.p_value),
      drifted: r.drifted === true || r.drifted === 'true',
      n: num(r.n) ?? 0,
      rule: String(r.rule),
    });
  }
  const ends = [...summaries.keys()].sort((a, b) => a - b);
  const chosen = range.windowEnd ?? ends.at(-1);
  const counts = chosen === undefined ? undefined : summaries.get(chosen);
  if (range.windowEnd !== undefined && !counts) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--window ${new Date(range.windowEnd).toISOString()}: no window of ${range.model} ${modelVersion} ends then (window ends are the points' times)`,
    );
  }
  const alerts = await api.collectRows<Record<string, unknown>>(
    `${base(source.alertsMeasurement)}${ofVersion}
  |> pivot(rowKey: ["_time", "fingerprint"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`,
  );
  return {
    modelVersion,
    baselineHash,
    series,
    distribution: counts && chosen !== undefined ? { windowEnd: chosen, counts } : undefined,
    alerts: alerts.map((a) => ({
      time: Date.parse(String(a._time)),
      rule: String(a.rule),
      severity: String(a.severity),
      state: String(a.state),
      from: String(a.from),
      feature: String(a.feature),
      method: String(a.method),
      value: num(a.value),
      threshold: num(a.threshold),
    })),
  };
}

async function newestVersion(source: ReportSource, flux: string, model: string): Promise<string> {
  const rows = await source.client
    .getQueryApi(source.org)
    .collectRows<Record<string, unknown>>(
      `${flux}\n  |> filter(fn: (r) => r._field == "n")\n  |> group()\n  |> sort(columns: ["_time"], desc: true)\n  |> limit(n: 1)`,
    );
  const version = rows[0]?.model_version;
  if (typeof version !== 'string') {
    throw new DriftwatchError(
      'CLI_USAGE',
      `no drift points of model ${lit(model)} in ${source.measurement} between --from and --to: check the model name and the range`,
    );
  }
  return version;
}
