/**
 * `npm run bench:fleet`: one daemon watching a fleet — BENCH_MODELS models (default 100), each
 * with 40 numeric and 10 categorical features, 1-minute windows, BENCH_PER_WINDOW events per
 * model and window (default 300: 5 events/s per model) over BENCH_WINDOWS windows (default 4),
 * interleaved across models and spread over 6 partitions, produced to real Kafka ahead of the
 * daemon (it catches up, so every model has windows open at once). Prints throughput, the
 * daemon's peak RSS and the longest event-loop stall (prom-client's monitorEventLoopDelay,
 * scraped every 500 ms), next to the goals of issue 13.
 *
 *   npm run bench:fleet
 *   BENCH_MODELS=20 BENCH_WINDOWS=3 npm run bench:fleet   # smaller, quicker
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import { normal, rng } from '../scripts/synthetic.js';
import { peakRssMb, quantileBound, startBenchDaemon, type HistogramBucket } from './children.js';
import { runBench, say } from './run.js';

const MODELS = Number(process.env.BENCH_MODELS ?? 100);
const PER_WINDOW = Number(process.env.BENCH_PER_WINDOW ?? 300);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 4);
const TRAINING_ROWS = Number(process.env.BENCH_TRAINING_ROWS ?? 2_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 900) * 1_000;
const NUMERIC = Array.from({ length: 40 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 10 }, (_, i) => `c${i}`);
const CATEGORIES = Array.from({ length: 12 }, (_, i) => `cat${i}`);
const PARTITIONS = 6;
const WINDOW_MS = 60_000;
const START = Date.parse('2026-11-01T00:00:00Z');
const GOAL_RSS_MB = 512;
const GOAL_STALL_MS = 20;
const GOAL_CLOSE_P99_MS = 250;

const modelName = (m: number) => `fleet-${String(m).padStart(3, '0')}`;

/** A category with skewed, seeded frequencies (the first ones most common). */
function category(random: () => number): string {
  const u = random();
  return CATEGORIES[Math.min(CATEGORIES.length - 1, Math.floor(u * u * CATEGORIES.length))]!;
}

function fleetBaselines(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-fleet-baselines-'));
  for (let m = 0; m < MODELS; m++) {
    const random = rng(1_000 + m);
    const columns: Record<string, number[] | string[]> = {};
    for (const f of NUMERIC) {
      columns[f] = Array.from({ length: TRAINING_ROWS }, () => normal(random));
    }
    for (const f of CATEGORICAL) {
      columns[f] = Array.from({ length: TRAINING_ROWS }, () => category(random));
    }
    const baseline = buildBaseline(columns, {
      model: modelName(m),
      modelVersion: '1',
      sourceFile: 'synthetic',
      categorical: CATEGORICAL,
    });
    writeBaselineFile(dir, baseline);
  }
  return dir;
}

