import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { LabelJoin } from '../../src/labels/label-join.js';

/** The partition's records, as readTopicToEnd would hand them (offset order). */
let records: Array<{ key: string; value: Buffer | null }> = [];
vi.mock('../../src/kafka/read-to-end.js', () => ({
  readTopicToEnd: (
    _kafka: unknown,
    _admin: unknown,
    _topic: string,
    _group: string,
    onMessage: (partition: number, m: KafkaMessage) => void,
  ) => {
    records.forEach((r, offset) =>
      onMessage(0, {
        key: Buffer.from(r.key),
        value: r.value,
        offset: String(offset),
      } as KafkaMessage),
    );
    return Promise.resolve();
  },
}));

const { JoinStage } = await import('../../src/label-join/join-stage.js');
const { RekeyStage } = await import('../../src/label-join/rekey-stage.js');
const { encodeLabel, encodePrediction, labelKey } =
  await import('../../src/labels/join-records.js');
const { LabelMetrics } = await import('../../src/label-metrics.js');
const { Registry } = await import('prom-client');

const settings = { horizonMs: 3_600_000, maxPending: 100, windowMs: 60_000 };
const prediction = (id: string) =>
  encodePrediction({
    id,
    model: 'm',
    modelVersion: '1',
    baselineHash: 'h',
    time: 1_000,
    windowStart: 0,
    windowEnd: 60_000,
    predicted: 'yes',
    score: null,
    positive: undefined,
  });

/** Kafka and metrics a test gives a step (Kafka none: never reached). */
type TxIo = { kafka?: unknown; admin?: unknown; metrics?: InstanceType<typeof LabelMetrics> };
/** The deps every delayed-labels step takes. */
function txDeps(topic: string, step: 'rekey' | 'join', io: TxIo = {}) {
  const logger = { info: () => undefined, error: () => undefined, warn: () => undefined };
  return {
    kafka: (io.kafka ?? {}) as never,
    admin: (io.admin ?? {}) as never,
    topic,
    groupId: topic,
    txPrefix: `${topic}.tx`,
    step,
    metrics: io.metrics ?? new LabelMetrics(new Registry()),
    logger: logger as never,
    seek: () => undefined,
    isStopping: () => false,
  };
}

function stage(io: TxIo = {}) {
  return new JoinStage({
    ...txDeps('g.labels-join', 'join', io),
    settings,
    quality: { topic: 'g.label-quality', partitions: 1 },
  });
}

type Assigned = Map<number, { resumeAt: number; metadata: string | null }>;
/** The stage's (protected) restore. */
const restoring = (s: object) => {
  const r = s as { restore(a: Assigned): Promise<Map<number, LabelJoin>> };
  return (a: Assigned) => r.restore(a);
};

describe('restoring a join partition', () => {
  it('a prediction redelivered past the committed offset is still a duplicate after the restore', async () => {
    // p|a read and committed (offset 0 < resumeAt 2); the producer's retry sent it again (3).
    records = [
      { key: 'p|a', value: prediction('a') },
      { key: 'p|b', value: prediction('b') },
      { key: 'p|a', value: prediction('a') },
    ];
    const joins = await restoring(stage())(new Map([[0, { resumeAt: 2, metadata: null }]]));
    const join = joins.get(0);
    // As the uninterrupted join holds it: 'a' waits (so the record at 3 is a duplicate).
    expect([...(join?.predictions.ids() ?? [])].sort()).toEqual(['a', 'b']);
  });

  it('a tombstone drops what it shadows', async () => {
    records = [
      { key: 'p|a', value: prediction('a') },
      { key: 'p|a', value: null },
      { key: 'p|b', value: prediction('b') },
    ];
    const joins = await restoring(stage())(new Map([[0, { resumeAt: 3, metadata: null }]]));
    expect([...(joins.get(0)?.predictions.ids() ?? [])]).toEqual(['b']);
  });
});

/**
 * A broker whose transactions fail as told: `fence` makes the next commit find its producer
 * fenced (another member took the partition over), as a rebalance in the middle of it does.
 */
