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
  statistic: number;
  threshold: number;
  drifted: boolean;
  n: number;
  missing: number;
}

/** Every drift point of a measurement, one row per (window end, feature), via Flux. */
export async function queryDrift(
  influx: ServiceEndpoints['influx'],
  measurement: string,
): Promise<DriftRow[]> {
  const api = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
  const flux = `from(bucket: "${influx.bucket}")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${measurement}")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time", "feature"])`;
  const rows = await api.collectRows<Record<string, unknown>>(flux);
  return rows.map((r) => ({
    time: String(r._time),
    model: String(r.model),
    model_version: String(r.model_version),
    feature: String(r.feature),
    method: String(r.method),
    baseline: String(r.baseline),
    window: String(r.window),
    statistic: Number(r.statistic),
    threshold: Number(r.threshold),
    drifted: Boolean(r.drifted),
    n: Number(r.n),
    missing: Number(r.missing),
  }));
}

/** Polls until InfluxDB holds at least `count` drift rows of `measurement`. */
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
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `expected ${count} drift rows of ${measurement} in InfluxDB, found ${rows.length}`,
  );
}
