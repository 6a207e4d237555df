/**
 * `npm run demo`: real services up, synthetic prediction logs with drift injected into feature
 * `b`, the daemon run on them, and the per-window drift read back from InfluxDB.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { InfluxDB } from '@influxdata/influxdb-client';
import { parseConfig } from '../src/config/load.js';
import { Daemon } from '../src/daemon/daemon.js';
import { DEMO_SPEC, DEMO_START } from './demo-spec.js';
import { createTopics, sendInChunks, toolingKafka } from './kafka-tools.js';
import { obtainServices } from './services/obtain.js';
import { predictionLogs } from './synthetic.js';

const MINUTE = 60_000;
const WINDOWS = 6;
const PER_WINDOW = 2_000;
const say = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  say('driftwatch demo\n');
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  say(`  Kafka ${endpoints.kafkaBrokers.join(',')}   InfluxDB ${endpoints.influx.url}\n`);

  const run = Date.now().toString(36);
  const topic = `demo-predictions-${run}`;
  const measurement = 'drift';
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'driftwatch-demo');
  await createTopics(kafka, [topic, `${topic}.dlq`]);

  const logs = [
    ...predictionLogs(DEMO_SPEC, DEMO_START, MINUTE / PER_WINDOW, WINDOWS * PER_WINDOW),
  ];
  // One event at the start of window 7 moves the watermark past window 6.
  logs.push({
    ...logs[0]!,
    id: 'watermark',
    timestamp: new Date(DEMO_START + WINDOWS * MINUTE).toISOString(),
  });
  const producer = kafka.producer();
  await producer.connect();
  await sendInChunks(producer, topic, [
    ...logs.map((l) => ({ value: JSON.stringify(l) })),
    { value: 'this is not JSON' },
    { value: '{"model": 42}' },
  ]);
  await producer.disconnect();
  say(
    `produced ${logs.length} prediction logs of model "${DEMO_SPEC.model}" v${DEMO_SPEC.modelVersion} to ${topic}`,
  );
  say(
    `  ${WINDOWS} one-minute windows from ${new Date(DEMO_START).toISOString()}; feature b shifts by +1.5σ from minute 3; plus 2 garbage messages\n`,
  );

  const configYaml = `
kafka: { brokers: [${endpoints.kafkaBrokers.map((b) => `"${b}"`).join(', ')}], topic: ${topic}, deadLetterTopic: ${topic}.dlq, groupId: demo-${run} }
influx: { url: "${endpoints.influx.url}", org: ${endpoints.influx.org}, bucket: ${endpoints.influx.bucket}, measurement: ${measurement} }
windows: { size: 1m, maxFutureSkew: 3650d }
baselines: { dir: ${path.join(import.meta.dirname, '..', 'baselines', 'examples')} }
http: { host: 127.0.0.1, port: 0 }
`;
  const config = parseConfig(configYaml, path.join(process.cwd(), 'demo.yaml'), {
    INFLUX_TOKEN: endpoints.influx.token,
  });
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'driftwatch-demo-')), 'daemon.log');
  const daemon = await Daemon.start(
    config,
    pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true })),
  );
  say(
    `daemon running (JSON logs: ${logFile}; metrics: http://127.0.0.1:${daemon.httpPort}/metrics)`,
  );

  const query = `from(bucket: "${endpoints.influx.bucket}")
  |> range(start: ${new Date(DEMO_START).toISOString()}, stop: ${new Date(DEMO_START + (WINDOWS + 1) * MINUTE).toISOString()})
  |> filter(fn: (r) => r._measurement == "${measurement}" and r.model == "${DEMO_SPEC.model}")
  |> filter(fn: (r) => r._field == "statistic" or r._field == "p_value" or r._field == "drifted")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
  const queryApi = new InfluxDB({
    url: endpoints.influx.url,
    token: endpoints.influx.token,
  }).getQueryApi(endpoints.influx.org);
  let rows: {
    _time: string;
    feature: string;
    method: string;
    statistic?: number;
    p_value?: number;
    drifted: boolean;
  }[] = [];
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    rows = await queryApi.collectRows(query);
    const consumed = (await daemon.metrics.messagesConsumed.get()).values[0]?.value ?? 0;
    const psiRows = rows.filter((r) => r.method === 'psi').length;
    if (psiRows >= WINDOWS * 4 && consumed >= logs.length + 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const invalid = await daemon.metrics.messagesInvalid.get();
  await daemon.stop();

  const features = ['a', 'b', 'c', 'country'];
  const table = (
    title: string,
    cell: (feature: string) => (r: (typeof rows)[number]) => boolean,
    show: (r: (typeof rows)[number]) => string,
  ) => {
    say(`\n${title}\n`);
    say(`  ${'window end'.padEnd(24)}${features.map((f) => f.padStart(12)).join('')}`);
    for (const time of [...new Set(rows.map((r) => r._time))].sort()) {
      const cells = features.map((f) => {
        const r = rows.find((row) => row._time === time && cell(f)(row));
        return (r === undefined ? '-' : `${show(r)}${r.drifted ? '*' : ' '}`).padStart(12);
      });
      say(`  ${time.padEnd(24)}${cells.join('')}`);
    }
  };
  table(
    'PSI per window and feature (baseline = training data; * = drifted, PSI >= 0.25):',
    (f) => (r) => r.feature === f && r.method === 'psi',
    (r) => (r.statistic ?? NaN).toFixed(3),
  );
  table(
    'p-values: KS for numeric features, chi-square for country (* = drifted, p <= 0.05):',
    (f) => (r) => r.feature === f && (r.method === 'ks' || r.method === 'chi_square'),
    (r) => (r.p_value ?? NaN).toPrecision(2),
  );
  say(`\n${invalid.values.reduce((s, v) => s + v.value, 0)} invalid messages went to ${topic}.dlq`);
  say(
    `\nThe series are in InfluxDB: ${endpoints.influx.url}  org "${endpoints.influx.org}"  bucket "${endpoints.influx.bucket}"  measurement "${measurement}"`,
  );
  say(`token: ${endpoints.influx.token} (the throwaway dev instance)\nFlux:\n${query}`);
  const psiPoints = rows.filter((r) => r.method === 'psi').length;
  if (psiPoints < WINDOWS * 4)
    throw new Error(`expected ${WINDOWS * 4} PSI points, found ${psiPoints}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
