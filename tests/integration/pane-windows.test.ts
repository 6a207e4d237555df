import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryPoints, type RawPoint } from '../support/influx.js';
import { closeWindowsBefore, createTopics, sendInChunks, toolingKafka } from '../support/kafka.js';
import { expectIdenticalPoints } from '../support/results.js';
import { addBaselineFor, baselineDirFor, uniqueNames } from '../support/scenario.js';

/**
 * Windows stage 2 builds from panes (hopping views, count windows) against real Kafka and
 * InfluxDB: exact event sums, and after a kill -9 and a restart the same series as an
 * uninterrupted run — no view or count window missing, none doubled.
 */
const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
const T0 = Date.parse('2026-03-02T00:00:00.000Z');
const MINUTE = 60_000;
const PARTITIONS = 3;
const MINUTES = 12;
const hot: SyntheticSpec = {
  model: 'hot',
  modelVersion: '1',
  numericFeatures: ['a', 'b'],
  seed: 3,
};
const cold: SyntheticSpec = { ...hot, model: 'cold', seed: 5 };
const hotCount = (m: number) => 200 + 40 * (m % 4);
const COLD = [3, 0, 5, 2, 0, 0, 7, 1, 4, 0, 6, 2];
const coldCount = (m: number) => COLD[m] ?? 0;
/** windows.count: 10 events, at most 4 minutes; hopping: 3 minutes. */
const WINDOWS = {
  size: '1m',
  hopping: ['3m'],
  count: { events: 10, maxSpan: '4m' },
  maxFutureSkew: '1h',
  idleTimeout: '30s',
};

/** Minute m's events of both models, spread over the partitions. */
function minute(m: number) {
  const logs = [
    ...predictionLogs({ ...hot, seed: 3 + m }, T0 + m * MINUTE, MINUTE / hotCount(m), hotCount(m)),
    ...(coldCount(m) > 0
      ? predictionLogs({ ...cold, seed: 50 + m }, T0 + m * MINUTE + 1_000, 1_000, coldCount(m))
      : []),
  ];
  return logs.map((log, i) => ({ partition: (i + m) % PARTITIONS, value: JSON.stringify(log) }));
}
const minutes = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => minute(from + i)).flat();

const timeOf = (p: RawPoint) => Date.parse(p.key.split(' ')[0] as string);
/** The ops points (events per window) of one model and window tag, oldest first. */
const ops = (points: readonly RawPoint[], model: string, window: string) =>
  points
    .filter(
      (p) =>
        p.key.includes(' method=ops ') &&
        p.key.includes(` model=${model} `) &&
        p.key.endsWith(` window=${window}`),
    )
    .sort((x, y) => timeOf(x) - timeOf(y))
    .map((p) => [(timeOf(p) - T0) / MINUTE, Number(p.fields.events)]);

/** [end minute, events] of the 3-minute views at each minute where the model had events. */
const hopping = (count: (m: number) => number) =>
  Array.from({ length: MINUTES }, (_, m) => m)
    .filter((m) => count(m) > 0)
    .map((m) => [m + 1, count(m) + (m > 0 ? count(m - 1) : 0) + (m > 1 ? count(m - 2) : 0)]);

const EXPECTED = {
  hotHopping: hopping(hotCount),
  coldHopping: hopping(coldCount),
  // Every hot minute reaches 10 on its own.
  hotCount: Array.from({ length: MINUTES }, (_, m) => [m + 1, hotCount(m)]),
  // cold: minutes 0–3 (3+5+2), minutes 6–8 (7+1+4), then minutes 10–11 (6+2) closed short at
  // their 4-minute cap.
  coldCount: [
    [4, 10],
    [9, 12],
    [14, 8],
  ],
};

/** Polls until both models' series are complete, then reads them once more after a pause. */
async function complete(measurement: string): Promise<RawPoint[]> {
  const done = (points: RawPoint[]) =>
    ops(points, 'hot', '3m').length >= EXPECTED.hotHopping.length &&
    ops(points, 'cold', '3m').length >= EXPECTED.coldHopping.length &&
    ops(points, 'hot', 'count:10').length >= EXPECTED.hotCount.length &&
    ops(points, 'cold', 'count:10').length >= EXPECTED.coldCount.length;
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (done(await queryPoints(services.influx, measurement))) {
      await new Promise((r) => setTimeout(r, 3_000));
      return queryPoints(services.influx, measurement);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`the hopping and count series of ${measurement} did not complete in time`);
}

