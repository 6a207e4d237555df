/**
 * `npm run bench`: produces N prediction logs with 20 features to real Kafka, then measures in
 * one run (a) a bare kafkajs consumer that only JSON.parses each message and (b) the daemon
 * doing its full work (decode, validate, window, PSI, InfluxDB writes, commits) on the same
 * topic. Prints events/s for both, the ratio (b)/(a) and peak RSS. Figures, not assertions.
 *
 *   BENCH_EVENTS=200000 npm run bench
 *   BENCH_KS_METHOD=asymp npm run bench   # KS p-values without the exact recursion
 *   BENCH_CPU_PROF=/tmp/prof npm run bench # CPU profiles (open in Chrome DevTools)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import { freePort } from '../scripts/services/process.js';
import {
  featureNames,
  predictionLogs,
  trainingColumns,
  type SyntheticSpec,
} from '../scripts/synthetic.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
/** drift.ksMethod of the daemon under test: `auto` (the default) or `asymp`. */
const KS_METHOD = process.env.BENCH_KS_METHOD ?? 'auto';
const PER_WINDOW = 5_000;
const ROOT = path.join(import.meta.dirname, '..');
const spec: SyntheticSpec = {
  model: 'bench',
  modelVersion: '1',
  numericFeatures: featureNames(19),
  seed: 99,
};
const say = (s: string) => process.stderr.write(`${s}\n`);

interface Figures {
  events: number;
  seconds: number;
  peakRssMb: number;
}

function tsxChild(args: string[], env: NodeJS.ProcessEnv = {}) {
  // BENCH_CPU_PROF=<dir>: V8 CPU profiles of both consumers, to see where the time goes.
  const profile = process.env.BENCH_CPU_PROF;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  return spawn(process.execPath, [...flags, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function bare(brokers: string[], topic: string): Promise<Figures> {
  const child = tsxChild([
    path.join(ROOT, 'bench', 'bare-consumer.ts'),
    brokers.join(','),
    topic,
    String(EVENTS),
  ]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out.trim()) as Figures;
}

async function daemon(
  services: Awaited<ReturnType<typeof obtainServices>>['endpoints'],
  topic: string,
  baselines: string,
): Promise<Figures & { points: number }> {
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
        topic,
        deadLetterTopic: `${topic}.dlq`,
        groupId: `bench-daemon-${Date.now()}`,
      },
      influx: {
        url: services.influx.url,
        org: services.influx.org,
        bucket: services.influx.bucket,
        measurement: 'drift_bench',
      },
      windows: { size: '1m', maxFutureSkew: '3650d' },
      baselines: { dir: baselines },
      drift: { ksMethod: KS_METHOD },
      http: { host: '127.0.0.1', port },
      log: { level: 'warn' },
    }),
  );
  const child = tsxChild([path.join(ROOT, 'src', 'cli.ts'), 'run', '--config', config], {
    INFLUX_TOKEN: services.influx.token,
  });
  child.stdout.resume();
  const metric = (text: string, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  let firstAt = 0;
  let lastAt = 0;
  let points = 0;
  let peakRssMb = 0;
  const deadline = Date.now() + 600_000;
  // Progress from /healthz (a few bytes) rather than /metrics, whose collection would itself
  // load the process being measured at this polling rate.
  while (Date.now() < deadline) {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.json() as Promise<{ messagesConsumed?: number }>,
      () => ({ messagesConsumed: 0 }),
    );
    const consumed = health.messagesConsumed ?? 0;
    if (consumed > 0 && firstAt === 0) firstAt = performance.now();
    if (consumed >= EVENTS) {
      lastAt = performance.now();
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      points = metric(text, 'driftwatch_influx_points_written_total');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (child.pid) {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    peakRssMb = Number(hwm?.[1] ?? 0) / 1024;
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (lastAt === 0) throw new Error('the daemon did not consume every event within 10 minutes');
  return { events: EVENTS, seconds: (lastAt - firstAt) / 1000, peakRssMb, points };
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  const topic = `bench-${Date.now().toString(36)}`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`]);

  const baselines = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-baselines-'));
  writeBaselineFile(
    baselines,
    buildBaseline(trainingColumns(spec, 20_000), {
      model: spec.model,
      modelVersion: spec.modelVersion,
      sourceFile: 'synthetic',
    }),
  );

  say(`producing ${EVENTS} prediction logs (20 features) to ${topic} …`);
  const producer = kafka.producer();
  await producer.connect();
  const start = Date.parse('2026-11-01T00:00:00Z');
  let batch: { value: string }[] = [];
  let bytes = 0;
  for (const log of predictionLogs(spec, start, 60_000 / PER_WINDOW, EVENTS)) {
    const value = JSON.stringify(log);
    bytes += value.length;
    batch.push({ value });
    if (batch.length === 1_000) {
      await producer.send({ topic, messages: batch });
      batch = [];
    }
  }
  if (batch.length > 0) await producer.send({ topic, messages: batch });
  await producer.disconnect();
  say(`  ${(bytes / EVENTS).toFixed(0)} bytes per event on average`);

  say('(a) bare kafkajs consumer + JSON.parse …');
  const a = await bare(endpoints.kafkaBrokers, topic);
  say('(b) driftwatch daemon, full work …');
  const b = await daemon(endpoints, topic, baselines);

  const rate = (f: Figures) => f.events / f.seconds;
  const row = (name: string, f: Figures) =>
    `${name.padEnd(34)}${Math.round(rate(f)).toLocaleString('en-US').padStart(12)} ev/s ${f.seconds.toFixed(2).padStart(8)} s ${f.peakRssMb.toFixed(0).padStart(6)} MB peak RSS`;
  process.stdout.write(
    `\nthroughput, ${EVENTS.toLocaleString('en-US')} events x 20 features, node ${process.version}, ${os.cpus().length} cores, drift.ksMethod ${KS_METHOD}\n`,
  );
  process.stdout.write(
    `${row('(a) kafkajs + JSON.parse', a)}\n${row('(b) driftwatch daemon', b)}\n`,
  );
  process.stdout.write(
    `ratio (b)/(a): ${(rate(b) / rate(a)).toFixed(2)}   (daemon wrote ${b.points} points to InfluxDB)\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
