/**
 * `npm run demo`: real services up, synthetic prediction logs with drift injected into feature
 * `b`, the daemon run on them, and the per-window drift read back from InfluxDB.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { parse as parseYaml, stringify } from 'yaml';
import { startReceiver, type ReceivedWebhook } from './demo-receiver.js';

/** A throwaway signing secret for the demo (Standard Webhooks format). */
const DEMO_SECRET = 'whsec_ZHJpZnR3YXRjaC1kZW1vLXNlY3JldC0wMDAwMDA=';

/** examples/rules.yaml, pointed at this run's receiver and mailbox. */
function demoRules(dir: string, receiverPort: number, mailTo: string): string {
  const root = path.join(import.meta.dirname, '..');
  const rules = parseYaml(readFileSync(path.join(root, 'examples', 'rules.yaml'), 'utf8')) as {
    receivers: Record<string, { type: string; url?: string; to?: string[] }>;
  };
  for (const r of Object.values(rules.receivers)) {
    if (r.type === 'email') r.to = [mailTo];
    if (r.url) r.url = r.url.replace(/:\/\/[^/]+/, `://127.0.0.1:${receiverPort}`);
  }
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, stringify(rules));
  return file;
}

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

  const webhooks: ReceivedWebhook[] = [];
  const receiver = await startReceiver(DEMO_SECRET, 0, (r) => webhooks.push(r));
  const demoDir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-demo-'));
  const mailTo = `oncall-${run}@driftwatch.demo`;
  const rulesFile = demoRules(demoDir, receiver.port, mailTo);
  const configYaml = `
kafka: { brokers: [${endpoints.kafkaBrokers.map((b) => `"${b}"`).join(', ')}], topic: ${topic}, deadLetterTopic: ${topic}.dlq, groupId: demo-${run} }
influx: { url: "${endpoints.influx.url}", org: ${endpoints.influx.org}, bucket: ${endpoints.influx.bucket}, measurement: ${measurement} }
windows: { size: 1m, maxFutureSkew: 3650d }
baselines: { dir: ${path.join(import.meta.dirname, '..', 'baselines', 'examples')} }
http: { host: 127.0.0.1, port: 0 }
smtp: { host: ${endpoints.smtp.host}, port: ${endpoints.smtp.port}, from: driftwatch@driftwatch.demo }
alerts: { rules: ${rulesFile}, dashboardUrl: "http://127.0.0.1:3000/d/driftwatch?var-model={{model}}&var-version={{model_version}}&var-window={{window}}&var-feature={{feature}}&from={{from}}&to={{to}}", retryInitialDelay: 1s }
`;
  const config = parseConfig(configYaml, path.join(demoDir, 'demo.yaml'), {
    INFLUX_TOKEN: endpoints.influx.token,
  });
  process.env.DRIFTWATCH_WEBHOOK_SECRET = DEMO_SECRET;
  const logFile = path.join(demoDir, 'daemon.log');
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
  const mail = await waitForMail(endpoints.mailApiUrl, mailTo);
  while (Date.now() < deadline + 30_000 && !webhooks.some((w) => w.path === '/retrain')) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await daemon.stop();
  receiver.server.close();

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
  say(
    `\nAlert email in the SMTP catcher (${endpoints.mailApiUrl}/api/v1/search?query=to:${mailTo}):\n`,
  );
  if (mail) {
    say(`  Subject: ${mail.Subject}`);
    for (const line of mail.Text.split('\n').slice(0, 24)) say(`  | ${line}`);
  } else say('  (none arrived)');
  const retrain = webhooks.find((w) => w.path === '/retrain');
  say('\nSigned retraining request received by the local receiver (scripts/demo-receiver.ts):\n');
  if (retrain) {
    const data = retrain.body.data as Record<string, unknown> | undefined;
    say(`  webhook-id ${retrain.id}  signature verified: ${retrain.verified}`);
    say(
      `  ${JSON.stringify(data?.retrain ?? retrain.body, null, 2)
        .split('\n')
        .join('\n  ')}`,
    );
  } else say('  (none arrived)');
  say(
    `\n${webhooks.filter((w) => w.path === '/hooks').length} alert webhook(s) received at /hooks`,
  );
  if (!mail) throw new Error('no alert email arrived');
  if (!retrain) throw new Error('no retraining request arrived');
  const psiPoints = rows.filter((r) => r.method === 'psi').length;
  if (psiPoints < WINDOWS * 4)
    throw new Error(`expected ${WINDOWS * 4} PSI points, found ${psiPoints}`);
}

async function waitForMail(
  api: string,
  to: string,
): Promise<{ Subject: string; Text: string } | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const found = (await (
      await fetch(`${api}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`)
    ).json()) as { messages: { ID: string }[] };
    const id = found.messages[0]?.ID;
    if (id)
      return (await (await fetch(`${api}/api/v1/message/${id}`)).json()) as {
        Subject: string;
        Text: string;
      };
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
