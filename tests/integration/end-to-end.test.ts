import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift, waitForDriftRows, type DriftRow } from '../support/influx.js';
import { createTopics, toolingKafka, readAll } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const SHIFT_FROM = T0 + 3 * MINUTE;

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['b'], shift: 1.5, shiftFrom: SHIFT_FROM },
  seed: 42,
};

/** One event just past `t`, whose only job is to move the watermark. */
function watermarkEvent(t: number) {
  return JSON.stringify({
    model: 'fraud',
    model_version: '3',
    timestamp: t,
    features: { a: 0, b: 0, country: 'DE' },
    prediction: 0.5,
  });
}

const waitForRows = (measurement: string, count: number) =>
  waitForDriftRows(services.influx, measurement, count);

describe(`end to end against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('e2e');
  let kafka: Kafka;
  let producer: Producer;
  let configFile: string;
  let httpPort: number;
  const env = { INFLUX_TOKEN: services.influx.token };

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [names.topic, names.deadLetterTopic]);
    producer = kafka.producer();
    await producer.connect();

    // 3,000 events over five 1-minute windows; `b` shifts from minute 3; garbage in between.
    const logs = [...predictionLogs(spec, T0, 100, 3_000)].map((l) => ({
      value: JSON.stringify(l),
    }));
    const garbage = [
      { value: '{"model": "fraud", "features": ' },
      {
        value: JSON.stringify({
          model: 42,
          model_version: '3',
          timestamp: 'yesterday',
          features: [],
        }),
      },
      { value: '' },
    ];
    await producer.send({
      topic: names.topic,
      messages: [...logs.slice(0, 1_000), ...garbage, ...logs.slice(1_000)],
    });
    await producer.send({
      topic: names.topic,
      messages: [{ value: watermarkEvent(T0 + 5 * MINUTE) }],
    });

    const baselinesDir = baselineDirFor(spec);
    ({ file: configFile, httpPort } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('writes PSI per feature and window: the shifted feature drifts, the others do not', async () => {
    const daemon = new DaemonProcess(configFile, env);
    try {
      const rows = await waitForRows(names.measurement, 5 * 3);
      const byFeature = (f: string) => rows.filter((r) => r.feature === f);
      const shifted = (r: DriftRow) => Date.parse(r.time) > SHIFT_FROM;

      expect(new Set(rows.map((r) => r.time)).size).toBe(5);
      for (const r of byFeature('a')) expect(r.statistic).toBeLessThan(0.1);
      for (const r of byFeature('country')) expect(r.statistic).toBeLessThan(0.1);
      for (const r of byFeature('b').filter(shifted)) {
        expect(r.statistic).toBeGreaterThan(0.25);
        expect(r.drifted).toBe(true);
      }
      for (const r of byFeature('b').filter((r) => !shifted(r)))
        expect(r.statistic).toBeLessThan(0.1);
      expect(byFeature('b').filter(shifted)).toHaveLength(2);
      // Tags carry identity; the timestamp is the window end.
      const first = rows[0] as DriftRow;
      expect(first).toMatchObject({
        model: 'fraud',
        model_version: '3',
        method: 'psi',
        window: '1m',
        n: 600,
        missing: 0,
      });
      expect(first.baseline).toMatch(/^[0-9a-f]{16}$/);
      expect(Date.parse(first.time)).toBe(T0 + MINUTE);

      // KS for numeric and chi-square for categorical features, with p-values and α.
      const all = await queryDrift(services.influx, names.measurement, null);
      const of = (feature: string, method: string) =>
        all.filter((r) => r.feature === feature && r.method === method);
      expect(of('a', 'ks')).toHaveLength(5);
      for (const r of [...of('a', 'ks'), ...of('country', 'chi_square')]) {
        expect(r).toMatchObject({ status: 'ok', threshold: 0.05, n: 600 });
        expect(r.p_value).toBeGreaterThan(0.001);
      }
      for (const r of of('b', 'ks').filter(shifted)) {
        expect(r.p_value).toBeLessThan(1e-12);
        expect(r.drifted).toBe(true);
      }
      expect(of('a', 'ks')[0]?.n_ref).toBeGreaterThan(1_000);
      // The dataset-level point: one of three features drifted in the shifted windows.
      for (const r of of('_dataset', 'drift_share').filter(shifted)) {
        expect(r.statistic).toBeCloseTo(1 / 3, 12);
        expect(r.drifted).toBe(false);
      }

      // Garbage went to the dead-letter topic with the reason and the original offset.
      const dead = await readAll(kafka, names.deadLetterTopic, 3);
      expect(dead.map((d) => d.headers['driftwatch-error-code'])).toEqual([
        'NOT_JSON',
        'INVALID_LOG',
        'EMPTY',
      ]);
      expect(dead.map((d) => d.headers['driftwatch-source-offset'])).toEqual([
        '1000',
        '1001',
        '1002',
      ]);
      expect(dead[1]?.headers['driftwatch-error-reason']).toContain('model');
      expect(dead[0]?.value).toBe('{"model": "fraud", "features": ');

      const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/driftwatch_messages_invalid_total\{reason="NOT_JSON"\} 1/);
      expect(metrics).toMatch(
        /driftwatch_windows_emitted_total\{model="fraud",model_version="3"\} 5/,
      );
      // Lag per stage: the input topic read by ingest, the partials topic by evaluate.
      expect(metrics).toMatch(
        new RegExp(
          `driftwatch_consumer_lag_messages\\{stage="ingest",topic="${names.topic}",partition="0"\\} \\d+`,
        ),
      );
      expect(metrics).toMatch(
        new RegExp(
          `driftwatch_consumer_lag_messages\\{stage="evaluate",topic="${names.groupId}\\.partials",partition="0"\\} \\d+`,
        ),
      );
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ healthy: true, consumerJoined: true });
      // Secrets come from env and never reach a log line.
      expect(daemon.output).not.toContain(services.influx.token);
    } finally {
      daemon.kill('SIGTERM');
      const exit = await daemon.exited;
      expect(exit.code).toBe(0);
    }
  });

  it('after SIGTERM, a restart re-reads only the open window and re-emits nothing', async () => {
    await producer.send({
      topic: names.topic,
      messages: [{ value: watermarkEvent(T0 + 6 * MINUTE) }],
    });
    const daemon = new DaemonProcess(configFile, env);
    try {
      await waitForRows(names.measurement, 6 * 3);
      await daemon.waitForLog('window emitted');
      const emitted = daemon.logs('window emitted');
      expect(emitted.map((l) => l.window_end)).toEqual([new Date(T0 + 6 * MINUTE).toISOString()]);
      // The open window's event was not lost: it was uncommitted at SIGTERM and read again.
      expect(emitted[0]?.events).toBe(1);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
  });

  it('SIGTERM at any moment of start-up is a graceful stop: exit code 0', async () => {
    // Its own group and measurement: what it reads and commits concerns only this test.
    const { file } = await writeDaemonConfig(services, {
      ...uniqueNames('e2e-start'),
      topic: names.topic,
      deadLetterTopic: names.deadLetterTopic,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
    });
    for (const moment of ['serving /metrics and /healthz', 'baseline loaded', 'consuming']) {
      const daemon = new DaemonProcess(file, env);
      await daemon.waitForLog(moment);
      daemon.kill('SIGTERM');
      const { code } = await daemon.exited;
      expect({ moment, code }, daemon.output.slice(-3_000)).toEqual({ moment, code: 0 });
    }
  });
});
