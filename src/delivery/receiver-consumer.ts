import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { nextDelay } from './notifiers/backoff.js';
import type { AlertNotification } from '../../alert-engine/model.js';
import type { Notifier } from './notifiers/notifier.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { decodeEntry } from '../alerting/alert-log.js';
import { produceDeadLetter } from './dead-letter.js';
import { heartbeating, sleepHeartbeating } from '../kafka/heartbeat.js';
import type { ReceiverSettings } from './receivers.js';
import { ReceiverRestore } from './receiver-restore.js';

export interface ReceiverConsumerDeps {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  retry: { baseMs: number; capMs: number };
  metrics: DaemonMetrics;
  logger: Logger;
  /** The consumer crashed for good (kafkajs will not restart it): the daemon must stop. */
  onFatal: (err: unknown) => void;
  now?: () => number;
  /** How often to heartbeat while a delivery or a dead-letter produce is in progress. */
  heartbeatEveryMs?: number;
}

/** Delivered ids remembered per receiver, against duplicates within one run. */
const RECENT_IDS = 10_000;

/** What became of one alert-log record. */
type Outcome =
  /** Not for this receiver (state, another receiver's, unreadable, a duplicate). */
  | 'skipped'
  /** Delivered or dead-lettered: its offset is committed at once. */
  | 'handled'
  /** Stopping or rebalanced while retrying: not done, read again later. */
  | 'interrupted';

/**
 * One receiver's durable delivery: its own consumer group on the alert log, one notification
 * at a time, in order; the offset is committed only after delivery or dead-lettering. An
 * outage makes it wait and retry (full-jitter backoff, Retry-After honoured) until the
 * notification is older than max_age; a permanent refusal dead-letters at once; 410 disables
 * the endpoint (everything after it is dead-lettered, replayable, until a restart or reload).
 */
export class ReceiverConsumer {
  private readonly deps: ReceiverConsumerDeps;
  private notifier: Notifier;
  private settings: ReceiverSettings;
  private consumer: Consumer | undefined;
  private stopping = false;
  private disabled: string | undefined;
  private readonly recent = new Set<string>();
  private readonly now: () => number;
  private wake: (() => void) | undefined;
  private readonly restore: ReceiverRestore;

  constructor(deps: ReceiverConsumerDeps, notifier: Notifier, settings: ReceiverSettings) {
    this.deps = deps;
    this.notifier = notifier;
    this.settings = settings;
    this.now = deps.now ?? Date.now;
    this.restore = new ReceiverRestore(deps, this.groupId, settings.name, () => this.notifier);
  }

  get name(): string {
    return this.settings.name;
  }

  get digest(): string {
    return this.settings.digest;
  }

  /** A reload re-enables a receiver a 410 disabled: the operator says the endpoint is back. */
  enable(): void {
    if (this.disabled === undefined) return;
    this.disabled = undefined;
    this.deps.metrics.receiverDisabled.set({ receiver: this.name }, 0);
    this.deps.logger.info({ receiver: this.name }, 'receiver re-enabled by a rules reload');
  }

  /** A reload changed the receiver: new settings from the next attempt on. */
  replace(notifier: Notifier, settings: ReceiverSettings): void {
    const old = this.notifier;
    this.notifier = notifier;
    this.settings = settings;
    this.disabled = undefined;
    this.deps.metrics.receiverDisabled.set({ receiver: this.name }, 0);
    this.restore.rebuild();
    void old.close();
  }

  private get groupId(): string {
    return `${this.deps.groupId}.receiver.${this.settings.name}`;
  }

  private async hasMembers(): Promise<boolean> {
    const { groups } = await this.deps.admin.describeGroups([this.groupId]);
    return (groups[0]?.members.length ?? 0) > 0;
  }

