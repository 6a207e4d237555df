import { parseDuration } from '../config/duration.js';
import type { InfluxReader } from '../sinks/influx-client.js';
import { DriftwatchError } from '../errors.js';
import {
  CLASS_METHOD,
  MODEL_FEATURE,
  NEW_FEATURE_METHOD,
  OPS_METHOD,
  SCHEMA_METHOD,
} from '../drift/model-points.js';
import {
  DELAYED_QUALITY_CLASS_METHOD,
  DELAYED_QUALITY_METHOD,
  QUALITY_CLASS_METHOD,
  QUALITY_METHOD,
} from '../drift/quality-points.js';
import { SUMMARY_METHOD } from '../drift/window-points.js';

/** A point's fields as InfluxDB returns them (numbers, booleans, strings). */
export type Fields = Readonly<Record<string, number | string | boolean>>;

export interface NamedFields {
  name: string;
  fields: Fields;
}

export interface DriftRow {
  feature: string;
  method: string;
  fields: Fields;
}

/** Everything stored for one window of one model version (README "Model status"). */
export interface WindowStatus {
  /** Window end, epoch ms (the points' time). */
  end: number;
  /** Window start, when the points carry it (count windows: `window_start`). */
  start: number | undefined;
  ops: Fields | undefined;
  schema: Fields | undefined;
  classes: NamedFields[];
  newFeatures: NamedFields[];
  quality: Fields | undefined;
  qualityClasses: NamedFields[];
  /** From labels joined later (labels.topic): rewritten as they arrive. */
  delayedQuality: Fields | undefined;
  delayedQualityClasses: NamedFields[];
  /** Per feature: the summary point (counts, out-of-range, wrong types). */
  features: NamedFields[];
  drift: DriftRow[];
}

export interface ModelStatus {
  model: string;
  modelVersion: string;
  /** The `window` tag shown (a length such as `1m`). */
  window: string;
  /** Every window length stored for the version in the range, shortest first. */
  windowLengths: string[];
  measurement: string;
  /** The last windows, oldest first. */
  windows: WindowStatus[];
}

export interface StatusQuery {
  model: string;
  modelVersion?: string | undefined;
  /** A `window` tag value; default the shortest length stored (windows.size). */
  window?: string | undefined;
  from: number;
  to: number;
  /** How many of the last windows to show. */
  last: number;
}

/** A Flux string literal: model names are user data. */
const lit = (s: string) => JSON.stringify(s);

/** The stored series of one model version's last windows, read back from InfluxDB. */
export async function queryModelStatus(
  source: InfluxReader,
  query: StatusQuery,
): Promise<ModelStatus> {
  const flux = `from(bucket: ${lit(source.bucket)})
  |> range(start: ${new Date(query.from).toISOString()}, stop: ${new Date(query.to).toISOString()})
  |> filter(fn: (r) => r._measurement == ${lit(source.measurement)} and r.model == ${lit(query.model)})${
    query.modelVersion === undefined
      ? ''
      : `\n  |> filter(fn: (r) => r.model_version == ${lit(query.modelVersion)})`
  }
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`;
  const rows = await source.client
    .getQueryApi(source.org)
    .collectRows<Record<string, unknown>>(flux);
  return statusOf(rows, query, source.measurement);
}

const TAGS = new Set([
  'result',
  'table',
  '_start',
  '_stop',
  '_time',
  '_measurement',
  'model',
  'model_version',
  'feature',
  'method',
  'baseline',
  'window',
]);

function fieldsOf(row: Record<string, unknown>): Fields {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(row)) {
    if (TAGS.has(k) || v === null || v === undefined || v === '') continue;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Rows (pivoted, in time order) → the status; exported for the unit tests. */
export function statusOf(
  rows: readonly Record<string, unknown>[],
  query: StatusQuery,
  measurement: string,
): ModelStatus {
  const where = `${query.model}${query.modelVersion === undefined ? '' : ` version ${query.modelVersion}`}`;
  if (rows.length === 0) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `no points of ${where} in measurement ${measurement} between ${new Date(query.from).toISOString()} and ${new Date(query.to).toISOString()}: check the model name, --version and --since/--from`,
    );
  }
  // The newest version with points, unless one was asked for.
  const modelVersion = query.modelVersion ?? String(rows.at(-1)?.model_version);
  const ofVersion = rows.filter((r) => String(r.model_version) === modelVersion);
  const lengthOf = (w: string) => parseDuration(w) ?? Number.POSITIVE_INFINITY;
  const windowLengths = [...new Set(ofVersion.map((r) => String(r.window)))].sort(
    (a, b) => lengthOf(a) - lengthOf(b),
  );
  const window = query.window ?? windowLengths[0];
  if (window === undefined || !windowLengths.includes(window)) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--window ${String(window)}: ${query.model} ${modelVersion} has no such windows in the range (stored: ${windowLengths.join(', ')})`,
    );
  }
  const byEnd = new Map<number, WindowStatus>();
  for (const row of ofVersion) {
    if (String(row.window) !== window) continue;
    const end = Date.parse(String(row._time));
    let w = byEnd.get(end);
    if (!w) byEnd.set(end, (w = emptyWindow(end)));
    place(w, String(row.method), String(row.feature), fieldsOf(row));
    if (typeof row.window_start === 'number') w.start = row.window_start;
  }
  const windows = [...byEnd.values()].sort((a, b) => a.end - b.end).slice(-query.last);
  return { model: query.model, modelVersion, window, windowLengths, measurement, windows };
}

function emptyWindow(end: number): WindowStatus {
  return {
    end,
    start: undefined,
    ops: undefined,
    schema: undefined,
    classes: [],
    newFeatures: [],
    quality: undefined,
    qualityClasses: [],
    delayedQuality: undefined,
    delayedQualityClasses: [],
    features: [],
    drift: [],
  };
}

function place(w: WindowStatus, method: string, feature: string, fields: Fields): void {
  switch (method) {
    case OPS_METHOD:
      if (feature === MODEL_FEATURE) w.ops = fields;
      return;
    case SCHEMA_METHOD:
      w.schema = fields;
      return;
    case CLASS_METHOD:
      w.classes.push({ name: feature, fields });
      return;
    case NEW_FEATURE_METHOD:
      w.newFeatures.push({ name: feature, fields });
      return;
    case QUALITY_METHOD:
      w.quality = fields;
      return;
    case QUALITY_CLASS_METHOD:
      w.qualityClasses.push({ name: feature, fields });
      return;
    case DELAYED_QUALITY_METHOD:
      w.delayedQuality = fields;
      return;
    case DELAYED_QUALITY_CLASS_METHOD:
      w.delayedQualityClasses.push({ name: feature, fields });
      return;
    case SUMMARY_METHOD:
      w.features.push({ name: feature, fields });
      return;
    default:
      w.drift.push({ feature, method, fields });
  }
}
