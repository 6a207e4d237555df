import type { Kafka, Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { waitForDriftRows } from '../support/influx.js';
import { createTopics, toolingKafka } from '../support/kafka.js';
import { metricTotal } from '../support/results.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const MINUTE = 60_000;
const spec: SyntheticSpec = {
  model: 'claims',
  modelVersion: '1',
  numericFeatures: ['a', 'b'],
  seed: 5,
};
const baselinesDir = baselineDirFor(spec);
/** PSI rows per window: features a, b and country. */
const ROWS_PER_WINDOW = 3;
const PER_PARTITION = 150;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `count` logs of `spec` stamped inside [start, start + 1 min), all to `partition`. */
function burst(start: number, partition: number, count: number, seed: number): Message[] {
  return [...predictionLogs({ ...spec, seed }, start, 50, count)].map((l) => ({
    partition,
    value: JSON.stringify(l),
  }));
}

/** The partitions a replica's stage was last assigned, from its join log line. */
function assigned(replica: DaemonProcess, stage: 'ingest' | 'evaluate'): number[] {
  const joins = replica.logsWith({ stage, msg: 'joined consumer group' });
  return (joins.at(-1)?.assigned as number[] | undefined) ?? [];
}

async function metricsOf(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
}

describe(`idle claims across replicas (${inject('servicesMode')})`, () => {
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

  it('a window does not close on the idle claim of a partition whose owner stalls after new input arrived: no event is lost', async () => {
    const names = uniqueNames('claims');
    await createTopics(kafka, [names.topic, names.deadLetterTopic], 2);
    const settings = {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout: '8s',
      // One partials partition: one replica evaluates every window, the other only ingests.
      extra: {
        kafka: {
          brokers: services.kafkaBrokers,
          groupId: names.groupId,
          topic: names.topic,
          deadLetterTopic: names.deadLetterTopic,
          fromBeginning: true,
          sessionTimeout: '60s',
        },
        scale: { partitions: 1 },
      },
    };
    const replicas: { daemon: DaemonProcess; port: number }[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const { file, httpPort } = await writeDaemonConfig(services, settings);
        replicas.push({ daemon: new DaemonProcess(file, env), port: httpPort });
      }
      // Both replicas hold one input partition each, and one of them the partials partition.
      const settled = () =>
        replicas.every((r) => assigned(r.daemon, 'ingest').length === 1) &&
        replicas.filter((r) => assigned(r.daemon, 'evaluate').length === 1).length === 1 &&
        replicas.every((r) => r.daemon.logsWith({ stage: 'evaluate' }).length > 0);
      while (!settled()) await sleep(200);
      const evaluator = replicas.find((r) => assigned(r.daemon, 'evaluate').length === 1);
      const other = replicas.find((r) => r !== evaluator);
      if (!evaluator || !other) throw new Error('no replica evaluates the partials partition');
      const stalled = assigned(other.daemon, 'ingest')[0] as number;
      const running = 1 - stalled;

      // Window 1 on both partitions, closed by one event of window 2 on each; then both
      // partitions are quiet until their owners claim them idle.
      const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
      await producer.send({
        topic: names.topic,
        messages: [
          ...burst(t0, 0, PER_PARTITION, 1),
          ...burst(t0, 1, PER_PARTITION, 2),
          ...burst(t0 + MINUTE, 0, 1, 3),
          ...burst(t0 + MINUTE, 1, 1, 4),
        ],
      });
      await waitForDriftRows(services.influx, names.measurement, ROWS_PER_WINDOW);
      await sleep(12_000);

      // The owner of one partition stops (a long GC pause, a stuck host, or killed before its
      // next commit) while its idle claim still holds. New input arrives on both partitions,
      // and the other partition's clock moves past window 2.
      other.daemon.kill('SIGSTOP');
      await producer.send({
        topic: names.topic,
        messages: [
          ...burst(t0 + MINUTE + 1_000, 0, PER_PARTITION, 5),
          ...burst(t0 + MINUTE + 1_000, 1, PER_PARTITION, 6),
          ...burst(t0 + 2 * MINUTE, running, 1, 7),
          ...burst(t0 + 2 * MINUTE, stalled, 1, 8),
        ],
      });
      // Long enough for the evaluating replica to see its own partition past window 2.
      await sleep(4_000);
      other.daemon.kill('SIGCONT');

      const rows = await waitForDriftRows(services.influx, names.measurement, 2 * ROWS_PER_WINDOW);
      const window2 = rows.filter((r) => Date.parse(r.time) === t0 + 2 * MINUTE);
      expect(window2).toHaveLength(ROWS_PER_WINDOW);
      for (const row of window2) expect(row.n).toBe(2 * (PER_PARTITION + 1));
      const metrics = await metricsOf(evaluator.port);
      expect(metricTotal(metrics, 'driftwatch_events_late_total')).toBe(0);
      expect(metricTotal(metrics, 'driftwatch_idle_claims_withdrawn_total')).toBeGreaterThan(0);
    } catch (err) {
      for (const r of replicas)
        process.stderr.write(`[idle-claims] replica :${r.port}\n${r.daemon.output.slice(-6000)}\n`);
      throw err;
    } finally {
      for (const r of replicas) r.daemon.kill('SIGCONT');
      await Promise.all(replicas.map((r) => r.daemon.stopGracefully()));
    }
  });
});