function expectExactSums(points: readonly RawPoint[]): void {
  expect({
    hotHopping: ops(points, 'hot', '3m'),
    coldHopping: ops(points, 'cold', '3m'),
    hotCount: ops(points, 'hot', 'count:10'),
    coldCount: ops(points, 'cold', 'count:10'),
  }).toEqual(EXPECTED);
  // A count window's span is its first pane's start to its end: the base series tell them apart.
  expect(ops(points, 'cold', '1m').map(([m]) => m)).toEqual([1, 3, 4, 7, 8, 9, 11, 12]);
}

const iso = (minute: number) => new Date(T0 + minute * MINUTE).toISOString();

describe(`hopping and count windows, kill -9 (${inject('servicesMode')})`, () => {
  let kafka: Kafka;
  let producer: Producer;
  let baselinesDir: string;

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    producer = kafka.producer();
    await producer.connect();
    baselinesDir = baselineDirFor(hot);
    addBaselineFor(baselinesDir, cold);
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  /**
   * Minutes 0–7 in the topic, a daemon killed with SIGKILL when `killWhen` resolves, the rest
   * of the input, a restart: its series against an uninterrupted run's over the same topic.
   */
  async function killAndRestart(
    prefix: string,
    killWhen: (victim: DaemonProcess) => Promise<void>,
  ) {
    const names = uniqueNames(prefix);
    await createTopics(kafka, [names.topic, names.deadLetterTopic], PARTITIONS);
    const configFor = (run: { groupId: string; measurement: string }) =>
      writeDaemonConfig(services, {
        ...names,
        ...run,
        baselinesDir,
        windowSize: '1m',
        extra: { windows: WINDOWS },
      });
    await sendInChunks(producer, names.topic, minutes(0, 8));
    const { file } = await configFor(names);
    const victim = new DaemonProcess(file, env);
    await killWhen(victim);
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    await sendInChunks(producer, names.topic, minutes(8, MINUTES));
    await closeWindowsBefore(producer, names.topic, PARTITIONS, hot, T0 + 15 * MINUTE);
    const restarted = new DaemonProcess(file, env);
    let actual: RawPoint[];
    try {
      actual = await complete(names.measurement);
      // cold's second count window (minutes 6–8) is written by the restarted daemon: rebuilt
      // from the partials read again, whatever the victim had read.
      expect(
        restarted
          .logsWith({ msg: 'window emitted', model: 'cold', window: 'count:10' })
          .map((l) => [l.window_start, l.window_end]),
      ).toContainEqual([iso(6), iso(9)]);
    } finally {
      await restarted.stopGracefully();
    }
    expectExactSums(actual);

    const reference = { groupId: `${names.groupId}-ref`, measurement: `${names.measurement}_ref` };
    const { file: referenceFile } = await configFor(reference);
    const uninterrupted = new DaemonProcess(referenceFile, env);
    let expected: RawPoint[];
    try {
      expected = await complete(reference.measurement);
    } finally {
      await uninterrupted.stopGracefully();
    }
    expectExactSums(expected);
    expectIdenticalPoints(actual, expected);
  }

  it('killed with a count window running and panes retained (committed), the restart writes the same points as an uninterrupted run, sums exact', async () => {
    await killAndRestart('panes-committed', async (victim) => {
      // cold's base window of minute 6 written (and committed a moment later): its second count
      // window is running (minute 6 so far), panes of both models are kept for the views.
      await victim.waitForLogs(
        { msg: 'window emitted', model: 'cold', window_end: iso(7) },
        1,
        90_000,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      expect(
        victim.logsWith({ msg: 'window emitted', model: 'cold', window: 'count:10' }),
      ).toHaveLength(1);
    });
  });

  it('killed at its first written window (before that batch is committed), the same', async () => {
    await killAndRestart('panes-early', (victim) => victim.waitForLog('window emitted', 90_000));
  });
});
