import type { EachBatchPayload, Message } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BaselineStore } from '../../src/baseline/store.js';
import { chunkBySize } from '../../src/daemon/dead-letter.js';
import { Pipeline } from '../../src/daemon/pipeline.js';
import { LogLimiter } from '../../src/log-limiter.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, type WindowPoint } from '../../src/windows/evaluate.js';
import { Windower } from '../../src/windows/windower.js';
import { fraudBaseline, storeOf } from '../support/baselines.js';

const store = storeOf(
  fraudBaseline({ x: { kind: 'categorical', proportions: { a: 1 }, count: 2, missing: 0 } }),
);

function event(timestamp: number): string {
  return JSON.stringify({ model: 'fraud', model_version: '3', timestamp, features: { x: 'a' } });
}

/** A kafkajs batch payload double that records what the pipeline asks of Kafka. */
function payload(
  values: string[],
  opts: { runningFor?: number; firstOffset?: number; fetchedOffset?: number } = {},
) {
  const commits: unknown[] = [];
  const heartbeats: number[] = [];
  let checks = 0;
  const messages = values.map((v, i) => ({
    offset: String(i + (opts.firstOffset ?? 0)),
    value: Buffer.from(v),
    key: null,
    headers: {},
    timestamp: '0',
    attributes: 0,
  }));
  const p = {
    batch: {
      fetchedOffset: String(opts.fetchedOffset ?? opts.firstOffset ?? 0),
      topic: 't',
      partition: 0,
      highWatermark: String(values.length + (opts.firstOffset ?? 0)),
      messages,
      offsetLag: () => '0',
    },
    resolveOffset: () => undefined,
    heartbeat: () => (heartbeats.push(checks), Promise.resolve()),
    isRunning: () => checks++ < (opts.runningFor ?? Infinity),
    isStale: () => false,
    commitOffsetsIfNecessary: (offsets: unknown) => {
      commits.push(offsets);
      return Promise.resolve();
    },
  } as unknown as EachBatchPayload;
  return { p, commits, heartbeats };
}

function pipeline(
  written: WindowPoint[][],
  deadLetters: Message[][],
  group: {
    resumeAt?: Map<number, number>;
    uncommitted?: Set<number>;
    seeks?: [number, number][];
    now?: () => number;
    idleTimeoutMs?: number;
    logEnds?: Map<number, number>;
    partitions?: number[];
    tickCommits?: unknown[];
    baselines?: BaselineStore;
    metrics?: DaemonMetrics;
  } = {},
) {
  const pipeline = new Pipeline({
    windower: new Windower(60_000, 0, group.baselines ?? store, group.idleTimeoutMs, 60_000),
    drift: { ...DEFAULT_WINDOW_DRIFT_SETTINGS, minSamples: 1 },
    maxFutureSkewMs: 600_000,
    metrics: group.metrics ?? new DaemonMetrics(false),
    logger: pino({ level: 'silent' }),
    writeResults: (r) => (written.push([...r]), Promise.resolve()),
    sendDeadLetters: (m) => (deadLetters.push(m), Promise.resolve()),
    fetchGroupState: () =>
      Promise.resolve({
        watermark: undefined,
        resumeAt: group.resumeAt ?? new Map<number, number>(),
        uncommitted: group.uncommitted ?? new Set<number>(),
        positions: new Map((group.partitions ?? [0]).map((p) => [p, { readTo: 0, end: 0 }])),
        partitions: group.partitions ?? [0],
      }),
    seek: (partition, offset) => void group.seeks?.push([partition, offset]),
    topic: 't',
    readLogEnds: () => Promise.resolve(group.logEnds ?? new Map([[0, 0]])),
    commitOffsets: (topic, partitions) => (
      group.tickCommits?.push({ topic, partitions }),
      Promise.resolve()
    ),
    ...(group.now ? { now: group.now } : {}),
    isStopping: () => false,
  });
  pipeline.onGroupJoin(group.partitions ?? [0]);
  return pipeline;
}

