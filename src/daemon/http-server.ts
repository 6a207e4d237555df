import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { handleSilenceApi, type SilenceApi, type SilenceOperations } from './silence-api.js';

export interface HealthReport {
  healthy: boolean;
  [detail: string]: unknown;
}

/**
 * /metrics for Prometheus and /healthz for orchestrators; with a token configured, the silence
 * API (silence-api.ts). Nothing else is served.
 */
export async function startHttpServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => HealthReport,
  silenceApi?: SilenceApi,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (silenceApi && url !== undefined && handleSilenceApi(req, res, url, silenceApi)) return;
    if (req.method === 'GET' && url === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics collection failed: ${String(err)}`);
        },
      );
      return;
    }
    if (req.method === 'GET' && url === '/healthz') {
      const report = health();
      res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, host, port)));
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * The daemon's server on http.host and http.port: a refused silence-API request is counted and
 * logged, one line per attempt, naming who and what, never the token or the header.
 */
export async function serveDaemonHttp(d: {
  config: Config;
  metrics: DaemonMetrics;
  logger: Logger;
  health: () => HealthReport;
  /** DRIFTWATCH_API_TOKEN; never logged, only whether it is set. */
  token: string | undefined;
  operations: () => SilenceOperations | undefined;
}): Promise<{ server: Server; port: number }> {
  const { config, metrics, logger, token } = d;
  const { server, port } = await startHttpServer(
    config.http.host,
    config.http.port,
    metrics.registry,
    d.health,
    {
      token,
      operations: d.operations,
      onRefused: (refusal) => {
        metrics.apiRefused.inc({ reason: refusal.reason });
        logger.warn(refusal, 'silence API request refused');
      },
    },
  );
  logger.info(
    { host: config.http.host, port, silenceApi: token ? 'on' : 'off' },
    'serving /metrics and /healthz',
  );
  return { server, port };
}

/** What an operator does about each listen failure; others keep Node's own message. */
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE:
    'the port is already in use (another driftwatch?): stop that process or change http.port',
  EACCES: 'permission denied (ports below 1024 need privileges): choose another http.port',
  EADDRNOTAVAIL:
    'no network interface of this machine has that address: use one of its addresses, 0.0.0.0 or ::',
  ENOTFOUND: 'the host name does not resolve: use an IP address or a resolvable name',
  EAI_AGAIN: 'the host name could not be resolved (DNS not answering): try an IP address',
};

/** A listen failure as one line naming http.host and http.port (exit code 2, no stack). */
export function listenError(err: Error, host: string, port: number): DriftwatchError {
  const code = (err as NodeJS.ErrnoException).code;
  const known = code === undefined ? undefined : LISTEN_PROBLEMS[code];
  const problem = known ? `${known} (${code})` : err.message;
  return new DriftwatchError(
    'HTTP_LISTEN_FAILED',
    `cannot serve /metrics and /healthz on http.host ${host}, http.port ${port}: ${problem}`,
    { cause: err },
  );
}
