import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { settleAfterOf, type Config } from '../config/schema.js';
import type { WindowPoint } from '../drift/window-points.js';
import { JoinStage } from '../label-join/join-stage.js';
import { QualityWriter } from '../label-join/quality-writer.js';
import { RekeyStage } from '../label-join/rekey-stage.js';
import {
  ensureLabelTopics,
  joinGroupFor,
  labelsGroupFor,
  writerGroupFor,
  labelTopicRetentionMs,
} from '../label-join/topics.js';
import type { TxStageDeps } from '../label-join/tx-stage.js';
import { predictionConsumerOptions } from '../kafka/consumer-options.js';
import { isRebalanceError } from '../kafka/failures.js';
import { LabelMetrics } from '../label-metrics.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { StoppedWhileRetrying } from '../shared/retry.js';

/** Measured by `npm run bench:labels` (a UUID id): the pending_bytes gauge's estimate. */
const BYTES_PER_PENDING = 132;

export interface DelayedLabelsDeps {
  config: Config & { labels: NonNullable<Config['labels']> };
  kafka: Kafka;
  /** The partials topic's partition count: the label-quality topic's (routed by model). */
  partialsPartitions: number;
  /** The partials topic: settled delayed quality goes there, to its model's alert rules. */
  partialsTopic: string;
  writePoints: (points: readonly WindowPoint[]) => Promise<void>;
  metrics: DaemonMetrics;
  logger: Logger;
  isStopping: () => boolean;
  /** A step failed for good: the daemon stops (a restart resumes from what Kafka committed). */
  onFatal: (err: unknown) => void;
}

type Step = 'rekey' | 'join' | 'writer';

/**
 * Delayed labels (README "Model quality (delayed labels)"): three consumer groups beside the
 * two stages — the re-key step (labels.topic → `<groupId>.labels-join`), the join (one
 * partition of it at a time) and the quality writer (`<groupId>.label-quality` → InfluxDB).
 * Lifecycle: `start` (topics created, consumers joined and running) → `stop` (consumers
 * disconnected after the batch in hand, producers closed).
 */
export class DelayedLabels {
  readonly joined: Record<Step, boolean> = { rekey: false, join: false, writer: false };
  private readonly consumers: Array<[Step, Consumer]> = [];
  private readonly stages: Array<{ close(): Promise<void> }> = [];
  private pendingTimer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private producer: Producer | undefined;

  /** The join topic's name and partitions (stage 1 hands predictions to it). */
  static async topics(
    config: DelayedLabelsDeps['config'],
    admin: Admin,
    partialsPartitions: number,
  ) {
    const joinPartitions = config.labels.partitions ?? partialsPartitions;
    const topics = await ensureLabelTopics(
      admin,
      config.kafka.groupId,
      { join: joinPartitions, quality: partialsPartitions },
      config.labels.horizon,
    );
    return { ...topics, joinPartitions };
  }

  static async start(deps: DelayedLabelsDeps): Promise<DelayedLabels> {
    const labels = new DelayedLabels();
    await labels.run(deps);
    return labels;
  }