describe('pipeline', () => {
  it('writes closed windows, dead-letters garbage, then commits the first offset an open window holds, with the watermark', async () => {
    const written: WindowPoint[][] = [];
    const dead: Message[][] = [];
    const { p, commits } = payload([event(0), 'garbage', event(1_000), event(60_000)]);
    await pipeline(written, dead).handleBatch(p);
    expect(written).toHaveLength(1);
    expect(written[0]?.[0]).toMatchObject({ feature: 'x', n: 2, windowEnd: 60_000 });
    expect(dead[0]?.map((m) => m.headers?.['driftwatch-error-code'])).toEqual(['NOT_JSON']);
    expect(commits).toEqual([
      {
        topics: [
          { topic: 't', partitions: [{ partition: 0, offset: '3', metadata: 'dw1:60000' }] },
        ],
      },
    ]);
  });

  it('still commits the batch in hand while the consumer is stopping (SIGTERM)', async () => {
    const { p, commits } = payload([event(0), event(60_000), event(61_000)], { runningFor: 2 });
    await pipeline([], []).handleBatch(p);
    // Only the first two messages were processed; the commit must not be skipped.
    expect(commits).toEqual([
      {
        topics: [
          { topic: 't', partitions: [{ partition: 0, offset: '1', metadata: 'dw1:60000' }] },
        ],
      },
    ]);
  });
});

describe('pipeline without input', () => {
  it('asks for heartbeats inside a long batch, so processing it never outlasts the session', async () => {
    const { p, heartbeats } = payload(Array.from({ length: 2_000 }, (_, i) => event(i)));
    await pipeline([], []).handleBatch(p);
    expect(heartbeats.filter((at) => at <= 2_000).length).toBeGreaterThanOrEqual(3);
  });

  it('closes windows and commits on the idle timer once the silent partition shows nothing to read', async () => {
    let now = 100_000;
    const written: WindowPoint[][] = [];
    const tickCommits: { partitions: { offset: string; metadata: string }[] }[] = [];
    const pipe = pipeline(written, [], {
      now: () => now,
      idleTimeoutMs: 5_000,
      partitions: [0, 1],
      logEnds: new Map([
        [0, 4],
        [1, 0],
      ]),
      tickCommits,
    });
    // Partition 1 never receives anything: window [0, 60 s) waits for it until it is idle.
    await pipe.handleBatch(payload([event(0), event(30_000), event(59_000), event(61_000)]).p);
    expect(written).toHaveLength(0);
    now = 102_000;
    await pipe.tick();
    expect(written).toHaveLength(0); // quiet for 2 s only
    now = 106_000;
    await pipe.tick();
    expect(written).toHaveLength(1);
    expect(tickCommits.map((c) => c.partitions.map((p) => [p.offset, p.metadata]))).toEqual([
      [['3', 'dw1:61000']],
    ]);
  });

  it('takes a future-stamped last event once the wall clock passes it, on the timer', async () => {
    let now = 60_000;
    const written: WindowPoint[][] = [];
    const pipe = pipeline(written, [], { now: () => now, tickCommits: [] });
    await pipe.handleBatch(payload([event(0), event(30_000), event(59_000), event(61_000)]).p);
    expect(written).toHaveLength(0);
    now = 61_000;
    await pipe.tick();
    expect(written).toHaveLength(1);
  });
});

describe('pipeline metrics', () => {
  it('labels series metrics with the baseline, so made-up versions (fallback newest) add no label sets', async () => {
    const baseline = store.get('fraud', '3');
    // baselines.fallback: newest — every version of "fraud" borrows the one baseline.
    const newest = {
      get: store.get.bind(store),
      resolve: (model: string) => (model === 'fraud' ? baseline : undefined),
      generation: 0,
      rejectsUnknown: false,
    } as unknown as BaselineStore;
    const metrics = new DaemonMetrics(false);
    const pipe = pipeline([], [], { baselines: newest, metrics });
    const at = (timestamp: number, version: string) =>
      JSON.stringify({ model: 'fraud', model_version: version, timestamp, features: { x: 'a' } });
    const versions = Array.from({ length: 200 }, (_, i) => `made-up-${i}`);
    await pipe.handleBatch(payload([...versions.map((v) => at(0, v)), at(60_000, '3')]).p);
    // Late: their window was emitted (again at most 100 versions borrow the baseline at once).
    await pipe.handleBatch(
      payload(
        versions.map((v) => at(1_000, v)),
        { firstOffset: 201 },
      ).p,
    );
    const text = await metrics.registry.metrics();
    const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    expect(series('driftwatch_windows_emitted_total')).toEqual([
      'driftwatch_windows_emitted_total{model="fraud",model_version="3"} 100',
    ]);
    expect(series('driftwatch_events_late_total')).toEqual([
      'driftwatch_events_late_total{model="fraud",model_version="3"} 100',
    ]);
  });
});

