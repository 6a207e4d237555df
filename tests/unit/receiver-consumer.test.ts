import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryOutcome, Notifier } from '../../src/delivery/notifiers/notifier.js';
import { notificationMessage } from '../../src/alerting/alert-log.js';
import { ReceiverConsumer } from '../../src/delivery/receiver-consumer.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { sampleNotification } from '../support/notifications.js';

const TOPIC = 'g.alerts';

/** A ReceiverConsumer for receiver "hook" on kafkajs doubles; eachBatch and CRASH captured. */
async function harness(
  opts: {
    deliver?: () => Promise<DeliveryOutcome>;
    sendDeadLetter?: () => Promise<void>;
    admin?: Partial<Admin>;
    now?: () => number;
  } = {},
) {
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const crashListeners: ((e: { payload: { error: Error; restart: boolean } }) => void)[] = [];
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: (typeof crashListeners)[number]) => {
      if (event === 'consumer.crash') crashListeners.push(listener);
    },
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (config: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  const admin = opts.admin ?? {
    fetchOffsets: () =>
      Promise.resolve([{ topic: TOPIC, partitions: [{ partition: 0, offset: '0' }] }]),
  };
  const deadLetters: unknown[] = [];
  const producer = {
    send: async (record: unknown) => {
      await opts.sendDeadLetter?.();
      deadLetters.push(record);
      return [];
    },
  };
  const delivered: string[] = [];
  const notifier: Notifier = {
    name: 'hook',
    type: 'webhook',
    deliver: async (n) => {
      const outcome = (await opts.deliver?.()) ?? { kind: 'delivered', detail: '200' };
      if (outcome.kind === 'delivered') delivered.push(n.id);
      return outcome;
    },
    close: () => Promise.resolve(),
  };
  const fatal: unknown[] = [];
  const metrics = new DaemonMetrics(false);
  const receiver = new ReceiverConsumer(
    {
      kafka: { consumer: () => consumer } as unknown as Kafka,
      admin: admin as unknown as Admin,
      producer: producer as unknown as Producer,
      groupId: 'g',
      topic: TOPIC,
      deadLetterTopic: `${TOPIC}.dlq`,
      retry: { baseMs: 1, capMs: 1 },
      metrics,
      logger: pino({ level: 'silent' }),
      onFatal: (err) => fatal.push(err),
      heartbeatEveryMs: 5,
      ...(opts.now ? { now: opts.now } : {}),
    },
    notifier,
    { name: 'hook', maxAgeMs: 86_400_000, digest: 'd' },
  );
  await receiver.start();
  if (!eachBatch) throw new Error('the consumer was not run');
  const crash = (error: Error, restart: boolean) => {
    for (const l of crashListeners) l({ payload: { error, restart } });
  };
  return { receiver, eachBatch, crash, fatal, delivered, deadLetters, metrics };
}

function record(offset: number, value: string): KafkaMessage {
  return {
    offset: String(offset),
    key: null,
    value: Buffer.from(value),
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  };
}

const state = (offset: number) =>
  record(offset, JSON.stringify({ v: 1, type: 'state', value: { some: 'state' } }));
const notification = (offset: number, id: string, receivers: string[]) =>
  record(offset, String(notificationMessage(sampleNotification({ id, receivers })).value));

