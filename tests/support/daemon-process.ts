import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';
import { freePort } from '../../scripts/services/process.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface DaemonSettings {
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  measurement: string;
  baselinesDir: string;
  windowSize: string;
  idleTimeout?: string;
  /** baselines.reloadInterval (default: the daemon's). */
  baselineReload?: string;
  /** baselines.fallback (default: drop). */
  fallback?: 'drop' | 'reject' | 'newest' | { version: string };
  /** More top-level sections (smtp, alerts, drift…), written as given. */
  extra?: Record<string, unknown>;
  /** More keys of the kafka and influx sections (ssl, sasl, tls…), written as given. */
  kafka?: Record<string, unknown>;
  influx?: Record<string, unknown>;
  /** Where the config file goes (default: a new temporary directory). */
  configDir?: string;
}

/** Writes a config file for the given services and returns its path. */
export async function writeDaemonConfig(
  services: ServiceEndpoints,
  s: DaemonSettings,
): Promise<{ file: string; httpPort: number }> {
  const httpPort = await freePort();
  const dir = s.configDir ?? mkdtempSync(path.join(os.tmpdir(), 'driftwatch-test-'));
  const file = path.join(dir, 'driftwatch.yaml');
  const config = {
    kafka: {
      brokers: services.kafkaBrokers,
      groupId: s.groupId,
      topic: s.topic,
      deadLetterTopic: s.deadLetterTopic,
      fromBeginning: true,
      // driftwatch's minimum: a killed daemon's partitions are reassigned quickly.
      sessionTimeout: '10s',
      ...s.kafka,
    },
    influx: {
      url: services.influx.url,
      org: services.influx.org,
      bucket: services.influx.bucket,
      measurement: s.measurement,
      ...s.influx,
    },
    windows: {
      size: s.windowSize,
      allowedLateness: '0s',
      maxFutureSkew: '1h',
      idleTimeout: s.idleTimeout ?? '30s',
    },
    baselines: {
      dir: s.baselinesDir,
      ...(s.baselineReload ? { reloadInterval: s.baselineReload } : {}),
      ...(s.fallback ? { fallback: s.fallback } : {}),
    },
    drift: {
      methods: { numeric: ['psi', 'ks'], categorical: ['psi', 'chi_square'] },
      thresholds: { psi: 0.2 },
    },
    http: { host: '127.0.0.1', port: httpPort },
    log: { level: 'info' },
    ...s.extra,
  };
  writeFileSync(file, stringify(config));
  return { file, httpPort };
}

/** The real CLI in a child process, so tests can signal it like an orchestrator would. */
export class DaemonProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(configFile: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--config', configFile],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Parsed JSON log lines with the given msg. */
  logs(msg: string): Record<string, unknown>[] {
    return this.logsWith({ msg });
  }

  /** Parsed JSON log lines carrying every given field with the given value. */
  logsWith(fields: Record<string, unknown>): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => Object.entries(fields).every(([k, v]) => l[k] === v));
  }

  async waitForLog(msg: string, timeoutMs = 60_000): Promise<void> {
    await this.waitForLogs({ msg }, 1, timeoutMs);
  }

  /** Waits until `count` log lines carry the given fields. */
  async waitForLogs(
    fields: Record<string, unknown>,
    count: number,
    timeoutMs = 60_000,
  ): Promise<void> {
    const msg = JSON.stringify(fields);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.logsWith(fields).length >= count) return;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`daemon did not log "${msg}" in time; output:\n${this.output.slice(-4000)}`);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, as an orchestrator stops a pod; a graceful stop must exit 0. */
  async stopGracefully(): Promise<void> {
    this.child.kill('SIGTERM');
    expect((await this.exited).code).toBe(0);
  }
}
