import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { cli } from '../support/cli.js';
import { Mailpit } from '../support/mailpit.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import {
  firingAlertPoints,
  queryPoints,
  waitForDriftRows,
  type RawPoint,
} from '../support/influx.js';
import { closeWindowsBefore, testKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-01-02T00:00:00.000Z');
const MINUTE = 60_000;
/** From minute 3 the model slows down, fails, loses traffic and its upstream changes schema. */
const INCIDENT = T0 + 3 * MINUTE;
const PARTITIONS = 2;

const spec: SyntheticSpec = {
  model: 'pricing',
  modelVersion: '7',
  numericFeatures: ['a', 'b'],
  seed: 9,
};

const RULES = [
  { name: 'slow', when: 'latency_p99 > 400', min_samples: 50 },
  { name: 'failing', when: 'error_share > 0.2', min_samples: 50 },
  { name: 'low_volume', when: 'events < 300' },
  { name: 'retyped', when: 'wrong_type_share > 0.1', min_samples: 50 },
  { name: 'new_input', when: 'new_features > 0' },
];

const timeOf = (p: RawPoint) => Date.parse(p.key.split(' ')[0] as string);
const is = (method: string, feature?: string) => (p: RawPoint) =>
  p.key.includes(` method=${method} `) &&
  (feature === undefined || p.key.includes(` feature=${feature} `));

describe(`ops and schema series against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('ops');
  const alertsMeasurement = `${names.measurement}_alerts`;
  let producer: Producer;
  let configFile: string;
  const mail = new Mailpit(services);
  const to = `oncall-${names.groupId}@driftwatch.test`;

  beforeAll(async () => {
    ({ producer } = await testKafka(
      services.kafkaBrokers,
      [names.topic, names.deadLetterTopic],
      PARTITIONS,
    ));
    // 600 events a minute for three minutes, then 200 a minute for two.
    const logs = [...predictionLogs(spec, T0, 100, 1_800)];
    logs.push(...predictionLogs({ ...spec, seed: 10 }, INCIDENT, 300, 400));
    const messages = logs.map((log, i) => {
      const t = Date.parse(log.timestamp);
      const incident = t >= INCIDENT;
      const features: Record<string, unknown> = { ...log.features };
      if (incident && i % 4 === 0) features.a = 'NaN (upstream)';
      if (incident) features.region = 'eu';
      return {
        partition: i % PARTITIONS,
        value: JSON.stringify({
          ...log,
          features,
          latency_ms: incident ? 450 + (i % 100) : 20 + (i % 30),
          error: incident && i % 3 === 0 ? 'upstream timeout' : null,
        }),
      };
    });
    await producer.send({ topic: names.topic, messages });
    await closeWindowsBefore(producer, names.topic, PARTITIONS, spec, T0 + 5 * MINUTE);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-ops-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      stringify({
        receivers: {
          log: { type: 'webhook', url: 'http://127.0.0.1:9/unused', timeout: '1s' },
          oncall: { type: 'email', to: [to] },
        },
        // The schema rule mails: its notification must name the new feature.
        rules: RULES.map((r) => ({
          ...r,
          match: { model: 'pricing' },
          receivers: [r.name === 'new_input' ? 'oncall' : 'log'],
        })),
      }),
    );
    ({ file: configFile } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: {
        smtp: { ...services.smtp, from: 'driftwatch@driftwatch.test' },
        alerts: { rules, measurement: alertsMeasurement },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('writes ops, schema and new-feature points per window, and rules fire only in the incident', async () => {
    const daemon = new DaemonProcess(configFile, { INFLUX_TOKEN: services.influx.token });
    try {
      await waitForDriftRows(services.influx, names.measurement, 5 * 3);
      const points = await queryPoints(services.influx, names.measurement);
      const ops = points.filter(is('ops', '_model')).sort((x, y) => timeOf(x) - timeOf(y));
      expect(ops).toHaveLength(5);
      for (const p of ops) {
        const f = (name: string) => Number(p.fields[name]);
        const incident = timeOf(p) > INCIDENT;
        expect(f('events')).toBe(incident ? 200 : 600);
        expect(f('events_per_second')).toBeCloseTo(f('events') / 60, 9);
        expect(f('latency_count')).toBe(f('events'));
        if (incident) {
          expect(f('latency_p50')).toBeGreaterThan(440);
          expect(f('error_share')).toBeGreaterThan(0.25);
        } else {
          expect(f('latency_p99')).toBeLessThan(60);
          expect(f('errors')).toBe(0);
        }
        expect(f('prediction_mean')).toBeGreaterThan(0);
      }
      const schema = points.filter(is('schema')).sort((x, y) => timeOf(x) - timeOf(y));
      expect(schema).toHaveLength(5);
      for (const p of schema) {
        const incident = timeOf(p) > INCIDENT;
        expect(Number(p.fields.new_features)).toBe(incident ? 1 : 0);
        expect(p.fields.new_feature_names).toBe(incident ? 'region' : '');
        expect(Number(p.fields.wrong_type_features)).toBe(incident ? 1 : 0);
      }
      const region = points.filter(is('new_feature', 'region'));
      expect(region.map((p) => Number(p.fields.events))).toEqual([200, 200]);
      const a = points.filter(is('summary', 'a'));
      for (const p of a) {
        expect(Number(p.fields.wrong_type)).toBe(timeOf(p) > INCIDENT ? 50 : 0);
        expect(Number(p.fields.missing)).toBe(0);
      }

      // Each rule fired in the incident's windows, none before.
      const ruleOf = (p: RawPoint) => /rule=([^ ,]+)/.exec(p.key)?.[1];
      const firing = await firingAlertPoints(
        services.influx,
        alertsMeasurement,
        (f) => new Set(f.map(ruleOf)).size >= RULES.length,
      );
      expect([...new Set(firing.map(ruleOf))].sort()).toEqual(RULES.map((r) => r.name).sort());
      for (const p of firing) expect(timeOf(p)).toBeGreaterThan(INCIDENT);

      // The schema alert's mail has a schema section naming the new feature of its window.
      const [first] = await mail.messagesTo(to, 1, 60_000);
      expect(first?.Subject).toContain('new_input');
      const lines = (await mail.message(first?.ID ?? '')).Text.split(/\r?\n/);
      const at = lines.findIndex((l) => l.startsWith('Schema: pricing@7'));
      expect(at).toBeGreaterThan(0);
      const row = lines.slice(at + 1, at + 4).find((l) => l.trimStart().startsWith('new:'));
      expect(row?.trimStart().slice('new:'.length).trim()).toBe('region');

      // `driftwatch model status` reads the same series back: the last three windows' volume,
      // latency and errors, and the newest window's schema change.
      const status = cli(
        [
          'model',
          'status',
          'pricing',
          '--config',
          configFile,
          '--from',
          new Date(T0).toISOString(),
          '--to',
          new Date(T0 + 10 * MINUTE).toISOString(),
        ],
        { INFLUX_TOKEN: services.influx.token },
      );
      expect(status.stderr).toBe('');
      expect(status.status).toBe(0);
      const text = status.stdout;
      expect(text).toContain('pricing 7, 1m windows: the last 3, ending 2026-01-02T00:05:00.000Z');
      const cells = (label: string) =>
        text
          .split('\n')
          .find((l) => l.trimStart().startsWith(`${label} `))
          ?.trim()
          .slice(label.length)
          .trim()
          .split(/\s{3,}/);
      expect(cells('events')).toEqual(['600', '200', '200']);
      expect(text).toMatch(/wrong-type features +a\n/);
      expect(text).toMatch(/new features +region \(200 events\)/);
      const json = cli(
        [
          'model',
          'status',
          'pricing',
          '-c',
          configFile,
          '--from',
          String(T0),
          '--to',
          String(T0 + 10 * MINUTE),
          '--last',
          '5',
          '--json',
        ],
        { INFLUX_TOKEN: services.influx.token },
      );
      const parsed = JSON.parse(json.stdout) as { windows: { ops: { events: number } }[] };
      expect(parsed.windows.map((w) => w.ops.events)).toEqual([600, 600, 600, 200, 200]);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });
});