/** A batch payload double recording commits and heartbeats. */
function payload(messages: KafkaMessage[], lastOffset: number, partition = 0) {
  const commits: string[] = [];
  /** `partition:offset` of every commit. */
  const positions: string[] = [];
  const calls = { heartbeats: 0 };
  const p = {
    batch: { topic: TOPIC, partition, messages, lastOffset: () => String(lastOffset) },
    resolveOffset: () => undefined,
    commitOffsetsIfNecessary: (offsets: {
      topics: { partitions: { partition: number; offset: string }[] }[];
    }) => {
      const at = offsets.topics[0]?.partitions[0];
      commits.push(at?.offset ?? '?');
      positions.push(`${at?.partition ?? '?'}:${at?.offset ?? '?'}`);
      return Promise.resolve();
    },
    heartbeat: () => {
      calls.heartbeats++;
      return Promise.resolve();
    },
    isRunning: () => true,
    isStale: () => false,
  };
  return { payload: p as unknown as EachBatchPayload, commits, positions, calls };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('ReceiverConsumer', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('commits after each delivery and once at the end of the batch, not per skipped record', async () => {
    const h = await harness();
    stop = () => h.receiver.stop();
    const messages = [
      state(10),
      state(11),
      notification(12, 'n1', ['hook']),
      state(13),
      state(14),
      notification(15, 'n2', ['mail']),
      state(16),
    ];
    // Offset 17: a transaction marker (no message of its own) ends the batch.
    const p = payload(messages, 17);
    await h.eachBatch(p.payload);
    expect(h.delivered).toEqual(['n1']);
    expect(p.commits).toEqual(['13', '18']);
  });

  it('observes delivery latency per receiver: from the alert-log record to the accepting answer, retries included', async () => {
    const written = 1_700_000_000_000;
    let clock = written;
    let attempts = 0;
    const h = await harness({
      now: () => clock,
      // The first attempt fails 10 s after the record was written, the retry succeeds at 42 s.
      deliver: () => {
        attempts++;
        clock = written + (attempts === 1 ? 10_000 : 42_000);
        return Promise.resolve(
          attempts === 1
            ? { kind: 'retry' as const, error: 'HTTP 503' }
            : { kind: 'delivered' as const, detail: '200' },
        );
      },
    });
    stop = () => h.receiver.stop();
    const message = { ...notification(3, 'n1', ['hook']), timestamp: String(written) };
    const batch = payload([message], 3).payload;
    // The back-off sleep heartbeats while it waits: time passes on the fake clock there.
    batch.heartbeat = () => {
      clock += 1_000;
      return Promise.resolve();
    };
    await h.eachBatch(batch);
    expect(h.delivered).toEqual(['n1']);
    const metric = await h.metrics.notificationDeliveryLatency.get();
    const value = (name: string) =>
      metric.values.find((v) => v.metricName === name && v.labels.receiver === 'hook')?.value;
    expect(value('driftwatch_notification_delivery_seconds_count')).toBe(1);
    expect(value('driftwatch_notification_delivery_seconds_sum')).toBe(42);
  });

  it('a batch of nothing for this receiver commits once', async () => {
    const h = await harness();
    stop = () => h.receiver.stop();
    const p = payload([state(0), state(1), notification(2, 'n3', ['mail']), state(3)], 3);
    await h.eachBatch(p.payload);
    expect(p.commits).toEqual(['4']);
  });

  it('heartbeats while a slow delivery and a slow dead-letter produce are in progress', async () => {
    const slow = await harness({
      deliver: async () => {
        await delay(60);
        return { kind: 'delivered', detail: '200' };
      },
    });
    stop = () => slow.receiver.stop();
    const p = payload([notification(0, 'n4', ['hook'])], 0);
    await slow.eachBatch(p.payload);
    expect(p.calls.heartbeats).toBeGreaterThanOrEqual(3);
    await slow.receiver.stop();

    const refused = await harness({
      deliver: () => Promise.resolve({ kind: 'permanent', error: 'HTTP 400' }),
      sendDeadLetter: () => delay(60),
    });
    stop = () => refused.receiver.stop();
    const q = payload([notification(0, 'n5', ['hook'])], 0);
    await refused.eachBatch(q.payload);
    expect(refused.deadLetters).toHaveLength(1);
    expect(q.calls.heartbeats).toBeGreaterThanOrEqual(3);
    expect(q.commits).toEqual(['1']);
  });

  it('batches of several alert-log partitions: each commits its own; a dead letter names where it came from', async () => {
    let refuse = false;
    const h = await harness({
      deliver: () =>
        Promise.resolve(
          refuse ? { kind: 'permanent', error: 'HTTP 400' } : { kind: 'delivered', detail: '200' },
        ),
    });
    stop = () => h.receiver.stop();
    const p0 = payload([notification(0, 'n6', ['hook']), state(1)], 1, 0);
    const p2 = payload([state(0), notification(1, 'n7', ['hook'])], 1, 2);
    await h.eachBatch(p0.payload);
    await h.eachBatch(p2.payload);
    expect(h.delivered).toEqual(['n6', 'n7']);
    expect([...p0.positions, ...p2.positions]).toEqual(['0:1', '0:2', '2:2']);
    refuse = true;
    await h.eachBatch(payload([notification(5, 'n8', ['hook'])], 5, 2).payload);
    const headers = (h.deadLetters[0] as { messages: { headers: Record<string, string> }[] })
      .messages[0]?.headers;
    expect(headers?.['driftwatch-source-partition']).toBe('2');
    expect(headers?.['driftwatch-source-offset']).toBe('5');
  });

  it('a new receiver group another replica started meanwhile keeps that position; other failures stop the start', async () => {
    const offsets = (offset: string) => [{ topic: TOPIC, partitions: [{ partition: 0, offset }] }];
    const racing = (committedAfterRace: boolean, members = 0) => {
      let reads = 0;
      return {
        fetchOffsets: () =>
          Promise.resolve(offsets(reads++ === 0 || !committedAfterRace ? '-1' : '7')),
        describeGroups: () =>
          Promise.resolve({ groups: [{ members: Array.from({ length: members }, () => ({})) }] }),
        fetchTopicOffsets: () =>
          Promise.resolve([{ partition: 0, offset: '9', high: '9', low: '0' }]),
        setOffsets: () =>
          Promise.reject(new Error('The consumer group must have no running instances')),
      } as unknown as Partial<Admin>;
    };
    await expect(harness({ admin: racing(true) })).resolves.toBeDefined();
    // Joined without a commit (the log was empty when it started): its position stands too.
    await expect(harness({ admin: racing(false, 1) })).resolves.toBeDefined();
    await expect(harness({ admin: racing(false) })).rejects.toThrow('no running instances');
  });

  it('a crash kafkajs does not restart is fatal; a restarting one or one while stopping is not', async () => {
    const h = await harness();
    const boom = new Error('boom');
    h.crash(new Error('retriable'), true);
    expect(h.fatal).toEqual([]);
    h.crash(boom, false);
    expect(h.fatal).toEqual([boom]);
    await h.receiver.stop();
    h.crash(new Error('while stopping'), false);
    expect(h.fatal).toEqual([boom]);
  });
});