/** Every model's events of each window, interleaved in time; one closing event per partition. */
async function produceFleet(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  const random = rng(7);
  const total = MODELS * PER_WINDOW * WINDOWS;
  const step = WINDOW_MS / (MODELS * PER_WINDOW);
  let batch: Message[] = [];
  for (let i = 0; i < total; i++) {
    const features: Record<string, number | string> = {};
    for (const f of NUMERIC) features[f] = normal(random);
    for (const f of CATEGORICAL) features[f] = category(random);
    const value = JSON.stringify({
      model: modelName(i % MODELS),
      model_version: '1',
      timestamp: new Date(START + i * step).toISOString(),
      features,
    });
    batch.push({ value, partition: i % PARTITIONS });
    if (batch.length === 500) {
      await producer.send({ topic, messages: batch });
      batch = [];
    }
  }
  const closer = JSON.stringify({
    model: modelName(0),
    model_version: '1',
    timestamp: new Date(START + (WINDOWS + 2) * WINDOW_MS).toISOString(),
    features: {},
  });
  for (let p = 0; p < PARTITIONS; p++) batch.push({ value: closer, partition: p });
  await producer.send({ topic, messages: batch });
  await producer.disconnect();
  return total;
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  say(`building ${MODELS} baselines (40 numeric + 10 categorical, ${TRAINING_ROWS} rows each)…`);
  const baselines = fleetBaselines();
  const topic = `bench-fleet-${Date.now().toString(36)}`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`], PARTITIONS);
  say(`producing ${MODELS} models × ${PER_WINDOW} events × ${WINDOWS} windows…`);
  const events = await produceFleet(kafka, topic);

  const daemon = await startBenchDaemon(endpoints, { topic, groupId: topic, baselines });
  const expected = MODELS * WINDOWS;
  let firstAt = 0;
  let stallMs = 0;
  let emitted = 0;
  let lastAt: number;
  let peak: number;
  let heapMb = 0;
  let closeLatency: HistogramBucket[];
  let externalMb = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (firstAt === 0 && (await daemon.consumed()) > 0) firstAt = performance.now();
      // Reset at every scrape: the longest stall since the previous one. Start-up (loading
      // baselines) is not the steady state: counted only once events flow.
      const lag = await daemon.metric('driftwatch_nodejs_eventloop_lag_max_seconds');
      if (firstAt !== 0) stallMs = Math.max(stallMs, lag * 1_000);
      heapMb = Math.max(
        heapMb,
        (await daemon.metric('driftwatch_nodejs_heap_size_used_bytes')) / 1e6,
      );
      externalMb = Math.max(
        externalMb,
        (await daemon.metric('driftwatch_nodejs_external_memory_bytes')) / 1e6,
      );
      emitted = await daemon.metric('driftwatch_windows_emitted_total');
      if (process.env.BENCH_TRACE) {
        const mb = async (m: string) => ((await daemon.metric(m)) / 1e6).toFixed(0);
        say(
          `trace consumed=${await daemon.consumed()} windows=${emitted} rss=${await mb('driftwatch_process_resident_memory_bytes')} heap=${await mb('driftwatch_nodejs_heap_size_used_bytes')} heapTotal=${await mb('driftwatch_nodejs_heap_size_total_bytes')} external=${await mb('driftwatch_nodejs_external_memory_bytes')} lag=${(lag * 1e3).toFixed(0)}ms`,
        );
      }
      if (emitted >= expected) break;
    }
    closeLatency = await daemon.histogram('driftwatch_window_close_seconds');
  } finally {
    lastAt = performance.now();
    peak = peakRssMb(daemon.child.pid);
    await daemon.stop();
  }
  const seconds = (lastAt - firstAt) / 1_000;
  const done = emitted >= expected;
  const pairs = MODELS * (NUMERIC.length + CATEGORICAL.length);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const p99 = quantileBound(closeLatency, 0.99);
  process.stdout.write(
    [
      `\nfleet, ${MODELS} models × ${NUMERIC.length + CATEGORICAL.length} features (${pairs.toLocaleString('en-US')} model-feature pairs per window end), ${PER_WINDOW} events per model-window, ${WINDOWS} windows, node ${process.version}, ${os.cpus().length} cores`,
      `events            ${events.toLocaleString('en-US')} in ${seconds.toFixed(1)} s = ${Math.round(events / seconds).toLocaleString('en-US')} events/s${done ? '' : ` (NOT DONE: ${emitted} of ${expected} windows within BENCH_TIMEOUT)`}`,
      `peak RSS          ${peak.toFixed(0)} MB   (goal ≤ ${GOAL_RSS_MB} MiB: ${verdict(peak <= GOAL_RSS_MB * 1.048576)})`,
      `  of which       JS heap used ≤ ${heapMb.toFixed(0)} MB, external (buffers) ≤ ${externalMb.toFixed(0)} MB (largest seen at the 500 ms scrapes)`,
      `window close      p50 ≤ ${fmtBound(quantileBound(closeLatency, 0.5))}, p99 ≤ ${fmtBound(p99)} over ${closeLatency.at(-1)?.count ?? 0} windows, watermark → InfluxDB ack (goal p99 ≤ ${GOAL_CLOSE_P99_MS} ms: ${verdict(p99 * 1000 <= GOAL_CLOSE_P99_MS)})`,
      `longest stall     ${stallMs.toFixed(1)} ms   (goal ≤ ${GOAL_STALL_MS} ms: ${verdict(stallMs <= GOAL_STALL_MS)})`,
      '',
    ].join('\n'),
  );
}

/** A histogram bound in ms (bucket resolution: the true quantile is at most this). */
function fmtBound(seconds: number): string {
  return Number.isFinite(seconds) ? `${Math.round(seconds * 1000)} ms` : `${seconds}`;
}

runBench(main);
