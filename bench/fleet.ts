/**
 * `npm run bench:fleet`: one daemon watching a fleet — BENCH_MODELS models (default 100), each
 * with 40 numeric and 10 categorical features, 1-minute windows, BENCH_PER_WINDOW events per
 * model and window (default 300: 5 events/s per model), interleaved across models and spread
 * over 6 partitions of real Kafka. Two phases, each against the goals of issue 13:
 *
 * - catch-up: BENCH_BACKLOG windows (default 2) produced before the daemon starts, so every
 *   model has windows open at once while it reads as fast as it can: events/s, peak RSS.
 * - live: BENCH_LIVE more windows (default 3) produced while it runs, paced at BENCH_RATE
 *   events/s (default 3,000, under what it can take), event time 1 minute per window: the
 *   window close latency (driftwatch_window_close_seconds: from stage 1 passing a window end to
 *   InfluxDB's ack, p50/p99 at the histogram's resolution) of the windows closed in this phase.
 *
 * The longest event-loop stall (prom-client's monitorEventLoopDelay max, reset at every 500 ms
 * scrape) is printed per phase; start-up (loading baselines) is not counted.
 *
 *   npm run bench:fleet
 *   BENCH_MODELS=20 BENCH_LIVE=2 npm run bench:fleet   # smaller, quicker
 *   BENCH_TRACE=1 npm run bench:fleet                  # a line per scrape (memory, lag)
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message, Producer } from 'kafkajs';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import { normal, rng } from '../scripts/synthetic.js';
import {
  peakRssMb,
  quantileBound,
  startBenchDaemon,
  type BenchDaemon,
  type HistogramBucket,
} from './children.js';
import { runBench, say } from './run.js';

const MODELS = Number(process.env.BENCH_MODELS ?? 100);
const PER_WINDOW = Number(process.env.BENCH_PER_WINDOW ?? 300);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 2);
const LIVE = Number(process.env.BENCH_LIVE ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 3_000);
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
const SEND_BATCH = 500;

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

/** The fleet's events in time order, interleaved across models and partitions. */
class FleetProducer {
  private readonly random = rng(7);
  private readonly step = WINDOW_MS / (MODELS * PER_WINDOW);
  private next = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /** Every event of the next `windows` windows; paced at `rate` events/s when given. */
  async produce(windows: number, rate?: number): Promise<number> {
    const total = MODELS * PER_WINDOW * windows;
    const startedAt = performance.now();
    let batch: Message[] = [];
    for (let sent = 0; sent < total; sent++) {
      const i = this.next++;
      const features: Record<string, number | string> = {};
      for (const f of NUMERIC) features[f] = normal(this.random);
      for (const f of CATEGORICAL) features[f] = category(this.random);
      const value = JSON.stringify({
        model: modelName(i % MODELS),
        model_version: '1',
        timestamp: new Date(START + i * this.step).toISOString(),
        features,
      });
      batch.push({ value, partition: i % PARTITIONS });
      if (batch.length === SEND_BATCH || sent === total - 1) {
        if (rate !== undefined) {
          const due = startedAt + ((sent + 1) / rate) * 1_000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await this.producer.send({ topic: this.topic, messages: batch });
        batch = [];
      }
    }
    return total;
  }

  /** One event per partition beyond the last window: the watermark passes every window end. */
  async close(): Promise<void> {
    const value = JSON.stringify({
      model: modelName(0),
      model_version: '1',
      timestamp: new Date(START + this.next * this.step + 2 * WINDOW_MS).toISOString(),
      features: {},
    });
    const messages = Array.from({ length: PARTITIONS }, (_, partition) => ({ value, partition }));
    await this.producer.send({ topic: this.topic, messages });
  }
}

/** What the scrapes saw over one phase. */
interface PhaseWatch {
  stallMs: number;
  heapMb: number;
  externalMb: number;
  emitted: number;
}

/** Scrapes every 500 ms until `done` (or the timeout); the stall counts once events flow. */
async function watch(
  daemon: BenchDaemon,
  done: (emitted: number, consumed: number) => boolean,
  deadline: number,
  flowing: () => boolean,
): Promise<PhaseWatch> {
  const w: PhaseWatch = { stallMs: 0, heapMb: 0, externalMb: 0, emitted: 0 };
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const consumed = await daemon.consumed();
    const lag = await daemon.metric('nodejs_eventloop_lag_max_seconds');
    if (flowing() || consumed > 0) w.stallMs = Math.max(w.stallMs, lag * 1_000);
    const heap = await daemon.metric('nodejs_heap_size_used_bytes');
    const external = await daemon.metric('nodejs_external_memory_bytes');
    w.heapMb = Math.max(w.heapMb, heap / 1e6);
    w.externalMb = Math.max(w.externalMb, external / 1e6);
    w.emitted = await daemon.metric('driftwatch_windows_emitted_total');
    if (process.env.BENCH_TRACE) {
      const rss = await daemon.metric('process_resident_memory_bytes');
      say(
        `trace consumed=${consumed} windows=${w.emitted} rss=${(rss / 1e6).toFixed(0)} heap=${(heap / 1e6).toFixed(0)} external=${(external / 1e6).toFixed(0)} lag=${(lag * 1e3).toFixed(0)}ms`,
      );
    }
    if (done(w.emitted, consumed)) break;
  }
  return w;
}

