import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { WindowPoint } from '../drift/window-points.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { SerialStage } from '../kafka/serial-stage.js';
import type { LabelMetrics } from '../label-metrics.js';
import type { Logger } from '../logger.js';
import { batchContext, type BatchContext } from '../shared/batch-context.js';
import { retryUntilSuccess } from '../shared/retry.js';
import { DelayedTallies } from './delayed-tallies.js';
import { encodeSettledQuality } from '../partials/codec.js';
import { chunkBySize, DEAD_LETTER_CHUNK_BYTES } from '../kafka/dead-letter.js';
import { routeModel } from '../partials/route.js';
import { encodeTime, settledKey } from './tally-codec.js';

export interface QualityWriterDeps {
  kafka: Kafka;
  admin: Admin;
  /** `<groupId>.label-quality`, read by group `<groupId>.label-quality`. */
  topic: string;
  groupId: string;
  writePoints: (points: readonly WindowPoint[]) => Promise<void>;
  /** Hands settled windows to stage 2 (the partials topic) and writes the settled marks. */
  producer: Producer;
  /** The partials topic and its partition count (a model's: routeModel). */
  partials: { topic: string; partitions: number };
  /** `labels.partitions`: every join partition's clock must pass a window to settle it. */
  joinPartitions: number;
  /** `labels.settleAfter`: how long after its end a window's delayed quality settles. */
  settleAfterMs: number;
  /** How long after the newest window end a window's tallies are kept (the topic's retention). */
  keepMs: number;
  metrics: LabelMetrics;
  logger: Logger;
  seek: (partition: number, offset: number) => void;
  isStopping: () => boolean;
}

/**
 * Writes the delayed quality of a window to InfluxDB: keeps the latest tally of every (window,
 * join partition) of its partitions of `<groupId>.label-quality`, merges a window's tallies in
 * ascending join-partition order (the same float sums whatever order they arrived in) and
 * rewrites the window's points whenever a tally changes (same measurement, tags and time:
 * the point is updated). After a join it reads its partitions whole and writes every window
 * again (idempotent), then follows. Once every join partition's clock passed a window's end +
 * settleAfter, the window's quality is handed once to the alert rules of its model (settle).
 */
export class QualityWriter extends SerialStage {
  private readonly deps: QualityWriterDeps;
  private readonly tallies: DelayedTallies;
  private readonly gates = new Map<number, ResumeGate>();

  constructor(deps: QualityWriterDeps) {
    super();
    this.deps = deps;
    this.tallies = new DelayedTallies(deps.keepMs);
  }

  protected async join(assigned: readonly number[]): Promise<void> {
    const { deps } = this;
    this.tallies.clear();
    this.gates.clear();
    const touched = new Set<string>();
    const context = batchContext(() => Promise.resolve(), deps.isStopping);
    const ends = await retryUntilSuccess(
      async () => {
        this.tallies.clear();
        touched.clear();
        const ends = await deps.admin.fetchTopicOffsets(deps.topic);
        await readTopicToEnd(
          deps.kafka,
          deps.admin,
          deps.topic,
          `${deps.groupId}-restore`,
          (q, m) => this.apply(q, m, touched),
          assigned,
        );
        return ends;
      },
      {
        what: 'restoring the delayed-quality tallies',
        context,
        onFailure: (err, attempt, retryInMs) => {
          deps.metrics.failures.inc({ step: 'write' });
          deps.logger.warn({ err, attempt, retryInMs }, 'restoring failed; retrying');
        },
      },
    );
    for (const p of assigned) {
      const high = ends.find((e) => e.partition === p)?.high ?? '0';
      this.gates.set(p, new ResumeGate(Number(high)));
    }
    await this.write(touched, context);
    for (const q of assigned) await this.settle(q, context);
  }

  protected async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const gate = this.gates.get(batch.partition);
    if (!gate) return;
    const first = gate.firstUsableIndex(payload, this.deps.seek, this.deps.logger);
    if (first === undefined) return;
    const touched = new Set<string>();
    for (const m of batch.messages.slice(first)) this.apply(batch.partition, m, touched);
    const context = batchContext(() => payload.heartbeat(), this.deps.isStopping);
    await this.write(touched, context);
    await this.settle(batch.partition, context);
    const last = batch.messages.at(-1);
    if (last) payload.resolveOffset(last.offset);
  }

  private apply(q: number, m: KafkaMessage, touched: Set<string>): void {
    try {
      const window = this.tallies.apply(q, m.key?.toString('utf8'), m.value);
      if (window !== undefined) touched.add(window);
    } catch (err) {
      this.deps.logger.error({ err, offset: m.offset }, 'unreadable label-quality tally skipped');
    }
  }

  /**
   * Hands partition q's newly settled windows to the alert rules: each to the partials
   * partition of its model, in window order, then the settled mark on q. At least once: a crash
   * in between hands them again after the restore, and the alert engine skips a window it
   * already evaluated.
   */
  private async settle(q: number, context: BatchContext): Promise<void> {
    const { deps } = this;
    const settlement = this.tallies.settle(q, deps.joinPartitions, deps.settleAfterMs);
    if (!settlement) return;
    const messages = settlement.windows.map((w) => ({
      partition: routeModel(w.identity.model, deps.partials.partitions),
      key: w.identity.model,
      value: encodeSettledQuality(w),
    }));
    await retryUntilSuccess(
      async () => {
        // In order, in chunks: a backlog of settled windows (a first start over existing
        // tallies, catching up after an outage) would exceed the broker's batch size.
        for (const chunk of chunkBySize(messages, DEAD_LETTER_CHUNK_BYTES)) {
          await deps.producer.send({ topic: deps.partials.topic, acks: -1, messages: chunk });
        }
        await deps.producer.send({
          topic: deps.topic,
          acks: -1,
          messages: [{ partition: q, key: settledKey(q), value: encodeTime(settlement.upTo) }],
        });
      },
      {
        what: 'handing settled delayed quality to the alert rules',
        context,
        onFailure: (err, attempt, retryInMs) => {
          deps.metrics.failures.inc({ step: 'write' });
          if (attempt === 1) {
            deps.logger.error({ err, retryInMs, partition: q }, 'settling failed; retrying');
          }
        },
      },
    );
    this.tallies.noteSettled(q, settlement.upTo);
    deps.metrics.settledWindows.inc(messages.length);
  }

  private async write(touched: ReadonlySet<string>, context: BatchContext): Promise<void> {
    const points: WindowPoint[] = [];
    for (const key of touched) {
      points.push(...this.tallies.pointsOf(key));
    }
    if (points.length === 0) return;
    const { deps } = this;
    await retryUntilSuccess(() => deps.writePoints(points), {
      what: 'writing delayed quality to InfluxDB',
      context,
      onFailure: (err, attempt, retryInMs) => {
        deps.metrics.failures.inc({ step: 'write' });
        if (attempt === 1) {
          deps.logger.error({ err, retryInMs }, 'writing delayed quality failed; retrying');
        }
      },
    });
    deps.metrics.qualityPoints.inc(points.length);
  }
}
