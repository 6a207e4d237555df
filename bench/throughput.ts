/**
 * `npm run bench`: produces N prediction logs with 20 features to real Kafka, then measures in
 * one run (a) a bare kafkajs consumer that only JSON.parses each message, (b) the daemon
 * doing its full work (decode, validate, window, PSI, InfluxDB writes, commits) on the same
 * topic and (c) the same daemon with delayed labels on (`labels.topic`: a label topic holding
 * `{id, label, timestamp}` for every prediction, a backlog like the predictions). Prints
 * events/s for each, the ratios, peak RSS, the daemons' CPU time, and for (c) also when every
 * label was joined (driftwatch_labels_matched_total) and counted by InfluxDB's quality_delayed
 * points, with what the labels work costs per event against (b). Figures, not assertions.
 *
 *   BENCH_EVENTS=200000 npm run bench
 *   BENCH_LABELS=0 npm run bench           # without (c)
 *   BENCH_KS_METHOD=asymp npm run bench   # KS p-values without the exact recursion
 *   BENCH_CPU_PROF=/tmp/prof npm run bench # CPU profiles (open in Chrome DevTools)
 *   BENCH_OPS=1 npm run bench              # events also carry latency, error and label
 */
import os from 'node:os';
import { InfluxDB } from '@influxdata/influxdb-client';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import {
  bareConsumer,
  cpuSeconds,
  peakRssMb,
  rate,
  startBenchDaemon,
  type Figures,
} from './children.js';
import { runBench, say } from './run.js';
import { benchBaselines, produceBenchLabels, produceBenchLogs } from './workload.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
/** drift.ksMethod of the daemon under test: `auto` (the default) or `asymp`. */
const KS_METHOD = process.env.BENCH_KS_METHOD ?? 'auto';
/** (c), the daemon with delayed labels on: measured unless BENCH_LABELS=0. */
const LABELS = process.env.BENCH_LABELS !== '0';

type Services = Awaited<ReturnType<typeof obtainServices>>['endpoints'];

interface DaemonFigures extends Figures {
  points: number;
  /** With labels: from the first event consumed until every label was joined (null: not within the deadline). */
  joined: Figures | null;
  /** … until InfluxDB's quality_delayed points counted every label. */
  written: Figures | null;
  /** Labels joined by the deadline (driftwatch_labels_matched_total). */
  matched: number;
  /** CPU seconds the daemon used, start-up included, until the last clock above stopped. */
  cpuSeconds: number;
}

/**
 * Labels counted so far by the quality_delayed points of `measurement`: their `labelled`
 * summed over the windows (a rewritten point replaces the one of the same window).
 */
async function labelledInInflux(services: Services, measurement: string): Promise<number> {
  const api = new InfluxDB({ url: services.influx.url, token: services.influx.token }).getQueryApi(
    services.influx.org,
  );
  const rows = await api.collectRows<{ _value: number }>(`from(bucket: "${services.influx.bucket}")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "${measurement}" and r.method == "quality_delayed" and r._field == "labelled")
  |> group()
  |> sum()`);
  return rows[0]?._value ?? 0;
}

/**
 * The daemon on `topic` until it consumed every event; with `labelsTopic` (delayed labels on,
 * a label per event) also until every label was joined and InfluxDB's quality_delayed points
 * count them all. Every clock starts at the first event consumed.
 */