function fakeKafka() {
  // Per topic, the offsets written so far (the restore's marker among them).
  const broker = { fence: false, committed: 0, ends: new Map<string, number>() };
  const kafka = {
    producer: () => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      transaction: () => {
        // Only a batch's transaction (it commits an offset) is fenced, not the restore's marker.
        let offsets = false;
        return Promise.resolve({
          send: ({ topic, messages }: { topic: string; messages: unknown[] }) => {
            const baseOffset = broker.ends.get(topic) ?? 0;
            broker.ends.set(topic, baseOffset + messages.length);
            return Promise.resolve([{ partition: 0, baseOffset: String(baseOffset) }]);
          },
          sendOffsets: () => {
            offsets = true;
            return Promise.resolve();
          },
          abort: () => Promise.resolve(),
          commit: () => {
            if (broker.fence && offsets) {
              broker.fence = false;
              return Promise.reject(
                Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }),
              );
            }
            if (offsets) broker.committed++;
            return Promise.resolve();
          },
        });
      },
    }),
    // A restore's read: everything written is compacted away (the test hands batches itself).
    consumer: () => {
      let onEnd: (e: { payload: { partition: number; lastOffset: string } }) => void = () =>
        undefined;
      let topic = '';
      return {
        events: { END_BATCH_PROCESS: 'end' },
        on: (_: string, handler: typeof onEnd) => (onEnd = handler),
        connect: () => Promise.resolve(),
        subscribe: (s: { topic: string }) => {
          topic = s.topic;
          return Promise.resolve();
        },
        run: () => {
          onEnd({
            payload: { partition: 0, lastOffset: String((broker.ends.get(topic) ?? 0) - 1) },
          });
          return Promise.resolve();
        },
        disconnect: () => Promise.resolve(),
      };
    },
  };
  const admin = {
    fetchOffsets: () => Promise.resolve([{ topic: 't', partitions: [] }]),
    fetchTopicOffsets: (topic: string) =>
      Promise.resolve([{ partition: 0, low: '0', high: String(broker.ends.get(topic) ?? 0) }]),
    deleteGroups: () => Promise.resolve(),
  };
  return { broker, kafka, admin };
}

const batch = (topic: string, records: Array<{ key: string; value: Buffer }>) =>
  ({
    batch: {
      topic,
      partition: 0,
      messages: records.map(
        (r, offset) =>
          ({ key: Buffer.from(r.key), value: r.value, offset: String(offset) }) as KafkaMessage,
      ),
    },
    heartbeat: () => Promise.resolve(),
    resolveOffset: () => undefined,
    isRunning: () => true,
    isStale: () => false,
  }) as unknown as EachBatchPayload;

const counter = async (c: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
  (await c.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('delayed-labels metrics count committed batches only', () => {
  it('a join batch whose transaction was fenced, replayed after the rejoin, counts its match once', async () => {
    const { broker, kafka, admin } = fakeKafka();
    const metrics = new LabelMetrics(new Registry());
    const join = stage({ kafka, admin, metrics });
    const records = [
      { key: 'p|a', value: prediction('a') },
      { key: labelKey('a'), value: encodeLabel('yes', 2_000) },
      { key: 'p|b', value: Buffer.from('not a prediction') },
    ];

    join.onGroupJoin([0]);
    broker.fence = true;
    await join.handleBatch(batch('g.labels-join', records));
    expect(broker.committed).toBe(0);
    expect(await counter(metrics.matched)).toBe(0);
    expect(await counter(metrics.invalid)).toBe(0);

    // The rebalance hands the partition back: restored from what committed, the batch replays.
    join.onGroupJoin([0]);
    await join.handleBatch(batch('g.labels-join', records));
    expect(broker.committed).toBe(1);
    expect(await counter(metrics.matched)).toBe(1);
    expect(await counter(metrics.invalid)).toBe(1);
    await join.close();
  });

  it('a re-key batch whose transaction was fenced, replayed, counts its labels once', async () => {
    const { broker, kafka, admin } = fakeKafka();
    const common = txDeps('labels', 'rekey', { kafka, admin });
    const { metrics } = common;
    const rekey = new RekeyStage({
      ...common,
      join: { topic: 'g.labels-join', partitions: 1 },
      maxFutureSkewMs: 0,
      now: () => 10_000,
    });
    const records = [
      { key: 'k', value: Buffer.from('{"id":"a","label":"yes","timestamp":2000}') },
      { key: 'k', value: Buffer.from('not json') },
    ];

    rekey.onGroupJoin([0]);
    broker.fence = true;
    await rekey.handleBatch(batch('labels', records));
    expect(await counter(metrics.read)).toBe(0);
    expect(await counter(metrics.invalid)).toBe(0);

    rekey.onGroupJoin([0]);
    await rekey.handleBatch(batch('labels', records));
    expect(broker.committed).toBe(1);
    expect(await counter(metrics.read)).toBe(1);
    expect(await counter(metrics.invalid)).toBe(1);
    await rekey.close();
  });
});