describe('pipeline after a group join', () => {
  it('seeks back once when kafkajs fetched past the resume offset, and processes nothing', async () => {
    const seeks: [number, number][] = [];
    const written: WindowPoint[][] = [];
    const pipe = pipeline(written, [], { resumeAt: new Map([[0, 2]]), seeks });
    const { p, commits } = payload([event(0), event(60_000)], { firstOffset: 5 });
    await pipe.handleBatch(p);
    expect(seeks).toEqual([[0, 2]]);
    expect(written).toHaveLength(0);
    expect(commits).toHaveLength(0);
    // Never a loop: the next batch is taken as it comes.
    await pipe.handleBatch(payload([event(0), event(60_000)], { firstOffset: 5 }).p);
    expect(seeks).toHaveLength(1);
    expect(written).toHaveLength(1);
  });

  it('accepts a batch fetched from the resume offset that starts later (transaction marker)', async () => {
    const seeks: [number, number][] = [];
    const written: WindowPoint[][] = [];
    const { p } = payload([event(0), event(60_000)], { firstOffset: 6, fetchedOffset: 5 });
    await pipeline(written, [], { resumeAt: new Map([[0, 5]]), seeks }).handleBatch(p);
    expect(seeks).toHaveLength(0);
    expect(written).toHaveLength(1);
  });

  it('skips messages before the resume offset (already committed)', async () => {
    const written: WindowPoint[][] = [];
    const { p } = payload([event(0), event(1_000), event(2_000), event(60_000)]);
    await pipeline(written, [], { resumeAt: new Map([[0, 2]]) }).handleBatch(p);
    expect(written[0]?.[0]?.n).toBe(1); // only offset 2 counted in the first window
  });

  it('commits the start of partitions that have no commit yet, so a restart resumes there', async () => {
    const pipe = pipeline([], [], {
      resumeAt: new Map([
        [0, 0],
        [1, 3],
      ]),
      uncommitted: new Set([0, 1]),
    });
    pipe.onGroupJoin([0, 1]);
    const { p, commits } = payload([event(0)]);
    await pipe.handleBatch(p);
    const partitions = (
      commits[0] as { topics: { partitions: { partition: number; offset: string }[] }[] }
    ).topics[0]?.partitions;
    expect(partitions?.map(({ partition, offset }) => [partition, offset])).toEqual([
      [0, '0'],
      [1, '3'],
    ]);
  });

  it('ignores a batch of a partition this member no longer holds', async () => {
    const written: WindowPoint[][] = [];
    const { p, commits } = payload([event(0), event(60_000)]);
    (p.batch as { partition: number }).partition = 7;
    await pipeline(written, []).handleBatch(p);
    expect(written).toHaveLength(0);
    expect(commits).toHaveLength(0);
  });
});

describe('log limiter', () => {
  it('logs the first N per interval and reports how many it held back', () => {
    let now = 0;
    const limiter = new LogLimiter(2, 1_000, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take().log)).toEqual([true, true, false, false]);
    now = 1_000;
    expect(limiter.take()).toEqual({ log: true, suppressedBefore: 2 });
  });
});

describe('dead-letter chunks', () => {
  it('stay under the byte budget, keep order, and let one oversized message through alone', () => {
    const m = (bytes: number) => ({ value: 'x'.repeat(bytes) });
    const chunks = chunkBySize([m(300), m(300), m(300), m(2_000), m(10)], 800);
    expect(chunks.map((c) => c.map((x) => x.value?.length))).toEqual([
      [300, 300],
      [300],
      [2_000],
      [10],
    ]);
  });
});