async function daemon(
  services: Services,
  topic: string,
  baselines: string,
  labelsTopic?: string,
): Promise<DaemonFigures> {
  const measurement = labelsTopic ? `drift_bench_labels_${topic}` : undefined;
  const d = await startBenchDaemon(services, {
    topic,
    groupId: `bench-daemon-${Date.now()}`,
    baselines,
    ksMethod: KS_METHOD,
    ...(labelsTopic ? { labelsTopic, measurement } : {}),
  });
  let firstAt = 0;
  let lastAt = 0;
  let joinedAt = 0;
  let writtenAt = 0;
  let matched = 0;
  const deadline = Date.now() + 600_000;
  const poll = () => new Promise((r) => setTimeout(r, 20));
  // Progress from /healthz (a few bytes) rather than /metrics, whose collection would itself
  // load the process being measured at this polling rate.
  while (Date.now() < deadline && lastAt === 0) {
    const consumed = await d.consumed();
    if (consumed > 0 && firstAt === 0) firstAt = performance.now();
    if (consumed >= EVENTS) lastAt = performance.now();
    else await poll();
  }
  const points = await d.metric('driftwatch_influx_points_written_total');
  // The join may still be behind: /metrics now (its remaining work is what is measured), then
  // InfluxDB, at a slower pace (a Flux query loads InfluxDB, on the same cores here).
  while (labelsTopic && lastAt > 0 && Date.now() < deadline && joinedAt === 0) {
    matched = await d.metric('driftwatch_labels_matched_total');
    if (matched >= EVENTS) joinedAt = performance.now();
    else await poll();
  }
  while (measurement && joinedAt > 0 && Date.now() < deadline && writtenAt === 0) {
    if ((await labelledInInflux(services, measurement)) >= EVENTS) writtenAt = performance.now();
    else await new Promise((r) => setTimeout(r, 200));
  }
  const peak = peakRssMb(d.child.pid);
  const cpu = cpuSeconds(d.child.pid);
  await d.stop();
  if (lastAt === 0) throw new Error('the daemon did not consume every event within 10 minutes');
  const until = (at: number): Figures | null =>
    at === 0 ? null : { events: EVENTS, seconds: (at - firstAt) / 1000, peakRssMb: peak };
  return {
    ...(until(lastAt) as Figures),
    points,
    joined: until(joinedAt),
    written: until(writtenAt),
    matched,
    cpuSeconds: cpu,
  };
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  const topic = `bench-${Date.now().toString(36)}`;
  const labelsTopic = `${topic}.labels`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`, ...(LABELS ? [labelsTopic] : [])]);

  const baselines = benchBaselines();

  say(`producing ${EVENTS} prediction logs (20 features) to ${topic} …`);
  const bytes = await produceBenchLogs(kafka, topic, EVENTS);
  say(`  ${bytes.toFixed(0)} bytes per event on average`);
  if (LABELS) {
    say(`producing a label for each of them to ${labelsTopic} …`);
    await produceBenchLabels(kafka, labelsTopic, EVENTS);
  }

  say('(a) bare kafkajs consumer + JSON.parse …');
  const a = await bareConsumer(endpoints.kafkaBrokers, topic, EVENTS);
  say('(b) driftwatch daemon, full work …');
  const b = await daemon(endpoints, topic, baselines);
  if (LABELS) say('(c) driftwatch daemon, full work + delayed labels …');
  const c = LABELS ? await daemon(endpoints, topic, baselines, labelsTopic) : undefined;

  const row = (name: string, f: Figures | null, rss = true) =>
    f === null
      ? `${name.padEnd(34)}  not within 10 minutes`
      : `${name.padEnd(34)}${Math.round(rate(f)).toLocaleString('en-US').padStart(12)} ev/s ${f.seconds.toFixed(2).padStart(8)} s${rss ? ` ${f.peakRssMb.toFixed(0).padStart(6)} MB peak RSS` : ''}`;
  const cpu = (f: DaemonFigures) => `, ${f.cpuSeconds.toFixed(1)} s CPU`;
  const perEvent = (seconds: number) => `+${((seconds / EVENTS) * 1e6).toFixed(1)} µs/event`;
  /** What the labels work adds per event, (c) against (b) on the same clock. */
  const cost = (f: Figures | null) => (f === null ? 'n/a' : perEvent(f.seconds - b.seconds));
  const out = [
    `\nthroughput, ${EVENTS.toLocaleString('en-US')} events x 20 features, node ${process.version}, ${os.cpus().length} cores, drift.ksMethod ${KS_METHOD}`,
    row('(a) kafkajs + JSON.parse', a),
    row('(b) driftwatch daemon', b) + cpu(b),
  ];
  if (c) {
    out.push(
      row('(c) + delayed labels, consumed', c) + cpu(c),
      row('    every label joined', c.joined, false),
      row('    quality_delayed in InfluxDB', c.written, false),
    );
  }
  out.push(
    `ratio (b)/(a): ${(rate(b) / rate(a)).toFixed(2)}   (daemon wrote ${b.points} points to InfluxDB)`,
  );
  if (c) {
    out.push(
      `ratio (c)/(a): ${(rate(c) / rate(a)).toFixed(2)}, (c)/(b): ${(rate(c) / rate(b)).toFixed(2)}   (${c.matched.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} labels joined)`,
      `labels cost, (c) - (b): ${cost(c)} consumed, ${cost(c.joined)} until every label joined, ${cost(c.written)} until in InfluxDB; CPU ${perEvent(c.cpuSeconds - b.cpuSeconds)} (start-up included in both)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

runBench(main);
