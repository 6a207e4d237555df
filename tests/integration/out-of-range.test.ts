import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import {
  firingAlertPoints,
  queryPoints,
  waitForDriftRows,
  type RawPoint,
} from '../support/influx.js';
import { closeWindowsBefore, testKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const services = inject('services');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;
/** From minute 3 the upstream sends `a` in other units: every value × 1000. */
const UNIT_CHANGE = T0 + 3 * MINUTE;
const PARTITIONS = 2;

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  seed: 7,
};

function rulesFile(dir: string, webhookUrl: string): string {
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(
    file,
    stringify({
      receivers: { ops: { type: 'webhook', url: webhookUrl, timeout: '5s' } },
      rules: [
        {
          name: 'out_of_range',
          match: { model: 'fraud' },
          when: 'out_of_range_share > 0.05',
          min_samples: 50,
          receivers: ['ops'],
        },
      ],
    }),
  );
  return file;
}

const isSummary = (feature: string) => (p: RawPoint) =>
  p.key.includes(` feature=${feature} `) && p.key.includes(' method=summary ');
const timeOf = (p: RawPoint) => Date.parse(p.key.split(' ')[0] as string);

describe(`out-of-range series against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('range');
  const receiver = new WebhookReceiver();
  const alertsMeasurement = `${names.measurement}_alerts`;
  let producer: Producer;
  let configFile: string;

  beforeAll(async () => {
    ({ producer } = await testKafka(
      services.kafkaBrokers,
      [names.topic, names.deadLetterTopic],
      PARTITIONS,
    ));
    await receiver.start();
    // 3,000 events over five 1-minute windows, spread over both input partitions.
    const logs = [...predictionLogs(spec, T0, 100, 3_000)].map((log, i) => {
      const a = log.features.a as number;
      const features = { ...log.features, a: log.timestamp >= iso(UNIT_CHANGE) ? a * 1000 : a };
      return { partition: i % PARTITIONS, value: JSON.stringify({ ...log, features }) };
    });
    await producer.send({ topic: names.topic, messages: logs });
    await closeWindowsBefore(producer, names.topic, PARTITIONS, spec, T0 + 5 * MINUTE);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-range-'));
    ({ file: configFile } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: {
        alerts: { rules: rulesFile(dir, receiver.url('/ops')), measurement: alertsMeasurement },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver.stop();
  });

  it('counts values outside the training range per window, and a rule fires on their share', async () => {
    const daemon = new DaemonProcess(configFile, { INFLUX_TOKEN: services.influx.token });
    try {
      await waitForDriftRows(services.influx, names.measurement, 5 * 3);
      const points = await queryPoints(services.influx, names.measurement);
      const a = points.filter(isSummary('a'));
      const b = points.filter(isSummary('b'));
      expect(a).toHaveLength(5);
      for (const p of [...a, ...b]) {
        const field = (name: string) => Number(p.fields[name]);
        const n = field('n');
        const low = field('below_min');
        const high = field('above_max');
        const q = field('below_q001') + field('above_q999');
        const changed = p.key.includes('feature=a ') && timeOf(p) > UNIT_CHANGE;
        if (changed) {
          // Standard normals × 1000: nearly all beyond ±4, the training range.
          expect((low + high) / n).toBeGreaterThan(0.9);
          expect(q / n).toBeGreaterThan(0.9);
        } else {
          // From the training distribution: a rare value beyond its ends, ~0.2 % beyond the tails.
          expect((low + high) / n).toBeLessThan(0.01);
          expect(q / n).toBeLessThan(0.02);
        }
        expect(n).toBe(600);
      }

      // The rule fired for `a` once the units changed, and for nothing else.
      const firing = await firingAlertPoints(
        services.influx,
        alertsMeasurement,
        (f) => f.length > 0,
      );
      expect(firing.length).toBeGreaterThan(0);
      for (const p of firing) {
        expect(p.key).toContain(' feature=a ');
        expect(p.key).toContain(' rule=out_of_range ');
        expect(timeOf(p)).toBeGreaterThan(UNIT_CHANGE);
      }
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });
});

function iso(t: number): string {
  return new Date(t).toISOString();
}
