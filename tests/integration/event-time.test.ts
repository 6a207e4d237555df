import type { Kafka, Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import { createTopics, sendInChunks, toolingKafka } from '../support/kafka.js';
import { expectSameResults, metricTotal } from '../support/results.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const MINUTE = 60_000;
const spec: SyntheticSpec = {
  model: 'churn',
  modelVersion: '7',
  numericFeatures: ['a', 'b', 'c'],
  seed: 11,
};
const baselinesDir = baselineDirFor(spec);
/** PSI rows per window: features a, b, c and country. */
const ROWS_PER_WINDOW = 4;

const event = (timestamp: number) =>
  JSON.stringify({ model: 'churn', model_version: '7', timestamp, features: {} });

describe(`event time against real services (${inject('servicesMode')})`, () => {
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

  /** Runs a daemon over a topic until `windows` windows are written; returns every point. */
  async function run(
    names: ReturnType<typeof uniqueNames>,
    windows: number,
    idleTimeout = '30s',
  ): Promise<{ rows: Awaited<ReturnType<typeof queryDrift>>; late: number }> {
    const { file, httpPort } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout,
      extra: { windows: { size: '1m', maxFutureSkew: '10m', idleTimeout } },
    });
    const daemon = new DaemonProcess(file, env);
    try {
      await waitForDriftRows(services.influx, names.measurement, windows * ROWS_PER_WINDOW);
      const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      return {
        rows: await queryDrift(services.influx, names.measurement, null),
        late: metricTotal(metrics, 'driftwatch_events_late_total'),
      };
    } finally {
      await daemon.stopGracefully();
    }
  }

  it('one event stamped 9 minutes ahead (within maxFutureSkew) drops nothing as late: results equal a run without it', async () => {
    // Live data: five windows ending a minute ago, then one that closes them.
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 6 * MINUTE;
    const stream: Message[] = [...predictionLogs(spec, start, 200, 5 * 300)].map((l) => ({
      value: JSON.stringify(l),
    }));
    stream.push({ value: event(start + 5 * MINUTE) });
    const outlier = { value: event(Date.now() + 9 * MINUTE) };
    const withOutlier = [...stream.slice(0, 700), outlier, ...stream.slice(700)];

    const skewed = uniqueNames('skew');
    const reference = uniqueNames('skew-ref');
    for (const names of [skewed, reference]) {
      await createTopics(kafka, [names.topic, names.deadLetterTopic], 1);
    }
    await sendInChunks(producer, skewed.topic, withOutlier);
    await sendInChunks(producer, reference.topic, stream);

    const expected = await run(reference, 5);
    const actual = await run(skewed, 5);
    expect(actual.late).toBe(0);
    expectSameResults(actual.rows, expected.rows);
  });

  it('closes windows while one partition never receives anything, and a single trailing event closes the last one', async () => {
    const names = uniqueNames('silent');
    await createTopics(kafka, [names.topic, names.deadLetterTopic], 3);
    const T0 = Date.parse('2026-03-01T00:00:00.000Z');
    // A burst of three windows on partitions 0 and 1 only; partition 2 stays empty.
    const burst = [...predictionLogs(spec, T0, 40, 3 * 1_500)].map((l, i) => ({
      partition: i % 2,
      value: JSON.stringify(l),
    }));
    await sendInChunks(producer, names.topic, burst);
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout: '2s',
    });
    const daemon = new DaemonProcess(file, env);
    try {
      // Windows 1 and 2 close by the events after them; no further batch ever arrives.
      const first = await waitForDriftRows(services.influx, names.measurement, 2 * ROWS_PER_WINDOW);
      expect(new Set(first.map((r) => r.time)).size).toBe(2);
      await producer.send({
        topic: names.topic,
        messages: [{ partition: 0, value: event(T0 + 3 * MINUTE) }],
      });
      const all = await waitForDriftRows(services.influx, names.measurement, 3 * ROWS_PER_WINDOW);
      expect(new Set(all.map((r) => r.time)).size).toBe(3);
      for (const r of all) expect(r.n).toBe(1_500);
    } finally {
      await daemon.stopGracefully();
    }
  });
});
