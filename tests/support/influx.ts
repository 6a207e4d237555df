import { InfluxDB } from '@influxdata/influxdb-client';
import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';

/** An InfluxDB to read from; `ca`: the PEM CA of one served over TLS. */
export type InfluxEndpoint = ServiceEndpoints['influx'] & { ca?: string };

export interface DriftRow {
  time: string;
  model: string;
  model_version: string;
  feature: string;
  method: string;
  baseline: string;
  window: string;
  status: string;
  /** NaN when the point has none (insufficient data, or the dataset-level point). */
  statistic: number;
  /** NaN for methods without a p-value. */
  p_value: number;
  threshold: number;
  drifted: boolean;
  n: number;
  n_ref: number;
  missing: number;
}

/**
 * Drift points of a measurement via Flux, one row per (window end, feature, method), sorted.
 * By default only the PSI points (one per window and feature); `method: null` for all.
 */
export async function queryDrift(
  influx: InfluxEndpoint,
  measurement: string,
  method: string | null = 'psi',
): Promise<DriftRow[]> {
  const api = new InfluxDB({
    url: influx.url,
    token: influx.token,
    ...(influx.ca ? { transportOptions: { ca: influx.ca } } : {}),
  }).getQueryApi(influx.org);
  const byMethod = method === null ? '' : `\n  |> filter(fn: (r) => r.method == "${method}")`;
  const flux = `from(bucket: "${influx.bucket}")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${measurement}")${byMethod}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time", "feature", "method"])`;
  const rows = await api.collectRows<Record<string, unknown>>(flux);
  return rows.map((r) => ({
    time: String(r._time),
    model: String(r.model),
    model_version: String(r.model_version),
    feature: String(r.feature),
    method: String(r.method),
    baseline: String(r.baseline),
    window: String(r.window),
    status: String(r.status),
    statistic: r.statistic === undefined || r.statistic === null ? NaN : Number(r.statistic),
    p_value: r.p_value === undefined || r.p_value === null ? NaN : Number(r.p_value),
    threshold: Number(r.threshold),
    drifted: Boolean(r.drifted),
    n: Number(r.n),
    n_ref: Number(r.n_ref),
    missing: Number(r.missing),
  }));
}

/** Polls until InfluxDB holds at least `count` PSI rows of `measurement` (one per window and feature). */
export async function waitForDriftRows(
  influx: InfluxEndpoint,
  measurement: string,
  count: number,
  timeoutMs = 120_000,
): Promise<DriftRow[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: DriftRow[] = [];
  while (Date.now() < deadline) {
    rows = await queryDrift(influx, measurement);
    if (rows.length >= count) {
      // A query can land while a write is being applied and see a point without all of its
      // fields yet: read once more after it settled.
      await new Promise((r) => setTimeout(r, 500));
      return queryDrift(influx, measurement);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `expected ${count} drift rows of ${measurement} in InfluxDB, found ${rows.length}`,
  );
}

/** One stored point with every field exactly as InfluxDB returns it (no rounding anywhere). */
export interface RawPoint {
  /** Window end and every tag, e.g. `2026-…Z feature=a method=summary model=hot …`. */
  key: string;
  fields: Record<string, number | string | boolean>;
}

/** Columns of a Flux row that are not the point's tags. */
const NOT_TAGS = new Set([
  'result',
  'table',
  '_start',
  '_stop',
  '_time',
  '_measurement',
  '_field',
  '_value',
]);

/**
 * Every point of a measurement (drift, summary and dataset-level), every field, sorted by key.
 * Unpivoted, so each field keeps the type and value the annotated CSV gave it: floats are
 * written with full precision (shortest round-trip form) and parsed back with `+text`.
 */
export async function queryPoints(
  influx: ServiceEndpoints['influx'],
  measurement: string,
): Promise<RawPoint[]> {
  const api = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
  const flux = `from(bucket: "${influx.bucket}")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${measurement}")`;
  const rows = await api.collectRows<Record<string, unknown>>(flux);
  const points = new Map<string, RawPoint>();
  for (const r of rows) {
    const tags = Object.keys(r)
      .filter((k) => !NOT_TAGS.has(k))
      .sort()
      .map((k) => `${k}=${String(r[k])}`);
    const key = [String(r._time), ...tags].join(' ');
    const point = points.get(key) ?? { key, fields: {} };
    point.fields[String(r._field)] = r._value as number | string | boolean;
    points.set(key, point);
  }
  return [...points.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** How many points a measurement holds now. */
export async function pointCount(
  influx: ServiceEndpoints['influx'],
  measurement: string,
): Promise<number> {
  return (await queryPoints(influx, measurement)).length;
}

/**
 * Polls until a measurement holds `count` points, then reads them once more after a pause (a
 * query can see a point mid-write, and anything extra must show up in the comparison).
 */
export async function waitForPoints(
  influx: ServiceEndpoints['influx'],
  measurement: string,
  count: number,
  timeoutMs = 120_000,
): Promise<RawPoint[]> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await pointCount(influx, measurement);
    if (seen >= count) {
      await new Promise((r) => setTimeout(r, 2_000));
      return queryPoints(influx, measurement);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`expected ${count} points of ${measurement} in InfluxDB, found ${seen}`);
}

/** The alert transition points to `firing`, polled until `enough` says so or 60 s passed. */
export async function firingAlertPoints(
  influx: InfluxEndpoint,
  measurement: string,
  enough: (firing: RawPoint[]) => boolean,
): Promise<RawPoint[]> {
  const deadline = Date.now() + 60_000;
  let firing: RawPoint[] = [];
  while (Date.now() < deadline) {
    firing = (await queryPoints(influx, measurement)).filter((p) =>
      p.key.includes(' state=firing '),
    );
    if (enough(firing)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return firing;
}