  private async run(deps: DelayedLabelsDeps): Promise<void> {
    const { config, kafka, logger } = deps;
    const groupId = config.kafka.groupId;
    // An admin client of its own: kafkajs' fetchTopicOffsets, called concurrently for another
    // topic on a shared client, can find no partitions for a new topic (and throw a TypeError)
    // in the stages' restores, which are not all retried.
    const admin = (this.admin = kafka.admin());
    await admin.connect();
    const topics = await DelayedLabels.topics(config, admin, deps.partialsPartitions);
    const metrics = new LabelMetrics(deps.metrics.registry);
    const consumer = (step: Step, group: string) => {
      const c = kafka.consumer({ ...predictionConsumerOptions(config.kafka), groupId: group });
      this.consumers.push([step, c]);
      return c;
    };
    const rekeyConsumer = consumer('rekey', labelsGroupFor(groupId));
    const joinConsumer = consumer('join', joinGroupFor(groupId));
    const writerConsumer = consumer('writer', writerGroupFor(groupId));
    const common = (topic: string, group: string, step: 'rekey' | 'join', c: Consumer) =>
      ({
        kafka,
        admin,
        topic,
        groupId: group,
        txPrefix: `${group}.tx`,
        step,
        metrics,
        logger: logger.child({ stage: `labels-${step}` }),
        seek: (partition: number, offset: number) =>
          c.seek({ topic, partition, offset: String(offset) }),
        isStopping: deps.isStopping,
      }) satisfies TxStageDeps;
    const rekey = new RekeyStage({
      ...common(config.labels.topic, labelsGroupFor(groupId), 'rekey', rekeyConsumer),
      join: { topic: topics.join, partitions: topics.joinPartitions },
      maxFutureSkewMs: config.windows.maxFutureSkew,
    });
    const join = new JoinStage({
      ...common(topics.join, joinGroupFor(groupId), 'join', joinConsumer),
      settings: {
        horizonMs: config.labels.horizon,
        maxPending: config.labels.maxPending,
        windowMs: config.windows.size,
      },
      quality: { topic: topics.quality, partitions: deps.partialsPartitions },
    });
    // The writer's own: settled windows and marks are plain sends (at least once; the alert
    // engine skips a window it evaluated).
    const producer = (this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
    }));
    await producer.connect();
    const writer = new QualityWriter({
      kafka,
      admin,
      topic: topics.quality,
      groupId: writerGroupFor(groupId),
      writePoints: deps.writePoints,
      producer,
      partials: { topic: deps.partialsTopic, partitions: deps.partialsPartitions },
      joinPartitions: topics.joinPartitions,
      settleAfterMs: settleAfterOf(config.labels),
      keepMs: labelTopicRetentionMs(config.labels.horizon),
      metrics,
      logger: logger.child({ stage: 'labels-writer' }),
      seek: (partition, offset) =>
        writerConsumer.seek({ topic: topics.quality, partition, offset: String(offset) }),
      isStopping: deps.isStopping,
    });
    this.stages.push(rekey, join);
    const wiring: Array<[Step, Consumer, string, RekeyStage | JoinStage | QualityWriter]> = [
      ['rekey', rekeyConsumer, config.labels.topic, rekey],
      ['join', joinConsumer, topics.join, join],
      ['writer', writerConsumer, topics.quality, writer],
    ];
    for (const [step, c, topic, stage] of wiring) {
      c.on(c.events.GROUP_JOIN, (e) => {
        const assigned = e.payload.memberAssignment[topic] ?? [];
        this.joined[step] = true;
        stage.onGroupJoin(assigned);
        logger.info({ stage: `labels-${step}`, assigned }, 'joined consumer group');
      });
      c.on(c.events.CRASH, (e) => {
        if (!deps.isStopping()) deps.onFatal(e.payload.error);
      });
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({
        autoCommit: step === 'writer',
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload: EachBatchPayload) => {
          try {
            await stage.handleBatch(payload);
          } catch (err) {
            if (isRebalanceError(err)) throw err;
            if (err instanceof StoppedWhileRetrying) return;
            logger.error({ err, stage: `labels-${step}` }, 'delayed-labels step failed');
            deps.onFatal(err);
          }
        },
      });
    }
    this.pendingTimer = setInterval(() => {
      const { predictions, labels } = join.pendingCounts();
      metrics.pending.set({ kind: 'prediction' }, predictions);
      metrics.pending.set({ kind: 'label' }, labels);
      metrics.pendingBytes.set(predictions * BYTES_PER_PENDING);
    }, 5_000);
    logger.info(
      { labels: config.labels.topic, join: topics.join, quality: topics.quality },
      'delayed labels on',
    );
  }

  /** Consumers first (the batch in hand finishes), then the stages' producers. */
  async stop(): Promise<void> {
    clearInterval(this.pendingTimer);
    for (const [, c] of this.consumers) await c.disconnect().catch(() => undefined);
    for (const s of this.stages) await s.close().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
