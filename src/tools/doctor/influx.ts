import http from 'node:http';
import https from 'node:https';
import type { Config } from '../../config/schema.js';
import { influxTargetOf, type InfluxConnection } from '../../sinks/influx-client.js';
import type { DoctorCheck } from './check.js';

/** Enough for one bucket's description; a larger answer is cut (and then not JSON). */
const MAX_BODY = 64 * 1024;

interface Answer {
  status: number;
  body: string;
}

/** One request to InfluxDB's HTTP API with the token and influx.tls; the answer read whole. */
function request(
  c: InfluxConnection,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string>,
  timeoutMs: number,
): Promise<Answer> {
  const url = new URL(path.replace(/^\//, ''), c.url.endsWith('/') ? c.url : `${c.url}/`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        timeout: timeoutMs,
        headers: { Authorization: `Token ${c.token}`, 'Content-Length': '0' },
        ...c.tls,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk.slice(0, MAX_BODY - body.length)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** InfluxDB's own reason (`{"code":"unauthorized","message":"…"}`), else the status. */
function refusal(what: string, a: Answer): Error {
  let message = `HTTP ${a.status}`;
  try {
    const parsed = JSON.parse(a.body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = `${message}: ${parsed.message}`;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new Error(`${what}: ${message}`);
}

/**
 * influx.url answers, the token (influx.tokenEnv) sees influx.bucket in influx.org, and may
 * write to it. The write check posts an empty body: InfluxDB checks the token's write
 * permission on the bucket and answers 204 without writing anything, so no series is touched.
 */
export function influxCheck(config: Config, timeoutMs: number): DoctorCheck {
  return {
    name: 'influx',
    async run() {
      const c = influxTargetOf(config);
      const at = `influx.url ${c.url}`;
      const ping = await request(c, 'GET', '/ping', {}, timeoutMs).catch((err: Error) => {
        throw new Error(`${at} does not answer: ${err.message}`, { cause: err });
      });
      if (ping.status >= 300) throw refusal(`${at} /ping`, ping);
      const buckets = await request(
        c,
        'GET',
        '/api/v2/buckets',
        { name: c.bucket, org: c.org },
        timeoutMs,
      );
      if (buckets.status === 401) {
        throw refusal(`${at} refused the token (influx.tokenEnv ${c.tokenEnv})`, buckets);
      }
      if (buckets.status >= 300) {
        throw refusal(`cannot look up influx.bucket ${c.bucket} in influx.org ${c.org}`, buckets);
      }
      const found = (JSON.parse(buckets.body) as { buckets?: unknown[] }).buckets ?? [];
      if (found.length === 0) {
        throw new Error(
          `influx.bucket ${c.bucket} not found in influx.org ${c.org} (or the token cannot read it)`,
        );
      }
      const write = await request(
        c,
        'POST',
        '/api/v2/write',
        { org: c.org, bucket: c.bucket, precision: 'ms' },
        timeoutMs,
      );
      if (write.status !== 204) {
        throw refusal(`the token may not write to influx.bucket ${c.bucket}`, write);
      }
      return `${at}: bucket ${c.bucket} in org ${c.org} found, the token may write to it`;
    },
  };
}