/** Observations in `after` not yet in `before` (same buckets). */
function bucketsSince(
  before: readonly HistogramBucket[],
  after: readonly HistogramBucket[],
): HistogramBucket[] {
  return after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  say(`building ${MODELS} baselines (40 numeric + 10 categorical, ${TRAINING_ROWS} rows each)…`);
  const baselines = fleetBaselines();
  const topic = `bench-fleet-${Date.now().toString(36)}`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`], PARTITIONS);
  const producer = kafka.producer();
  await producer.connect();
  const fleet = new FleetProducer(producer, topic);
  say(`producing the backlog: ${MODELS} models × ${PER_WINDOW} events × ${BACKLOG} windows…`);
  const backlog = await fleet.produce(BACKLOG);

  // Run as users run it (the build), not through tsx: its loader alone adds ~75 MB of RSS.
  const daemon = await startBenchDaemon(endpoints, {
    topic,
    groupId: topic,
    baselines,
    compiled: true,
  });
  const deadline = Date.now() + TIMEOUT_MS;
  let firstAt = 0;
  let caughtUpAt: number;
  let catchUp: PhaseWatch;
  let live: PhaseWatch;
  let latency: HistogramBucket[];
  let peak: number;
  let liveSeconds: number;
  let liveCpu: number;
  let load: number;
  try {
    // The last backlog window closes only once live events pass its end.
    catchUp = await watch(
      daemon,
      (emitted, consumed) => {
        if (firstAt === 0 && consumed > 0) firstAt = performance.now();
        return consumed >= backlog && emitted >= MODELS * (BACKLOG - 1);
      },
      deadline,
      () => firstAt !== 0,
    );
    caughtUpAt = performance.now();
    const before = await daemon.histogram('driftwatch_window_close_seconds');
    const cpuBefore = await daemon.metric('process_cpu_seconds_total');
    say(`caught up; producing ${LIVE} live windows at ${RATE.toLocaleString('en-US')} events/s…`);
    const liveStart = performance.now();
    const producing = fleet.produce(LIVE, RATE).then(() => fleet.close());
    [live] = await Promise.all([
      watch(
        daemon,
        (emitted) => emitted >= MODELS * (BACKLOG + LIVE),
        deadline,
        () => true,
      ),
      producing,
    ]);
    liveSeconds = (performance.now() - liveStart) / 1_000;
    latency = bucketsSince(before, await daemon.histogram('driftwatch_window_close_seconds'));
    liveCpu = (await daemon.metric('process_cpu_seconds_total')) - cpuBefore;
    load = os.loadavg()[0] ?? 0;
  } finally {
    peak = peakRssMb(daemon.child.pid);
    await daemon.stop();
    await producer.disconnect();
  }
  const seconds = (caughtUpAt - firstAt) / 1_000;
  const expected = MODELS * (BACKLOG + LIVE);
  const pairs = MODELS * (NUMERIC.length + CATEGORICAL.length);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const p99 = quantileBound(latency, 0.99);
  const stall = (w: PhaseWatch) =>
    `${w.stallMs.toFixed(1)} ms (goal ≤ ${GOAL_STALL_MS} ms: ${verdict(w.stallMs <= GOAL_STALL_MS)})`;
  process.stdout.write(
    [
      `\nfleet, ${MODELS} models × ${NUMERIC.length + CATEGORICAL.length} features (${pairs.toLocaleString('en-US')} model-feature pairs per window end), ${PER_WINDOW} events per model-window, baselines from ${TRAINING_ROWS.toLocaleString('en-US')} rows, node ${process.version}, ${os.cpus().length} cores`,
      `catch-up          ${backlog.toLocaleString('en-US')} events (${BACKLOG} windows) in ${seconds.toFixed(1)} s = ${Math.round(backlog / seconds).toLocaleString('en-US')} events/s, longest stall ${stall(catchUp)}`,
      `live              ${LIVE} windows at ${RATE.toLocaleString('en-US')} events/s in ${liveSeconds.toFixed(1)} s, longest stall ${stall(live)}${live.emitted >= expected ? '' : ` (NOT DONE: ${live.emitted} of ${expected} windows within BENCH_TIMEOUT)`}`,
      `window close      p50 ≤ ${fmtBound(quantileBound(latency, 0.5))}, p99 ≤ ${fmtBound(p99)} over ${latency.at(-1)?.count ?? 0} live model-windows, stage 1 passing the end → InfluxDB ack (goal p99 ≤ ${GOAL_CLOSE_P99_MS} ms: ${verdict(p99 * 1000 <= GOAL_CLOSE_P99_MS)})`,
      `  by bucket      ${spread(latency)}`,
      `  load           daemon used ${(liveCpu / liveSeconds).toFixed(2)} cores over the live phase; machine load average ${load.toFixed(1)} (1 min, ${os.cpus().length} cores: above that, everything waits for a core)`,
      `peak RSS          ${peak.toFixed(0)} MB over both phases (goal ≤ ${GOAL_RSS_MB} MiB: ${verdict(peak <= GOAL_RSS_MB * 1.048576)})`,
      `  of which       JS heap used ≤ ${Math.max(catchUp.heapMb, live.heapMb).toFixed(0)} MB, external (buffers) ≤ ${Math.max(catchUp.externalMb, live.externalMb).toFixed(0)} MB (largest seen at the scrapes)`,
      '',
    ].join('\n'),
  );
}

/** Observations per bucket, `≤ bound: count`, empty buckets left out. */
function spread(buckets: readonly HistogramBucket[]): string {
  const parts: string[] = [];
  let below = 0;
  for (const b of buckets) {
    if (b.count > below) parts.push(`≤ ${fmtBound(b.le)}: ${b.count - below}`);
    below = b.count;
  }
  return parts.join(', ');
}

/** A histogram bound in ms (bucket resolution: the true quantile is at most this). */
function fmtBound(seconds: number): string {
  return Number.isFinite(seconds) ? `${Math.round(seconds * 1000)} ms` : `${seconds}`;
}

runBench(main);
