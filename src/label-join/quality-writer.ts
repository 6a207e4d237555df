import type { Admin, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { DELAYED, labelledPoints } from '../drift/quality-points.js';
import type { WindowPoint } from '../drift/window-points.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { SerialStage } from '../kafka/serial-stage.js';
import type { LabelMetrics } from '../label-metrics.js';
import type { Logger } from '../logger.js';
import { batchContext, type BatchContext } from '../shared/batch-context.js';
import { retryUntilSuccess } from '../shared/retry.js';
import { WindowQuality } from '../windows/window-quality.js';
import { decodeTally, type PartitionTally } from './tally-codec.js';

export interface QualityWriterDeps {
  kafka: Kafka;
  admin: Admin;
  /** `<groupId>.label-quality`, read by group `<groupId>.label-quality`. */
  topic: string;
  groupId: string;
  writePoints: (points: readonly WindowPoint[]) => Promise<void>;
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
  /** Window key → join partition → its latest tally. */
  private readonly windows = new Map<string, Map<number, PartitionTally>>();
  private readonly gates = new Map<number, ResumeGate>();

  constructor(deps: QualityWriterDeps) {
    super();
    this.deps = deps;
  }

  protected async join(assigned: readonly number[]): Promise<void> {
    const { deps } = this;
    this.windows.clear();
    this.gates.clear();
    const touched = new Set<string>();
    const context = batchContext(() => Promise.resolve(), deps.isStopping);
    const ends = await retryUntilSuccess(
      async () => {
        this.windows.clear();
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
    const parsed = parseKey(m.key?.toString('utf8'));
    if (parsed === undefined) return;
    const { window, j } = parsed;
    if (m.value === null) {
      // Retired past the horizon: its point stays as last written.
      this.windows.get(window)?.delete(j);
      if (this.windows.get(window)?.size === 0) this.windows.delete(window);
      touched.delete(window);
      return;
    }
    try {
      const tally = decodeTally(m.value);
      let byJ = this.windows.get(window);
      if (!byJ) this.windows.set(window, (byJ = new Map<number, PartitionTally>()));
      byJ.set(j, tally);
      touched.add(window);
    } catch (err) {
      this.deps.logger.error({ err, offset: m.offset }, 'unreadable label-quality tally skipped');
    }
  }

  private async write(touched: ReadonlySet<string>, context: BatchContext): Promise<void> {
    const points: WindowPoint[] = [];
    for (const key of touched) {
      const byJ = this.windows.get(key);
      if (byJ) points.push(...delayedPoints(byJ));
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

/** A window's points from every join partition's tally, merged in ascending partition order. */
export function delayedPoints(byJ: ReadonlyMap<number, PartitionTally>): WindowPoint[] {
  const quality = new WindowQuality();
  let predicted = 0;
  // The identity (its baseline is a tag) from the lowest join partition, not the first to arrive.
  let any: PartitionTally | undefined;
  for (const j of [...byJ.keys()].sort((a, b) => a - b)) {
    const t = byJ.get(j) as PartitionTally;
    quality.partitions.set(j, t.quality);
    predicted += t.predicted;
    any ??= t;
  }
  if (!any) return [];
  return labelledPoints(
    quality.combined(),
    predicted,
    {
      model: any.model,
      modelVersion: any.modelVersion,
      baselineHash: any.baselineHash,
      windowStart: any.start,
      windowEnd: any.end,
    },
    DELAYED,
  );
}

function parseKey(key: string | undefined): { window: string; j: number } | undefined {
  if (key === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts) || parts.length !== 5 || typeof parts[4] !== 'number') {
      return undefined;
    }
    return { window: JSON.stringify(parts.slice(0, 4)), j: parts[4] };
  } catch {
    return undefined;
  }
}
