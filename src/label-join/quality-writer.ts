import type { Admin, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { WindowPoint } from '../drift/window-points.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { SerialStage } from '../kafka/serial-stage.js';
import type { LabelMetrics } from '../label-metrics.js';
import type { Logger } from '../logger.js';
import { batchContext, type BatchContext } from '../shared/batch-context.js';
import { retryUntilSuccess } from '../shared/retry.js';
import { DelayedTallies } from './delayed-tallies.js';

export interface QualityWriterDeps {
  kafka: Kafka;
  admin: Admin;
  /** `<groupId>.label-quality`, read by group `<groupId>.label-quality`. */
  topic: string;
  groupId: string;
  writePoints: (points: readonly WindowPoint[]) => Promise<void>;
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
 * again (idempotent), then follows.
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
          (_, m) => this.apply(m, touched),
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
    await this.write(
      touched,
      batchContext(() => Promise.resolve(), deps.isStopping),
    );
  }

  protected async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const gate = this.gates.get(batch.partition);
    if (!gate) return;
    const first = gate.firstUsableIndex(payload, this.deps.seek, this.deps.logger);
    if (first === undefined) return;
    const touched = new Set<string>();
    for (const m of batch.messages.slice(first)) this.apply(m, touched);
    await this.write(
      touched,
      batchContext(() => payload.heartbeat(), this.deps.isStopping),
    );
    const last = batch.messages.at(-1);
    if (last) payload.resolveOffset(last.offset);
  }

  private apply(m: KafkaMessage, touched: Set<string>): void {
    try {
      const window = this.tallies.apply(m.key?.toString('utf8'), m.value);
      if (window !== undefined) touched.add(window);
    } catch (err) {
      this.deps.logger.error({ err, offset: m.offset }, 'unreadable label-quality tally skipped');
    }
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
