import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/services/process.js';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import { createTopics, toolingKafka, sendInChunks } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import { expectSameResults, metricTotal } from '../support/results.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const T0 = Date.parse('2026-02-01T00:00:00.000Z');
const MINUTE = 60_000;
const spec: SyntheticSpec = {
  model: 'churn',
  modelVersion: '7',
  numericFeatures: ['a', 'b', 'c'],
  shifted: { features: ['c'], shift: 1, shiftFrom: T0 + 4 * MINUTE },
  seed: 7,
};
const baselinesDir = baselineDirFor(spec);

const waitForRows = (measurement: string, count: number) =>
  waitForDriftRows(services.influx, measurement, count);

describe(`reliability against real services (${inject('servicesMode')})`, () => {
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  async function topicWith(names: ReturnType<typeof uniqueNames>, partitions: number) {
    await createTopics(kafka, [names.topic, names.deadLetterTopic], partitions);
  }

  function events(from: number, to: number) {
    // 8 windows of 1 minute, 1,500 events each, keyed so they spread over partitions.
    return [...predictionLogs(spec, T0, 40, 8 * 1_500)]
      .slice(from, to)
      .map((l) => ({ key: l.id, value: JSON.stringify(l) }));
  }

  /** The watermark waits for every partition, so each one gets an event that closes window 8. */
  function closers(partitions: number) {
    return Array.from({ length: partitions }, (_, partition) => ({
      partition,
      value: JSON.stringify({
        model: 'churn',
        model_version: '7',
        timestamp: T0 + 8 * MINUTE,
        features: {},
      }),
    }));
  }

  /** A daemon on its own group and measurement that reads the whole topic without interruption. */
  async function referenceRun(names: ReturnType<typeof uniqueNames>) {
    const reference = {
      ...names,
      groupId: `${names.groupId}-ref`,
      measurement: `${names.measurement}_ref`,
    };
    const { file } = await writeDaemonConfig(services, {
      ...reference,
      baselinesDir,
      windowSize: '1m',
    });
    const daemon = new DaemonProcess(file, env);
    try {
      await waitForRows(reference.measurement, 8 * 4);
      // Every method's points: KS p-values and the dataset-level share must match too.
      return await queryDrift(services.influx, reference.measurement, null);
    } finally {
      await daemon.stopGracefully();
    }
  }

  it('after kill -9 mid-stream, a restart produces exactly the results of an uninterrupted run', async () => {
    const names = uniqueNames('kill');
    await topicWith(names, 3);
    await sendInChunks(producer, names.topic, events(0, 6_000));

    // SIGKILL once the first window is durable, with events of open windows in hand.
    const { file: config } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
    });
    const victim = new DaemonProcess(config, env);
    await victim.waitForLog('window emitted');
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    await sendInChunks(producer, names.topic, [...events(6_000, 12_000), ...closers(3)]);
    const restarted = new DaemonProcess(config, env);
    try {
      const expected = await referenceRun(names);
      await waitForRows(names.measurement, 8 * 4);
      const actual = await queryDrift(services.influx, names.measurement, null);
      expectSameResults(actual, expected);
      const cPsi = actual.filter((r) => r.feature === 'c' && r.method === 'psi');
      expect(cPsi.filter((r) => r.drifted)).toHaveLength(4);
    } finally {
      await restarted.stopGracefully();
    }
  });

  it('a rebalance (another member joins, then leaves) neither loses nor double-counts events', async () => {
    const names = uniqueNames('rebalance');
    await topicWith(names, 2);
    await sendInChunks(producer, names.topic, events(0, 6_000));
    const { file: config } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
    });
    const daemon = new DaemonProcess(config, env);
    try {
      await daemon.waitForLog('window emitted');
      // A second member of the same group (say, the next pod of a rolling deploy) takes a partition.
      const intruder = kafka.consumer({ groupId: names.groupId, sessionTimeout: 6_000 });
      await intruder.connect();
      await intruder.subscribe({ topic: names.topic, fromBeginning: true });
      await intruder.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
      // The daemon's ingest stage rejoined and gave a partition to the intruder.
      await daemon.waitForLogs({ msg: 'joined consumer group', stage: 'ingest' }, 2);
      await sendInChunks(producer, names.topic, [...events(6_000, 12_000), ...closers(2)]);
      await new Promise((r) => setTimeout(r, 2_000));
      await intruder.disconnect();

      const expected = await referenceRun(names);
      await waitForRows(names.measurement, 8 * 4);
      const actual = await queryDrift(services.influx, names.measurement, null);
      expectSameResults(actual, expected);
    } finally {
      await daemon.stopGracefully();
    }
  });

  it('an InfluxDB outage longer than idleTimeout, with input still arriving on every partition, loses nothing: results equal an uninterrupted run', async () => {
    const names = uniqueNames('outage');
    await topicWith(names, 3);
    const influxUrl = new URL(services.influx.url);
    const proxy = new TcpProxy(await freePort(), {
      host: influxUrl.hostname,
      port: Number(influxUrl.port),
    });
    await proxy.up();
    const settings = { ...names, baselinesDir, windowSize: '1m', idleTimeout: '2s' };
    const { file: config, httpPort } = await writeDaemonConfig(
      { ...services, influx: { ...services.influx, url: `http://127.0.0.1:${proxy.port}` } },
      settings,
    );
    const metrics = () => fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    const daemon = new DaemonProcess(config, env);
    try {
      // About 1,000 events/s over all partitions while the daemon reads them live.
      const all = events(0, 12_000);
      const producing = (async () => {
        for (let i = 0; i < all.length; i += 250) {
          await producer.send({ topic: names.topic, messages: all.slice(i, i + 250) });
          await new Promise((r) => setTimeout(r, 250));
        }
        await producer.send({ topic: names.topic, messages: closers(3) });
      })();
      await daemon.waitForLog('window emitted');
      // Cut InfluxDB for several idle timeouts while every partition keeps receiving events.
      await proxy.down();
      await daemon.waitForLog(
        'writing drift points to InfluxDB failed; consumption waits and retries',
      );
      await new Promise((r) => setTimeout(r, 8_000));
      expect(await metrics()).toMatch(/driftwatch_influx_write_failures_total [1-9]/);
      await proxy.up();
      await producing;

      await waitForRows(names.measurement, 8 * 4);
      expect(metricTotal(await metrics(), 'driftwatch_events_late_total')).toBe(0);
      const actual = await queryDrift(services.influx, names.measurement, null);
      expectSameResults(actual, await referenceRun(names));
    } finally {
      await daemon.stopGracefully();
      await proxy.down();
    }
  });

  it('keeps going through a flood of garbage', async () => {
    const names = uniqueNames('garbage');
    await topicWith(names, 1);
    const garbage = Array.from({ length: 500 }, (_, i) => ({
      value:
        [
          `{`,
          `null`,
          `42`,
          `{"model":"churn"}`,
          '\u0000\u0001binary',
          JSON.stringify({
            model: 'churn',
            model_version: '7',
            timestamp: T0,
            features: { a: [1] },
          }),
        ][i % 6] ?? '',
    }));
    await sendInChunks(producer, names.topic, [...garbage, ...events(0, 3_000)]);
    const { file: config, httpPort } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
    });
    const daemon = new DaemonProcess(config, env);
    try {
      const rows = await waitForRows(names.measurement, 1 * 4);
      expect(rows[0]?.n).toBe(1_500);
      const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      const invalid = [
        ...metrics.matchAll(/driftwatch_messages_invalid_total\{reason="\w+"\} (\d+)/g),
      ].reduce((s, m) => s + Number(m[1]), 0);
      expect(invalid).toBe(500);
      expect(metrics).toMatch(/driftwatch_messages_consumed_total 3500/);
      // Every dead letter is counted, but the log stays readable.
      expect(daemon.logs('message sent to the dead-letter topic').length).toBe(20);
    } finally {
      await daemon.stopGracefully();
    }
  });
});
