import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryPoints, type RawPoint } from '../support/influx.js';
import { createTopics, testKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';
import {
  churnEvent,
  churnSpec,
  MINUTE,
  otherClass,
  predicted,
  T0,
} from '../support/labelled-churn.js';

const services = inject('services');
const PARTITIONS = 2;
const spec = churnSpec(9);

/** Every fourth label says the other class: the model is wrong there. */
const truth = (i: number) => (i % 4 === 0 ? otherClass(predicted(i)) : predicted(i));

const event = (i: number, minute: number, id: string | undefined) =>
  churnEvent(i, minute, id, { country: 'DE' });

const label = (i: number) =>
  JSON.stringify({ id: `p-${i}`, label: truth(i), timestamp: T0 + 10 * MINUTE + i });

const delayed = (points: readonly RawPoint[], method: string) =>
  points.filter((p) => p.key.includes(` method=${method} `));

describe(`delayed labels against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('labels');
  const labelsTopic = `${names.topic}.labels`;
  let producer: Producer;
  let configFile: string;

  const sendLabels = (from: number, to: number) =>
    producer.send({
      topic: labelsTopic,
      messages: Array.from({ length: to - from }, (_, k) => ({
        partition: (from + k) % PARTITIONS,
        value: label(from + k),
      })),
    });

  /** The window's delayed quality point once it counts `labelled` labels. */
  async function qualityWith(labelled: number, daemon: DaemonProcess): Promise<RawPoint> {
    for (let i = 0; i < 120; i++) {
      const points = delayed(
        await queryPoints(services.influx, names.measurement),
        'quality_delayed',
      );
      const point = points.find((p) => p.fields.labelled === labelled);
      if (point) return point;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      `no quality_delayed point with labelled=${labelled}; output:\n${
        daemon.output
          .split('\n')
          .filter((l) => l.includes('"level":60'))
          .join('\n') || daemon.output.slice(-6000)
      }`,
    );
  }

  beforeAll(async () => {
    let kafka;
    ({ kafka, producer } = await testKafka(
      services.kafkaBrokers,
      [names.topic, names.deadLetterTopic],
      PARTITIONS,
    ));
    await createTopics(kafka, [labelsTopic], PARTITIONS);
    // Labels 0–39 first (before their predictions reach the join), then garbage and a label
    // whose prediction never comes.
    await sendLabels(0, 40);
    await producer.send({
      topic: labelsTopic,
      messages: [
        { partition: 0, value: 'not json' },
        { partition: 1, value: JSON.stringify({ id: 'p-1' }) },
        { partition: 0, value: JSON.stringify({ id: 'ghost', label: 'yes', timestamp: T0 }) },
      ],
    });
    // Minute 0: 100 predictions with ids; minute 1: 50 without (no delayed point for it).
    const logs = [
      ...Array.from({ length: 100 }, (_, i) => event(i, 0, `p-${i}`)),
      ...Array.from({ length: 50 }, (_, i) => event(i, 1, undefined)),
    ];
    await producer.send({
      topic: names.topic,
      messages: logs.map((value, i) => ({ partition: i % PARTITIONS, value })),
    });
    ({ file: configFile } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
      extra: { labels: { topic: labelsTopic, horizon: '2d', partitions: 2 } },
    }));
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('writes the window quality as labels arrive, rewrites it, and counts each label once across kill -9', async () => {
    const env = { INFLUX_TOKEN: services.influx.token };
    let daemon = new DaemonProcess(configFile, env);
    try {
      const first = await qualityWith(40, daemon);
      expect(first.key.startsWith('2026-01-05T00:01:00Z ')).toBe(true);
      expect(first.fields.label_coverage).toBe(0.4);
      expect(first.fields.accuracy).toBe(30 / 40);
      expect(
        daemon.logs('label message skipped (see driftwatch_labels_invalid_total)').length,
      ).toBe(2);
      // More labels; the daemon dies mid-way, a restart goes on from what Kafka committed.
      await sendLabels(40, 55);
      daemon.kill('SIGKILL');
      await daemon.exited;
      await sendLabels(55, 70);
      // A second label for an id already counted changes nothing.
      await producer.send({ topic: labelsTopic, messages: [{ partition: 0, value: label(0) }] });
      daemon = new DaemonProcess(configFile, env);
      const final = await qualityWith(70, daemon);
      // Same point (measurement, tags, time), rewritten: one quality_delayed point in all.
      await new Promise((r) => setTimeout(r, 3_000));
      const points = await queryPoints(services.influx, names.measurement);
      const quality = delayed(points, 'quality_delayed');
      expect(quality).toHaveLength(1);
      expect(quality[0]?.key).toBe(final.key);
      expect(quality[0]?.fields.labelled).toBe(70);
      expect(quality[0]?.fields.label_coverage).toBe(0.7);
      expect(quality[0]?.fields.accuracy).toBe(52 / 70);
      expect(quality[0]?.fields.unusable_labels).toBe(0);
      const classes = delayed(points, 'quality_class_delayed');
      expect(classes.map((p) => p.fields.support).sort()).toEqual([17, 53]);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  }, 240_000);
});
