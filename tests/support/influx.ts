import { InfluxDB } from '@influxdata/influxdb-client';
import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';

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
  influx: ServiceEndpoints['influx'],
  measurement: string,
  method: string | null = 'psi',
): Promise<DriftRow[]> {
  const api = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
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
  influx: ServiceEndpoints['influx'],
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
