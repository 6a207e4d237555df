/**
 * Issue 16: the delayed-labels join's pending state survives replicas sharing the work, a
 * kill -9 of one of them and a newcomer taking join partitions over, with no local disk: the
 * final `quality_delayed` points equal what an uninterrupted run writes, to the last label.
 * Then, one join partition at a time, the two races of a takeover that lose or double a
 * previous owner's last commit, set up deterministically against the real broker.
 */
import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { delayedPoints } from '../../src/label-join/delayed-tallies.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { JoinStage } from '../../src/label-join/join-stage.js';
import { PartitionTaken, PartitionTx } from '../../src/label-join/partition-tx.js';
import { decodeTally } from '../../src/label-join/tally-codec.js';
import { LabelMetrics } from '../../src/label-metrics.js';
import { encodeLabel, encodePrediction } from '../../src/labels/join-records.js';
import { routeModel } from '../../src/partials/route.js';
import { uniform53 } from '../../scripts/sfc32.js';
import type { DaemonSettings } from '../support/daemon-process.js';
import { queryPoints, type RawPoint } from '../support/influx.js';
import { createTopics, groupFormed, toolingKafka } from '../support/kafka.js';
import { ReplicaSet, sleep } from '../support/replicas.js';
import { addBaselineFor, baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const env = { INFLUX_TOKEN: services.influx.token };
/** Which replica dies: printed, and LABELS_SEED=<n> replays the same choice. */
const SEED = Number(process.env.LABELS_SEED ?? Date.now() % 1_000_000);
const T0 = Date.parse('2026-01-05T00:00:00.000Z');
const MINUTE = 60_000;
/** Input, labels and join partitions alike: two replicas hold two of each. */
const PARTITIONS = 4;
/** Two models whose tallies go to different label-quality partitions: two writers' work. */
const MODELS = ['churn', 'gamma'] as const;
/** Predictions with an id: `p-0` … `p-239`, over 2 models × 2 one-minute windows. */
const PREDICTIONS = 240;
/** Labels of these ids reach the topic before any prediction. */
const EARLY = 60;

const modelOf = (i: number) => MODELS[i % 2] as string;
const minuteOf = (i: number) => (i < PREDICTIONS / 2 ? 0 : 1);
const predicted = (i: number) => (Math.floor(i / 2) % 2 === 0 ? 'yes' : 'no');
/** Every third label says the other class: the model is wrong there. */
const truth = (i: number) => (i % 3 === 0 ? (predicted(i) === 'yes' ? 'no' : 'yes') : predicted(i));
/** Every fifth prediction never gets a label (coverage below 1). */
const labelled = (i: number) => i % 5 !== 4;

const prediction = (i: number) =>
  JSON.stringify({
    model: modelOf(i),
    model_version: '1',
    timestamp: new Date(T0 + minuteOf(i) * MINUTE + i * 100).toISOString(),
    id: `p-${i}`,
    features: { a: (i % 7) / 7, b: (i % 5) / 5, country: 'DE' },
    prediction: predicted(i),
  });

const label = (id: string, value: string, i: number) =>
  JSON.stringify({ id, label: value, timestamp: T0 + 10 * MINUTE + i });

/** Window end and model of a point (`2026-…Z … model=churn …`). */
function windowOf(p: RawPoint): string {
  const model = / model=(\S+)/.exec(p.key)?.[1] ?? '?';
  return `${p.key.split(' ')[0] ?? '?'} ${model}`;
}

interface Quality {
  labelled: number;
  accuracy: number;
  label_coverage: number;
  unusable_labels: number;
}

/** What one uninterrupted daemon writes: per window and model, from the data sent. */
function expectedQuality(): Record<string, Quality> {
  const windows = new Map<string, { predicted: number; labelled: number; correct: number }>();
  for (let i = 0; i < PREDICTIONS; i++) {
    const end = new Date(T0 + (minuteOf(i) + 1) * MINUTE).toISOString().replace('.000Z', 'Z');
    const key = `${end} ${modelOf(i)}`;
    const w = windows.get(key) ?? { predicted: 0, labelled: 0, correct: 0 };
    w.predicted++;
    if (labelled(i)) {
      w.labelled++;
      if (truth(i) === predicted(i)) w.correct++;
    }
    windows.set(key, w);
  }
  const out: Record<string, Quality> = {};
  for (const [key, w] of [...windows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[key] = {
      labelled: w.labelled,
      accuracy: w.correct / w.labelled,
      label_coverage: w.labelled / w.predicted,
      unusable_labels: 0,
    };
  }
  return out;
}

/** The `quality_delayed` points InfluxDB holds now, as expectedQuality() lists them. */
async function storedQuality(measurement: string): Promise<Record<string, Quality>> {
  const points = await queryPoints(services.influx, measurement);
  const stored = points
    .filter((q) => q.key.includes(' method=quality_delayed '))
    .map((p): [string, Quality] => {
      const { labelled: n, accuracy, label_coverage, unusable_labels } = p.fields;
      return [
        windowOf(p),
        {
          labelled: n as number,
          accuracy: accuracy as number,
          label_coverage: label_coverage as number,
          unusable_labels: unusable_labels as number,
        },
      ];
    });
  // In expectedQuality()'s order (the points' keys sort by time, then by tags).
  return Object.fromEntries(stored.sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe(`delayed labels with replicas against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const names = uniqueNames('labels-replicas');
  const labelsTopic = `${names.topic}.labels`;
  const random = uniform53(SEED);
  let kafka: Kafka;
  let producer: Producer;
  let settings: DaemonSettings;

  /** Labels of the labelled ids in [from, to), spread over the labels topic's partitions. */
  const sendLabels = (from: number, to: number) => {
    const ids = Array.from({ length: to - from }, (_, k) => from + k).filter(labelled);
    return producer.send({
      topic: labelsTopic,
      messages: ids.map((i) => ({
        partition: i % PARTITIONS,
        value: label(`p-${i}`, truth(i), i),
      })),
    });
  };

  beforeAll(async () => {
    process.stderr.write(`[delayed-labels-replicas] LABELS_SEED=${SEED}\n`);
    expect(new Set(MODELS.map((m) => routeModel(m, PARTITIONS))).size).toBe(MODELS.length);
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    producer = kafka.producer();
    await producer.connect();
    await createTopics(kafka, [names.topic, names.deadLetterTopic, labelsTopic], PARTITIONS);
    const baselinesDir = baselineDirFor(
      { model: 'churn', modelVersion: '1', numericFeatures: ['a', 'b'], seed: 9 },
      2_000,
    );
    addBaselineFor(
      baselinesDir,
      { model: 'gamma', modelVersion: '1', numericFeatures: ['a', 'b'], seed: 10 },
      2_000,
    );
    settings = {
      ...names,
      baselinesDir,
      windowSize: '1m',
      idleTimeout: '5s',
      extra: { labels: { topic: labelsTopic, horizon: '2d', partitions: PARTITIONS } },
    };
  });

  afterAll(async () => {
    await Promise.all(admins.map((a) => a.disconnect()));
    await producer?.disconnect();
  });

  /** Polls until InfluxDB holds `expected` exactly; then checks it stays so a while. */
  async function settledQuality(
    expected: Record<string, Quality>,
  ): Promise<Record<string, Quality>> {
    const deadline = Date.now() + 240_000;
    let seen: Record<string, Quality> = {};
    while (Date.now() < deadline) {
      seen = await storedQuality(names.measurement);
      if (JSON.stringify(seen) === JSON.stringify(expected)) {
        // A label counted twice, or a stale tally rewritten, would show up after.
        await sleep(5_000);
        return storedQuality(names.measurement);
      }
      await sleep(1_000);
    }
    throw new Error(
      `the quality_delayed points did not reach an uninterrupted run's counts in 240 s;\n` +
        `expected ${JSON.stringify(expected, null, 1)}\nlast seen ${JSON.stringify(seen, null, 1)}`,
    );
  }

  it('two replicas share the join; a kill -9 and a newcomer mid-stream lose no label and count none twice', async () => {
    const set = new ReplicaSet(services, settings, env, random);
    onTestFailed(() => {
      process.stderr.write(`[delayed-labels-replicas] ${settings.groupId}\n${set.describe()}\n`);
    });
    try {
      const first = [await set.add(), await set.add()];
      await groupFormed(kafka, `${settings.groupId}.labels-join`, 2);
      await groupFormed(kafka, settings.groupId, 2);
      // Both replicas hold join partitions (4 over 2 members).
      for (const daemon of first) {
        await daemon.waitForLogs({ stage: 'labels-join', msg: 'joined consumer group' }, 1);
        const joins = daemon.logsWith({ stage: 'labels-join', msg: 'joined consumer group' });
        expect((joins.at(-1)?.assigned as number[]).length).toBeGreaterThan(0);
      }
      // Some labels come before their predictions…
      await sendLabels(0, EARLY);
      await producer.send({
        topic: names.topic,
        messages: Array.from({ length: PREDICTIONS }, (_, i) => ({
          partition: i % PARTITIONS,
          value: prediction(i),
        })),
      });
      // …the others after.
      await sendLabels(EARLY, 100);
      // Labels are being counted before anything happens to the replicas.
      const countingDeadline = Date.now() + 120_000;
      while (Object.keys(await storedQuality(names.measurement)).length === 0) {
        if (Date.now() > countingDeadline) throw new Error('no quality_delayed point in 120 s');
        await sleep(500);
      }
      // A replica dies while labels flow; the survivor takes its join and writer partitions.
      await sendLabels(100, 160);
      await set.killRandom();
      await sendLabels(160, 200);
      // A newcomer joins mid-stream: the rebalance moves join partitions to it.
      await set.add();
      await sendLabels(200, PREDICTIONS);
      // A second label for ids already sent and labels whose prediction never comes change
      // nothing.
      await sendLabels(60, 100);
      await producer.send({
        topic: labelsTopic,
        messages: Array.from({ length: 8 }, (_, k) => ({
          partition: k % PARTITIONS,
          value: label(`ghost-${k}`, 'yes', k),
        })),
      });
      const expected = expectedQuality();
      expect(Object.keys(expected)).toHaveLength(4);
      expect(await settledQuality(expected)).toEqual(expected);
      expect(set.crashed()).toEqual([]);
    } finally {
      await set.stopAll();
    }
  }, 480_000);

  const admins: Admin[] = [];

  /** A join stage of partition 0 of `group`'s labels-join topic, as a replica runs it. */
  async function joinStage(group: string): Promise<JoinStage> {
    const admin = kafka.admin();
    await admin.connect();
    admins.push(admin);
    const silent = () => undefined;
    return new JoinStage({
      kafka,
      admin,
      topic: `${group}.labels-join`,
      groupId: `${group}.labels-join`,
      txPrefix: `${group}.labels-join.tx`,
      step: 'join',
      metrics: new LabelMetrics(new Registry()),
      logger: { info: silent, warn: silent, error: silent } as never,
      seek: silent,
      isStopping: () => false,
      settings: { horizonMs: 2 * 86_400_000, maxPending: 1_000, windowMs: MINUTE },
      quality: { topic: `${group}.label-quality`, partitions: 1 },
    });
  }

  /** A batch of partition 0, as kafkajs hands it to the stage. */
  const batchOf = (topic: string, records: Array<[number, string, Buffer | null]>) =>
    ({
      batch: {
        topic,
        partition: 0,
        messages: records.map(
          ([offset, key, value]) =>
            ({ offset: String(offset), key: Buffer.from(key), value }) as KafkaMessage,
        ),
      },
      resolveOffset: () => undefined,
      heartbeat: () => Promise.resolve(),
    }) as unknown as EachBatchPayload;

  const joinPrediction = (id: string) =>
    encodePrediction({
      id,
      model: 'churn',
      modelVersion: '1',
      baselineHash: 'h',
      time: T0 + 1_000,
      windowStart: T0,
      windowEnd: T0 + MINUTE,
      predicted: 'yes',
      score: null,
      positive: undefined,
    });

  it("a join partition taken over while another replica's transaction on it is open still counts its previous owner's last labels", async () => {
    const group = uniqueNames('labels-takeover').groupId;
    const topic = `${group}.labels-join`;
    await createTopics(kafka, [topic, `${group}.label-quality`], 1);
    // Offsets 0 and 1: a prediction and its label, handed over by stage 1 and the re-key step.
    await producer.send({
      topic,
      messages: [
        { partition: 0, key: 'p|a', value: joinPrediction('a') },
        { partition: 0, key: 'l|a', value: encodeLabel('yes', T0 + 5 * MINUTE) },
      ],
    });
    const previous = await joinStage(group);
    previous.onGroupJoin([0]);
    await previous.handleBatch(batchOf(topic, []));
    // Offset 2: stage 1 of a replica that is then killed opens a transaction (left open).
    const killed = kafka.producer({
      transactionalId: `${group}.ingest.0`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await killed.connect();
    const open = await killed.transaction();
    await open.send({
      topic,
      messages: [{ partition: 0, key: 'p|z', value: joinPrediction('z') }],
    });
    // The previous owner of the join partition matches `a` and commits after that record.
    await previous.handleBatch(
      batchOf(topic, [
        [0, 'p|a', joinPrediction('a')],
        [1, 'l|a', encodeLabel('yes', T0 + 5 * MINUTE)],
      ]),
    );
    // A rebalance moves the partition; the new owner restores it while the transaction is open…
    const next = await joinStage(group);
    next.onGroupJoin([0]);
    const restored = next.handleBatch(batchOf(topic, []));
    await Promise.race([restored, sleep(3_000)]);
    // …until the killed replica's input partition gets its new owner, which aborts it.
    const successor = await PartitionTx.open(kafka, `${group}.ingest.0`);
    await restored;
    expect(next.pendingCounts()).toEqual({ predictions: 0, labels: 0 });
    // Its next tally of the window still counts `a`'s label (and `a` as predicted).
    await next.handleBatch(batchOf(topic, [[100, 'p|b', joinPrediction('b')]]));
    // Two tallies of the window: the previous owner's, then this one's (polled: a transaction's
    // markers are written after its commit returns).
    const values: Buffer[] = [];
    for (let tries = 0; values.length < 2 && tries < 60; tries++) {
      values.length = 0;
      await readTopicToEnd(kafka, admins[0] as Admin, `${group}.label-quality`, 'test', (_, m) => {
        // Tallies only: the join's clock records share the topic.
        const key: unknown = JSON.parse(m.key?.toString('utf8') ?? 'null');
        if (m.value && Array.isArray(key) && key.length === 5) values.push(Buffer.from(m.value));
      });
      if (values.length < 2) await sleep(500);
    }
    const last = values[1];
    if (last === undefined) throw new Error(`${values.length} tallies on the label-quality topic`);
    const tally = decodeTally(last);
    const [point] = delayedPoints(new Map([[0, tally]]));
    expect(tally.predicted).toBe(2);
    expect(point?.kind === 'model' ? point.ints.labelled : undefined).toBe(1);
    await Promise.all([previous.close(), next.close(), successor.close()]);
    await killed.disconnect().catch(() => undefined);
  }, 120_000);

  it("a replica taking a join partition over fences its previous owner: that one's next commit is refused", async () => {
    const group = uniqueNames('labels-fence').groupId;
    const topic = `${group}.labels-join`;
    await createTopics(kafka, [topic], 1);
    const previous = await PartitionTx.open(kafka, `${group}.labels-join.tx.0`);
    const next = await PartitionTx.open(kafka, `${group}.labels-join.tx.0`);
    const consumed = { groupId: `${group}.labels-join`, topic, partition: 0, offset: 0 };
    const sends = [{ topic, messages: [{ partition: 0, key: 'r|test', value: null }] }];
    await expect(previous.commit(sends, consumed)).rejects.toBeInstanceOf(PartitionTaken);
    await next.commit(sends, consumed);
    await Promise.all([previous.close(), next.close()]);
  }, 60_000);
});
