import { describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { waitForDriftRows } from '../support/influx.js';
import { createTopics, sendInChunks, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const spec: SyntheticSpec = { model: 'ranker', modelVersion: '2', numericFeatures: ['a'], seed: 3 };

describe(`partitions without traffic (${inject('servicesMode')})`, () => {
  it('a topic whose keys all land in one partition still closes windows once the others are idle', async () => {
    const names = uniqueNames('idle');
    const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [names.topic, names.deadLetterTopic], 3);
    const producer = kafka.producer();
    await producer.connect();
    const onPartition0 = (logs: unknown[]) =>
      logs.map((l) => ({ partition: 0, value: JSON.stringify(l) }));
    await sendInChunks(
      producer,
      names.topic,
      onPartition0([...predictionLogs(spec, T0, 60, 2_000)]),
    );

    const baselinesDir = baselineDirFor(spec);
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout: '2s',
    });
    const daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    try {
      await daemon.waitForLog('joined consumer group');
      await new Promise((r) => setTimeout(r, 4_000));
      // Partitions 1 and 2 have been empty and quiet for longer than idleTimeout: the next
      // batch of partition 0 lets the watermark move without them.
      const next = [...predictionLogs({ ...spec, seed: 4 }, T0 + 2 * 60_000, 60, 10)];
      await sendInChunks(producer, names.topic, onPartition0(next));
      const rows = await waitForDriftRows(services.influx, names.measurement, 2 * 2);
      expect(rows.map((r) => r.n)).toEqual([1_000, 1_000, 1_000, 1_000]);
    } finally {
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      await producer.disconnect();
    }
  });
});
