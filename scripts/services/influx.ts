import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { INFLUX_SETUP, type ServiceEndpoints } from './endpoints.js';
import { httpOk, spawnService, waitFor, type ServiceProcess } from './process.js';

/** The real InfluxDB 2.7 server on 127.0.0.1, fresh storage, set up without interaction. */
export async function startInflux(opts: {
  binary: string;
  dir: string;
  port: number;
  detached: boolean;
}): Promise<{ influx: ServiceEndpoints['influx']; proc: ServiceProcess }> {
  const { dir } = opts;
  mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${opts.port}`;
  const proc = await spawnService(
    'influxd',
    opts.binary,
    [
      `--bolt-path=${path.join(dir, 'influxd.bolt')}`,
      `--engine-path=${path.join(dir, 'engine')}`,
      `--sqlite-path=${path.join(dir, 'influxd.sqlite')}`,
      `--http-bind-address=127.0.0.1:${opts.port}`,
      '--reporting-disabled',
      '--log-level=warn',
    ],
    // An empty config dir keeps influxd from picking up a stray config file.
    { cwd: dir, env: { INFLUXD_CONFIG_PATH: dir }, logDir: dir, detached: opts.detached },
  );
  await waitFor('InfluxDB /health', () => httpOk(`${url}/health`), { timeoutMs: 60_000, proc });
  await setupInflux(url);
  return {
    influx: { url, token: INFLUX_SETUP.token, org: INFLUX_SETUP.org, bucket: INFLUX_SETUP.bucket },
    proc,
  };
}

/** First-run setup (org, bucket, operator token) through the documented /api/v2/setup call. */
export async function setupInflux(url: string): Promise<void> {
  const allowed = (await (await fetch(`${url}/api/v2/setup`)).json()) as { allowed?: boolean };
  if (!allowed.allowed) return;
  const res = await fetch(`${url}/api/v2/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...INFLUX_SETUP, retentionPeriodSeconds: 0 }),
  });
  if (!res.ok) throw new Error(`InfluxDB setup failed: HTTP ${res.status} ${await res.text()}`);
}
