import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryPoints, waitForDriftRows, type RawPoint } from '../support/influx.js';
import { closeWindowsBefore, testKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-01-03T00:00:00.000Z');
const MINUTE = 60_000;
const PARTITIONS = 2;
const spec: SyntheticSpec = {
  model: 'rank',
  modelVersion: '2',
  numericFeatures: ['a', 'b'],
  seed: 4,
};

const timeOf = (p: RawPoint) => Date.parse(p.key.split(' ')[0] as string);
const series = (points: readonly RawPoint[], method: string, window: string) =>
  points
    .filter((p) => p.key.includes(` method=${method} `) && p.key.includes(` window=${window}`))
    .sort((x, y) => timeOf(x) - timeOf(y));

describe(`several window sizes against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('sizes');
  let producer: Producer;
  let configFile: string;

  beforeAll(async () => {
    ({ producer } = await testKafka(
      services.kafkaBrokers,
      [names.topic, names.deadLetterTopic],
      PARTITIONS,
    ));
    // Four minutes: 300, 500, 200, 400 events.
    const counts = [300, 500, 200, 400];
    const logs = counts.flatMap((n, m) => [
      ...predictionLogs({ ...spec, seed: 4 + m }, T0 + m * MINUTE, MINUTE / n, n),
    ]);
    await producer.send({
      topic: names.topic,
      messages: logs.map((log, i) => ({ partition: i % PARTITIONS, value: JSON.stringify(log) })),
    });
    await closeWindowsBefore(producer, names.topic, PARTITIONS, spec, T0 + 4 * MINUTE);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-sizes-'));
    ({ file: configFile } = await writeDaemonConfig(services, {
      ...names,
      configDir: dir,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: {
        windows: {
          size: '1m',
          additionalSizes: ['2m'],
          hopping: ['3m'],
          maxFutureSkew: '1h',
          idleTimeout: '30s',
        },
      },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('writes each size as its own series, the larger and hopping windows holding exactly the small ones', async () => {
    const daemon = new DaemonProcess(configFile, { INFLUX_TOKEN: services.influx.token });
    try {
      await waitForDriftRows(services.influx, names.measurement, 10 * 3);
      // Every size's last window closes at the same watermark: wait for the last of each.
      let points = await queryPoints(services.influx, names.measurement);
      for (let i = 0; i < 120 && series(points, 'ops', '3m').length < 4; i++) {
        await new Promise((r) => setTimeout(r, 500));
        points = await queryPoints(services.influx, names.measurement);
      }
      const small = series(points, 'ops', '1m').map((p) => Number(p.fields.events));
      const large = series(points, 'ops', '2m').map((p) => Number(p.fields.events));
      expect(small).toEqual([300, 500, 200, 400]);
      expect(large).toEqual([800, 600]);
      // Hopping: 3 minutes at every minute's end, from the panes.
      expect(series(points, 'ops', '3m').map((p) => Number(p.fields.events))).toEqual([
        300, 800, 1_000, 1_100,
      ]);
      const n = (w: string) =>
        series(points, 'summary', w).filter((p) => p.key.includes(' feature=a '));
      expect(n('2m').map((p) => Number(p.fields.n))).toEqual([800, 600]);
      expect(series(points, 'psi', '2m').length).toBeGreaterThan(0);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });
});
