import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { SilenceSet, type Silence } from '../../alert-engine/silence.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { applySilenceRecord, readSilences } from './silences-topic.js';

export interface SilenceFeedDeps {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Called with every silence (all of them, each holding within its own time range). */
  onChange: (silences: SilenceSet) => void;
}

type FeedState = 'idle' | 'following' | 'stopped';

/**
 * This replica's copy of the silences topic: read whole at start-up (before any alert
 * partition evaluates), then followed by a consumer of this replica's own group (every replica
 * reads every silence). Silences written here (the HTTP API) apply at once, not only when read
 * back.
 */
export class SilenceFeed {
  private readonly deps: SilenceFeedDeps;
  private readonly silences = new Map<string, Silence>();
  private consumer: Consumer | undefined;
  private readonly groupId = `driftwatch-silences-${randomUUID()}`;
  private state: FeedState = 'idle';

  constructor(deps: SilenceFeedDeps) {
    this.deps = deps;
  }

  /** Every silence now: the engines' set. */
  get set(): SilenceSet {
    return new SilenceSet([...this.silences.values()]);
  }

  list(): Silence[] {
    return [...this.silences.values()];
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id);
  }

  async start(): Promise<void> {
    const { kafka, admin, topic } = this.deps;
    // Where the follower starts: records appended during the read below are read again, which
    // changes nothing (the newest record per id wins).
    const ends = await admin.fetchTopicOffsets(topic);
    const read = await readSilences(kafka, admin, topic);
    for (const [id, s] of read.silences) this.silences.set(id, s);
    this.countUnreadable(read.unreadable);
    this.changed();
    const consumer = (this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
    }));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer on retriable errors; until then silences do not change.
      this.deps.metrics.silenceFailures.inc();
      this.deps.logger.error(
        { err: payload.error, topic, restart: payload.restart },
        'the silences consumer crashed; silences stay as last read until it is back',
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        this.countUnreadable(applySilenceRecord(this.silences, message) === 'unreadable' ? 1 : 0);
        this.changed();
        return Promise.resolve();
      },
    });
    for (const p of ends) consumer.seek({ topic, partition: p.partition, offset: p.high });
    this.state = 'following';
  }

  /** A silence this replica just wrote to the topic: in force here without waiting for it. */
  apply(s: Silence): void {
    this.silences.set(s.id, s);
    this.changed();
  }

  /** Silences this replica just tombstoned: gone here without waiting to read them back. */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.silences.delete(id);
    this.changed();
  }

  /** Silences in effect at wall-clock `now`, for the gauge. */
  updateGauge(now: number): void {
    this.deps.metrics.silencesActive.set(this.set.activeAt(now));
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasFollowing = this.state === 'following';
    this.state = 'stopped';
    await this.consumer?.disconnect();
    if (wasFollowing) await this.deps.admin.deleteGroups([this.groupId]).catch(() => undefined);
  }

  private changed(): void {
    this.deps.onChange(this.set);
    this.updateGauge(Date.now());
  }

  private countUnreadable(n: number): void {
    if (n === 0) return;
    this.deps.metrics.silenceFailures.inc(n);
    this.deps.logger.error(
      { topic: this.deps.topic, records: n },
      'unreadable silence records skipped (written by a newer driftwatch?)',
    );
  }
}
