import type { KafkaMessage } from 'kafkajs';
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
const { encodePrediction } = await import('../../src/labels/join-records.js');
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

function stage() {
  const logger = { info: () => undefined, error: () => undefined, warn: () => undefined };
  return new JoinStage({
    kafka: {} as never,
    admin: {} as never,
    topic: 'g.labels-join',
    groupId: 'g.labels-join',
    txPrefix: 'g.labels-join.tx',
    step: 'join',
    metrics: new LabelMetrics(new Registry()),
    logger: logger as never,
    seek: () => undefined,
    isStopping: () => false,
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
