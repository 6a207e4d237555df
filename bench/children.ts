/**
 * The processes a bench measures: daemons and the bare kafkajs consumer, each in its own child
 * process (own event loop, own RSS), started the same way by every bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ServiceEndpoints } from '../scripts/services/endpoints.js';
import { freePort } from '../scripts/services/process.js';

const ROOT = path.join(import.meta.dirname, '..');

export interface Figures {
  events: number;
  seconds: number;
  peakRssMb: number;
}

export const rate = (f: Figures) => f.events / f.seconds;

export function tsxChild(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return nodeChild(['--import', 'tsx', ...args], env);
}

/** `node <args>`; BENCH_CPU_PROF=<dir>: V8 CPU profiles of every child, to see where the time goes. */
function nodeChild(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  return spawn(process.execPath, [...flags, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

let built = false;

/** dist/src/cli/main.js, built from the current sources once per bench process. */
export function compiledCli(): string {
  if (!built) {
    const run = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`npm run build failed (exit ${run.status})`);
    built = true;
  }
  return path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
}

/** Peak resident set (VmHWM) of a live process, in MB. */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(hwm?.[1] ?? 0) / 1024;
  } catch {
    return 0; // already gone
  }
}

/** CPU time (user + system) a live process has used so far, in seconds (0 once gone). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks (USER_HZ, 100 on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The bare kafkajs consumer (bench/bare-consumer.ts) reading `expected` messages of `topic`. */
export async function bareConsumer(
  brokers: string[],
  topic: string,
  expected: number,
): Promise<Figures> {
  const child = tsxChild([
    path.join(ROOT, 'bench', 'bare-consumer.ts'),
    brokers.join(','),
    topic,
    String(expected),
  ]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out.trim()) as Figures;
}

export interface HistogramBucket {
  /** Upper bound (Infinity for +Inf). */
  le: number;
  /** Observations at or below it. */
  count: number;
}

/**
 * The bucket bound at or below which a share `q` of the observations fell: the quantile
 * rounded up to the histogram's resolution (what Prometheus can say without interpolating).
 */
export function quantileBound(buckets: readonly HistogramBucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  return buckets.find((b) => b.count >= q * total)?.le ?? Infinity;
}

export interface BenchDaemonOptions {
  topic: string;
  groupId: string;
  baselines: string;
  /** drift.ksMethod (default: the daemon's). */
  ksMethod?: string;
  /** influx.measurement (default `drift_bench`). */
  measurement?: string;
  /** labels.topic: delayed labels on, joined to the predictions' ids (default: off). */
  labelsTopic?: string;
  /**
   * Run the build (`npm run build`, dist/src/cli/main.js) as users do, not the sources through tsx,
   * whose loader and transformed-source cache add ~75 MB of RSS.
   */
  compiled?: boolean;
}

export interface BenchDaemon {
  child: ChildProcess;
  port: number;
  /** messagesConsumed from /healthz (a few bytes: cheap enough to poll often); 0 before it serves. */
  consumed(): Promise<number>;
  /** A counter from /metrics, summed over its label sets (0 when absent). */
  metric(name: string): Promise<number>;
  /** A histogram's cumulative buckets from /metrics, ascending `le` (+Inf last). */
  histogram(name: string): Promise<HistogramBucket[]>;
  stop(): Promise<void>;
}

/** A daemon child on its own config (its own HTTP port) with the bench's settings. */
export async function startBenchDaemon(
  services: ServiceEndpoints,
  o: BenchDaemonOptions,
): Promise<BenchDaemon> {
  const port = await freePort();
  const config = path.join(
    mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-')),
    'driftwatch.yaml',
  );
  writeFileSync(
    config,
    stringify({
      kafka: {
        brokers: services.kafkaBrokers,
        topic: o.topic,
        deadLetterTopic: `${o.topic}.dlq`,
        groupId: o.groupId,
      },
      influx: {
        url: services.influx.url,
        org: services.influx.org,
        bucket: services.influx.bucket,
        measurement: o.measurement ?? 'drift_bench',
      },
      windows: { size: '1m', maxFutureSkew: '3650d' },
      baselines: { dir: o.baselines },
      ...(o.ksMethod ? { drift: { ksMethod: o.ksMethod } } : {}),
      ...(o.labelsTopic ? { labels: { topic: o.labelsTopic } } : {}),
      http: { host: '127.0.0.1', port },
      log: { level: 'warn' },
    }),
  );
  const args = ['run', '--config', config];
  const env = { INFLUX_TOKEN: services.influx.token };
  const child = o.compiled
    ? nodeChild([compiledCli(), ...args], env)
    : tsxChild([path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], env);
  child.stdout?.resume();
  const exited = new Promise((r) => child.once('exit', r));
  return {
    child,
    port,
    consumed: () =>
      fetch(`http://127.0.0.1:${port}/healthz`)
        .then((r) => r.json() as Promise<{ messagesConsumed?: number }>)
        .then(
          (h) => h.messagesConsumed ?? 0,
          () => 0,
        ),
    metric: (name) =>
      fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .then(
          (text) =>
            [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
              (sum, m) => sum + Number(m[1]),
              0,
            ),
          () => 0,
        ),
    histogram: (name) =>
      fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .then((text) =>
          [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map(
            (m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }),
          ),
        ),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
