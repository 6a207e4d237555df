/**
 * Prometheus Alertmanager for the `alertmanager` receiver's tests and manual runs: built from
 * the Go module proxy (build-alertmanager.sh, cached), run natively on 127.0.0.1 with a
 * throwaway storage dir, clustering off and one receiver that sends nothing, so tests read
 * what it holds through its API (`/api/v2/alerts`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureAlertmanager } from './install.js';
import { artifacts, VERSIONS } from './paths.js';
import {
  freePort,
  httpOk,
  isAlive,
  portIsFree,
  spawnService,
  stopProcess,
  waitFor,
  type ServiceProcess,
} from './process.js';
import type { ServicesState } from './state.js';

const CONFIG = `# Written by scripts/services/alertmanager.ts: keep alerts, send nothing.
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: blackhole
`;

export async function startAlertmanager(opts: {
  binary: string;
  dir: string;
  port: number;
  detached: boolean;
}): Promise<{ url: string; proc: ServiceProcess }> {
  mkdirSync(path.join(opts.dir, 'data'), { recursive: true });
  const config = path.join(opts.dir, 'alertmanager.yml');
  writeFileSync(config, CONFIG);
  const proc = await spawnService(
    'alertmanager',
    opts.binary,
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${opts.port}`,
      // No gossip cluster: a lone instance, no port 9094.
      '--cluster.listen-address=',
    ],
    { cwd: opts.dir, logDir: opts.dir, detached: opts.detached },
  );
  const url = `http://127.0.0.1:${opts.port}`;
  await waitFor('Alertmanager /-/ready', () => httpOk(`${url}/-/ready`), {
    timeoutMs: 30_000,
    proc,
  });
  return { url, proc };
}

/** Where the `services up` Alertmanager listens unless DRIFTWATCH_ALERTMANAGER_PORT says. */
export const ALERTMANAGER_PORT = 19193;

/**
 * The running services gain an Alertmanager if they have none alive (`services up`); the
 * others are left alone. Returns the state to write, or undefined when nothing changed.
 */
export async function withAlertmanager(state: ServicesState): Promise<ServicesState | undefined> {
  const current = state.processes.find((p) => p.name === 'alertmanager');
  if (state.alertmanager && current && isAlive(current.pid)) return undefined;
  const port = Number(process.env.DRIFTWATCH_ALERTMANAGER_PORT ?? ALERTMANAGER_PORT);
  if (!(await portIsFree(port))) {
    throw new Error(`port ${port} is in use; free it or set DRIFTWATCH_ALERTMANAGER_PORT`);
  }
  const { url, proc } = await startAlertmanager({
    binary: await ensureAlertmanager(),
    dir: path.join(state.dataDir, 'alertmanager'),
    port,
    detached: true,
  });
  return {
    ...state,
    alertmanager: { url },
    processes: [...state.processes.filter((p) => p.name !== 'alertmanager'), proc],
  };
}

/**
 * The Alertmanager of a test run: ALERTMANAGER_URL when set, else a native one on a free port
 * (built first if need be), stopped by `stop`.
 */
export async function obtainAlertmanager(): Promise<{
  url: string;
  source: string;
  stop: () => Promise<void>;
}> {
  const fromEnv = process.env.ALERTMANAGER_URL;
  if (fromEnv) return { url: fromEnv, source: 'ALERTMANAGER_URL', stop: async () => {} };
  mkdirSync(artifacts.runDir(), { recursive: true });
  const dir = mkdtempSync(path.join(artifacts.runDir(), 'alertmanager-'));
  const { url, proc } = await startAlertmanager({
    binary: await ensureAlertmanager(),
    dir,
    port: await freePort(),
    detached: false,
  });
  return {
    url,
    source: `native Alertmanager ${VERSIONS.alertmanager}`,
    stop: async () => {
      await stopProcess(proc.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