  async start(): Promise<void> {
    const { kafka, admin, topic, logger } = this.deps;
    // A new receiver starts at the end of the log (not with every past notification): its
    // position is committed before it first joins, so nothing produced meanwhile is skipped.
    const hasCommit = async () => {
      const committed = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
      return committed[0]?.partitions.some((p) => Number(p.offset) >= 0) ?? false;
    };
    if (!(await hasCommit())) {
      const ends = await admin.fetchTopicOffsets(topic);
      try {
        await admin.setOffsets({
          groupId: this.groupId,
          topic,
          partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
        });
      } catch (err) {
        // Replicas starting together: another one joined between our read and our write
        // (Kafka refuses offsets for a group with members). The group's position — set by
        // that replica, or the log's start for a log still empty then — stands; a failure
        // with nobody else in the group is a real one.
        if (!(await hasCommit()) && !(await this.hasMembers())) throw err;
        logger.debug(
          { err, receiver: this.name },
          'receiver start position set by another replica',
        );
      }
    }
    const consumer = (this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      retry: { retries: 8 },
    }));
    consumer.on(consumer.events.CRASH, (e) => {
      logger.error(
        { err: e.payload.error, receiver: this.name, restart: e.payload.restart },
        'receiver consumer crashed',
      );
      // Not restarted by kafkajs: this receiver would silently stop delivering.
      if (!e.payload.restart && !this.stopping) this.deps.onFatal(e.payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.restore.joined(e.payload.memberAssignment[topic] ?? []);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    logger.info({ receiver: this.name, type: this.notifier.type }, 'receiver delivering');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.consumer?.disconnect();
    await this.notifier.close();
  }

  /**
   * Most records are not for this receiver (state records, other receivers'): they are
   * resolved and committed once, at the end of the batch; a delivery or dead letter is
   * committed right after it.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    let committed: number | undefined;
    let next: number | undefined;
    const commit = async (offset: number) => {
      await payload.commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: String(offset) }],
          },
        ],
      });
      committed = offset;
    };
    let complete = true;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.stopping) {
        complete = false;
        break;
      }
      // What the notifier rebuilds from the log (partitions just gained, or a new notifier
      // after a reload) comes before anything newer.
      await this.heartbeating(payload, this.restore.ready());
      const outcome = await this.handle(message, payload);
      if (outcome === 'interrupted') {
        complete = false;
        break;
      }
      payload.resolveOffset(message.offset);
      next = Number(message.offset) + 1;
      if (outcome === 'handled') await commit(next);
    }
    // Every message done: past the batch's last offset, which covers a trailing transaction
    // marker or aborted records (no messages of their own).
    if (complete && batch.messages.length > 0) next = Number(batch.lastOffset()) + 1;
    if (next !== undefined && next !== committed) await commit(next);
  }

  /** What became of the record (see Outcome). */
  private async handle(message: KafkaMessage, payload: EachBatchPayload): Promise<Outcome> {
    const { logger, metrics } = this.deps;
    let entry;
    try {
      entry = decodeEntry(message.value);
    } catch (err) {
      metrics.notificationsUnreadable.inc({ receiver: this.name });
      logger.error(
        { err, receiver: this.name, offset: message.offset },
        'unreadable alert-log record skipped by the receiver',
      );
      return 'skipped';
    }
    if (entry?.type !== 'notification') return 'skipped';
    const n = entry.notification;
    if (!n.receivers.includes(this.name)) return 'skipped';
    if (!entry.replay && this.recent.has(n.id)) return 'skipped';
    if (this.disabled) {
      await this.deadLetter(message, n, this.disabled, 0, payload);
      return 'handled';
    }
    const firstTried = this.now();
    // When the notification was written to the alert log (a replay is a new record: it starts
    // afresh); without a usable timestamp, the first attempt.
    const producedAt = Number(message.timestamp);
    const queuedAt = Number.isFinite(producedAt) ? producedAt : firstTried;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.heartbeating(
        payload,
        this.notifier.deliver(n, attempt, { partition: payload.batch.partition }),
      );
      if (outcome.kind === 'delivered') {
        this.remember(n.id);
        metrics.notificationsDelivered.inc({ receiver: this.name, kind: n.kind });
        metrics.notificationDeliveryLatency.observe(
          { receiver: this.name },
          Math.max(0, this.now() - queuedAt) / 1000,
        );
        logger.info(
          { receiver: this.name, id: n.id, kind: n.kind, attempt, detail: outcome.detail },
          'notification delivered',
        );
        return 'handled';
      }
      if (outcome.kind === 'permanent') {
        if (outcome.disable) {
          this.disabled = `endpoint disabled after 410 Gone: ${outcome.error}`;
          metrics.receiverDisabled.set({ receiver: this.name }, 1);
          logger.error(
            { receiver: this.name, error: outcome.error },
            'receiver answered 410 Gone: disabled until restart or rules reload; its notifications go to the dead-letter topic',
          );
        }
        await this.deadLetter(message, n, outcome.error, attempt, payload);
        return 'handled';
      }
      metrics.notificationFailures.inc({ receiver: this.name });
      const age = this.now() - queuedAt;
      if (age >= this.settings.maxAgeMs) {
        await this.deadLetter(
          message,
          n,
          `gave up after ${attempt} attempts over max_age: ${outcome.error}`,
          attempt,
          payload,
        );
        return 'handled';
      }
      const delay = nextDelay(attempt, outcome.retryAfterMs, this.deps.retry);
      logger.warn(
        {
          receiver: this.name,
          id: n.id,
          attempt,
          retryInMs: Math.round(delay),
          error: outcome.error,
        },
        'notification delivery failed; retrying',
      );
      if (!(await this.sleep(delay, payload))) return 'interrupted';
    }
  }

  /** Awaits `work` while heartbeating (see `heartbeating`). */
  private heartbeating<T>(payload: EachBatchPayload, work: Promise<T>): Promise<T> {
    return heartbeating(payload, work, this.deps.heartbeatEveryMs ?? 3_000);
  }

  /** Waits, heartbeating; false when stopping or the group rebalanced (redelivered later). */
  private sleep(ms: number, payload: EachBatchPayload): Promise<boolean> {
    return sleepHeartbeating(ms, payload, {
      now: this.now,
      isStopping: () => this.stopping,
      setWake: (wake) => {
        this.wake = wake;
      },
    });
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  private async deadLetter(
    message: KafkaMessage,
    n: AlertNotification,
    reason: string,
    attempts: number,
    payload: EachBatchPayload,
  ): Promise<void> {
    await this.heartbeating(
      payload,
      produceDeadLetter(
        this.deps,
        {
          receiver: this.name,
          message,
          partition: payload.batch.partition,
          notification: n,
          reason,
          attempts,
        },
        () => this.stopping,
      ),
    );
  }
}
