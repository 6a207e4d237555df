import https from 'node:https';
import { InfluxDB } from '@influxdata/influxdb-client';
import type { Config } from '../config/schema.js';
import { clientTlsOptions, type ClientTlsOptions } from '../config/tls-files.js';
import { DriftwatchError } from '../errors.js';
import { oneLineMessage, tlsProblem } from '../shared/tls-errors.js';

/** Where InfluxDB answers and how to trust it (influx.url, the token, influx.tls). */
export interface InfluxConnection {
  url: string;
  token: string;
  tls?: ClientTlsOptions | undefined;
}

/** The one way driftwatch makes an InfluxDB client: influx.tls goes to Node's https requests. */
export function influxClient(c: InfluxConnection, timeoutMs: number): InfluxDB {
  return new InfluxDB({
    url: c.url,
    token: c.token,
    timeout: timeoutMs,
    ...(c.tls ? { transportOptions: { ...c.tls } } : {}),
  });
}

const CHECK_TIMEOUT_MS = 10_000;

/**
 * One request to /health with the TLS settings, at start-up: an untrusted certificate or a
 * server that does not speak TLS is a configuration error (INFLUX_TLS_FAILED, naming the key),
 * while an InfluxDB that is merely down is an outage the writes wait out (nothing thrown).
 */
export async function checkInfluxTls(c: InfluxConnection): Promise<void> {
  if (!c.url.startsWith('https:')) return;
  const url = new URL('health', c.url.endsWith('/') ? c.url : `${c.url}/`);
  const failure = await new Promise<(Error & { code?: string }) | undefined>((resolve) => {
    const req = https.request(
      url,
      { method: 'GET', timeout: CHECK_TIMEOUT_MS, ...c.tls },
      (res) => {
        res.resume();
        resolve(undefined);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', resolve);
    req.end();
  });
  if (!failure) return;
  const problem = tlsProblem(failure.code ?? '', failure.message);
  if (problem === undefined) return;
  const fix =
    problem === 'untrusted'
      ? `set influx.tls.caFile to the PEM bundle of the CA that signed it${c.tls?.ca !== undefined ? ' (the one given is not that CA)' : ''}`
      : problem === 'altname'
        ? 'use a host name the certificate carries in influx.url'
        : problem === 'not-tls'
          ? 'influx.url says https://, but the server speaks plain HTTP there: use http:// or the TLS port'
          : 'check influx.tls and the server TLS settings';
  throw new DriftwatchError(
    'INFLUX_TLS_FAILED',
    `cannot connect to InfluxDB at influx.url ${c.url} over TLS (${failure.code ?? 'error'}: ${oneLineMessage(failure.message)}): ${fix}`,
    { cause: failure },
  );
}

/** influx.* of the config with its secrets: what the sink and the backtest connect with. */
export function influxTargetOf(config: Config): Config['influx'] & InfluxConnection {
  const tls = clientTlsOptions(config.influx.tls, config.secrets.tls?.influx);
  return { ...config.influx, token: config.secrets.influxToken, ...(tls ? { tls } : {}) };
}

/** What the offline readers (report, model status) query: the drift measurement of the bucket. */
export interface InfluxReader {
  client: InfluxDB;
  org: string;
  bucket: string;
  measurement: string;
}

/** A client for reading the config's bucket back, with a timeout fit for a large range. */
export function influxReaderOf(config: Config, timeoutMs = 60_000): InfluxReader {
  const target = influxTargetOf(config);
  return {
    client: influxClient(target, timeoutMs),
    org: target.org,
    bucket: target.bucket,
    measurement: target.measurement,
  };
}
