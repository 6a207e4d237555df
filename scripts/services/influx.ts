import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { INFLUX_SETUP, type ServiceEndpoints } from './endpoints.js';
import { request } from './http-request.js';
import { spawnService, waitFor, type ServiceProcess } from './process.js';

/**
 * The real InfluxDB 2.7 server on 127.0.0.1, fresh storage, set up without interaction.
 * With `tls`, served over HTTPS only (`--tls-cert/--tls-key`), as a second instance.
 */
export async function startInflux(opts: {
  name?: string;
  binary: string;
  dir: string;
  port: number;
  tls?: { certFile: string; keyFile: string; caFile: string };
  detached: boolean;
}): Promise<{ influx: ServiceEndpoints['influx']; proc: ServiceProcess }> {
  const { dir, tls } = opts;
  mkdirSync(dir, { recursive: true });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${opts.port}`;
  const ca = tls ? readFileSync(tls.caFile) : undefined;
  const proc = await spawnService(
    opts.name ?? 'influxd',
    opts.binary,
    [
      `--bolt-path=${path.join(dir, 'influxd.bolt')}`,
      `--engine-path=${path.join(dir, 'engine')}`,
      `--sqlite-path=${path.join(dir, 'influxd.sqlite')}`,
      `--http-bind-address=127.0.0.1:${opts.port}`,
      '--reporting-disabled',
      '--log-level=warn',
      ...(tls ? [`--tls-cert=${tls.certFile}`, `--tls-key=${tls.keyFile}`] : []),
    ],
    // An empty config dir keeps influxd from picking up a stray config file.
    { cwd: dir, env: { INFLUXD_CONFIG_PATH: dir }, logDir: dir, detached: opts.detached },
  );
  await waitFor(
    `InfluxDB /health (${url})`,
    async () => (await request(`${url}/health`, { ca })).status === 200,
    { timeoutMs: 60_000, proc },
  );
  await setupInflux(url, ca);
  return {
    influx: { url, token: INFLUX_SETUP.token, org: INFLUX_SETUP.org, bucket: INFLUX_SETUP.bucket },
    proc,
  };
}

/** First-run setup (org, bucket, operator token) through the documented /api/v2/setup call. */
export async function setupInflux(url: string, ca?: Buffer): Promise<void> {
  const allowed = JSON.parse((await request(`${url}/api/v2/setup`, { ca })).text) as {
    allowed?: boolean;
  };
  if (!allowed.allowed) return;
  const res = await request(`${url}/api/v2/setup`, {
    method: 'POST',
    body: JSON.stringify({ ...INFLUX_SETUP, retentionPeriodSeconds: 0 }),
    ca,
  });
  if (res.status < 200 || res.status > 299)
    throw new Error(`InfluxDB setup failed: HTTP ${res.status} ${res.text}`);
}
