/**
 * `npm run bench`: produces N prediction logs with 20 features to real Kafka, then measures in
 * one run (a) a bare kafkajs consumer that only JSON.parses each message and (b) the daemon
 * doing its full work (decode, validate, window, PSI, InfluxDB writes, commits) on the same
 * topic. Prints events/s for both, the ratio (b)/(a) and peak RSS. Figures, not assertions.
 *
 *   BENCH_EVENTS=200000 npm run bench
 *   BENCH_KS_METHOD=asymp npm run bench   # KS p-values without the exact recursion
 *   BENCH_CPU_PROF=/tmp/prof npm run bench # CPU profiles (open in Chrome DevTools)
 *   BENCH_OPS=1 npm run bench              # events also carry latency, error and label
 */
import os from 'node:os';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import { bareConsumer, peakRssMb, rate, startBenchDaemon, type Figures } from './children.js';
import { runBench, say } from './run.js';
import { benchBaselines, produceBenchLogs } from './workload.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
/** drift.ksMethod of the daemon under test: `auto` (the default) or `asymp`. */
const KS_METHOD = process.env.BENCH_KS_METHOD ?? 'auto';

async function daemon(
  services: Awaited<ReturnType<typeof obtainServices>>['endpoints'],
  topic: string,
  baselines: string,
): Promise<Figures & { points: number }> {
  const d = await startBenchDaemon(services, {
    topic,
    groupId: `bench-daemon-${Date.now()}`,
    baselines,
    ksMethod: KS_METHOD,
  });
  let firstAt = 0;
  let lastAt = 0;
  let points = 0;
  const deadline = Date.now() + 600_000;
  // Progress from /healthz (a few bytes) rather than /metrics, whose collection would itself
  // load the process being measured at this polling rate.
  while (Date.now() < deadline) {
    const consumed = await d.consumed();
    if (consumed > 0 && firstAt === 0) firstAt = performance.now();
    if (consumed >= EVENTS) {
      lastAt = performance.now();
      points = await d.metric('driftwatch_influx_points_written_total');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const peak = peakRssMb(d.child.pid);
  await d.stop();
  if (lastAt === 0) throw new Error('the daemon did not consume every event within 10 minutes');
  return { events: EVENTS, seconds: (lastAt - firstAt) / 1000, peakRssMb: peak, points };
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  const topic = `bench-${Date.now().toString(36)}`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`]);

  const baselines = benchBaselines();

  say(`producing ${EVENTS} prediction logs (20 features) to ${topic} …`);
  const bytes = await produceBenchLogs(kafka, topic, EVENTS);
  say(`  ${bytes.toFixed(0)} bytes per event on average`);

  say('(a) bare kafkajs consumer + JSON.parse …');
  const a = await bareConsumer(endpoints.kafkaBrokers, topic, EVENTS);
  say('(b) driftwatch daemon, full work …');
  const b = await daemon(endpoints, topic, baselines);

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

runBench(main);
