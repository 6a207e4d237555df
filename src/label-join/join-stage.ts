import type { KafkaMessage, Message } from 'kafkajs';
import {
  decodeLabel,
  decodePrediction,
  RESTORE_MARKER_KEY,
  splitKey,
  type JoinRecordKind,
} from '../labels/join-records.js';
import { JoinChanges, LabelJoin, tallyKey, type JoinSettings } from '../labels/label-join.js';
import { routeModel } from '../partials/route.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { clockKey, decodeTally, encodeTally, encodeTime, qualityKey } from './tally-codec.js';
import { StoppedWhileRetrying } from '../shared/retry.js';
import type { PartitionTx } from './partition-tx.js';
import { TxPartitionStage, type TxOutput, type TxStageDeps } from './tx-stage.js';

export interface JoinStageDeps extends TxStageDeps {
  settings: JoinSettings;
  /** `<groupId>.label-quality` and its partition count (a model's tallies: routeModel). */
  quality: { topic: string; partitions: number };
}

/** The join's clock, committed with its offset. */
const CLOCK = 'dwj:';
const encodeClock = (clock: number) => `${CLOCK}${Number.isFinite(clock) ? clock : '-'}`;
function decodeClock(metadata: string | null): number {
  const value = metadata?.startsWith(CLOCK) ? Number(metadata.slice(CLOCK.length)) : NaN;
  return Number.isFinite(value) ? value : -Infinity;
}

interface Survivor {
  kind: JoinRecordKind;
  rest: string;
  offset: number;
  value: Buffer | null;
}

/**
 * The join stage: one LabelJoin per partition of `<groupId>.labels-join`. On assignment it reads
 * the partition whole (compacted: the survivors are what still waits and this partition's
 * tallies; the latest record of a key wins): predictions and labels before the committed
 * offset wait again, the records after it are read as new. Each batch's tombstones and changed
 * tallies (on this partition, and on `<groupId>.label-quality` for the writer) commit with the
 * offset and the clock in one transaction: a label counts once, however often the join restarts.
 */
export class JoinStage extends TxPartitionStage<LabelJoin> {
  private readonly joinDeps: JoinStageDeps;

  constructor(deps: JoinStageDeps) {
    super(deps);
    this.joinDeps = deps;
  }

  /** Predictions and labels waiting on this replica's partitions. */
  pendingCounts(): { predictions: number; labels: number } {
    let predictions = 0;
    let labels = 0;
    for (const p of this.parts.values()) {
      predictions += p.state.predictions.size;
      labels += p.state.labels.size;
    }
    return { predictions, labels };
  }

  /**
   * The restore reads up to the last stable offset, which a transaction still open holds back
   * (below its first record). The join topic has other transactional writers: stage 1 and the
   * re-key step. One of their transactions left open — a killed replica's, until its id is
   * taken over or it times out — can hold it before the previous owner's last commits, whose
   * tallies and tombstones the read would then miss: labels counted there lost, pairs matched
   * there waiting again. A marker committed now lies after every one of those commits (taking
   * the id over completed them): the restore waits until the last stable offset passes it.
   */
  protected override async beforeRestore(
    txs: ReadonlyMap<number, PartitionTx>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const { deps } = this;
    const markers = await Promise.all(
      [...txs].map(async ([p, tx]): Promise<[number, number]> => [
        p,
        await tx.mark(deps.topic, p, RESTORE_MARKER_KEY),
      ]),
    );
    const since = Date.now();
    let warned = false;
    for (;;) {
      const ends = await deps.admin.fetchTopicOffsets(deps.topic);
      const stable = new Map(ends.map((e) => [e.partition, Number(e.high)]));
      const waiting = markers.filter(([p, at]) => (stable.get(p) ?? 0) <= at).map(([p]) => p);
      if (waiting.length === 0) return;
      if (deps.isStopping()) {
        throw new StoppedWhileRetrying('waiting for open transactions', undefined);
      }
      if (!warned && Date.now() - since > 5_000) {
        warned = true;
        deps.logger.warn(
          { partitions: waiting },
          "restoring waits for transactions still open on these labels-join partitions (a stopped replica's, until taken over or timed out)",
        );
      }
      await heartbeat();
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  protected async restore(
    assigned: ReadonlyMap<number, { resumeAt: number; metadata: string | null }>,
  ): Promise<Map<number, LabelJoin>> {
    const { deps } = this;
    const survivors = new Map<number, Map<string, Survivor>>();
    for (const p of assigned.keys()) survivors.set(p, new Map());
    await readTopicToEnd(
      deps.kafka,
      deps.admin,
      deps.topic,
      `${deps.groupId}-restore`,
      (partition, m) => {
        const byKey = survivors.get(partition);
        const key = m.key?.toString('utf8');
        const split = key === undefined ? undefined : splitKey(key);
        if (byKey === undefined || key === undefined || split === undefined) return;
        const offset = Number(m.offset);
        if (m.value === null) {
          // A tombstone: what it shadows is gone (kept, the map would hold every id matched,
          // expired or evicted since the last compaction).
          byKey.delete(key);
          return;
        }
        // A prediction or label past the committed offset is read again as new: it must not
        // shadow the one before it that waits (a redelivered prediction is then a duplicate, as
        // in an uninterrupted run).
        if (split.kind !== 't' && offset >= (assigned.get(partition)?.resumeAt ?? 0)) return;
        // A copy: kafkajs' value is a view of its whole fetch response, kept alive by it.
        byKey.set(key, { ...split, offset, value: Buffer.from(m.value) });
      },
      [...assigned.keys()],
    );
    const joins = new Map<number, LabelJoin>();
    for (const [p, start] of assigned) {
      const join = new LabelJoin(this.joinDeps.settings);
      join.restoreClock(decodeClock(start.metadata));
      const records = [...(survivors.get(p)?.values() ?? [])].sort((a, b) => a.offset - b.offset);
      for (const r of records) {
        if (r.value === null) continue;
        if (r.kind === 't') {
          try {
            join.restoreTally(decodeTally(r.value));
          } catch (err) {
            deps.logger.error({ err, partition: p, offset: r.offset }, 'unreadable tally skipped');
          }
        } else if (r.offset < start.resumeAt && r.kind === 'p') {
          const prediction = decodePrediction(r.rest, r.value);
          if (prediction) join.restorePrediction(prediction);
        } else if (r.offset < start.resumeAt && r.kind === 'l') {
          const label = decodeLabel(r.value);
          if (label) join.restoreLabel(r.rest, label.label, label.time);
        }
      }
      joins.set(p, join);
      deps.logger.info(
        {
          partition: p,
          predictions: join.predictions.size,
          labels: join.labels.size,
          tallies: join.tallies.size,
        },
        'label join restored',
      );
    }
    return joins;
  }

  protected transform(
    join: LabelJoin,
    messages: readonly KafkaMessage[],
    partition: number,
  ): TxOutput | undefined {
    const changes = new JoinChanges();
    const invalid: string[] = [];
    let inputs = 0;
    for (const m of messages) {
      // Tombstones and tallies are this stage's own writes (applied when they were made).
      if (m.value === null || m.key === null) continue;
      const split = splitKey(m.key.toString('utf8'));
      if (split?.kind === 'p') {
        const p = decodePrediction(split.rest, m.value);
        if (p) join.prediction(p, changes);
        else invalid.push(this.unreadable(partition, m, 'prediction'));
        inputs++;
      } else if (split?.kind === 'l') {
        const label = decodeLabel(m.value);
        if (label) join.label(split.rest, label.label, label.time, changes);
        else invalid.push(this.unreadable(partition, m, 'label'));
        inputs++;
      }
    }
    if (inputs === 0) return undefined;
    join.expire(changes);
    return {
      sends: this.records(changes, partition),
      metadata: encodeClock(join.clock),
      committed: () => this.count(changes, invalid),
    };
  }

  /** A record of the join topic only driftwatch writes that does not decode: logged; its reason. */
  private unreadable(partition: number, m: KafkaMessage, kind: 'prediction' | 'label'): string {
    this.deps.logger.error(
      { partition, offset: m.offset, kind },
      'unreadable record on the labels-join topic skipped (written by another release?)',
    );
    return `unreadable_${kind}_record`;
  }

  private records(changes: JoinChanges, j: number): TxOutput['sends'] {
    const { quality } = this.joinDeps;
    const own: Message[] = changes.removed.map((key) => ({ partition: j, key, value: null }));
    const out: Message[] = [];
    for (const t of changes.tallies.values()) {
      const tally = { ...t, joinPartition: j };
      const value = encodeTally(tally);
      own.push({ partition: j, key: tallyKey(t), value });
      out.push({
        partition: routeModel(t.model, quality.partitions),
        key: qualityKey(tally),
        value,
      });
    }
    // A retired tally leaves this partition's own state; its last record on the label-quality
    // topic stays until retention removes it, since the window's point is merged from every join
    // partition's tally: a tombstone there would let a later change of another partition rewrite
    // the point without this one's labels.
    for (const t of changes.retired) own.push({ partition: j, key: tallyKey(t), value: null });
    // After this step's tallies on every partition (the writer reads them in that order): once
    // the clock passed a window's end + horizon, this partition's tally of it is final.
    if (changes.clockMark !== undefined) {
      const value = encodeTime(changes.clockMark);
      for (let q = 0; q < quality.partitions; q++) {
        out.push({ partition: q, key: clockKey(j), value });
      }
    }
    return [
      { topic: this.deps.topic, messages: own },
      { topic: quality.topic, messages: out },
    ];
  }

  /** A committed batch's counts (see TxOutput.committed). */
  private count(changes: JoinChanges, invalid: readonly string[]): void {
    const { metrics } = this.deps;
    for (const reason of invalid) metrics.invalid.inc({ reason });
    const c = changes.counts;
    metrics.matched.inc(c.matched);
    metrics.duplicatePredictions.inc(c.duplicatePredictions);
    metrics.expired.inc({ kind: 'prediction' }, c.expiredPredictions);
    metrics.expired.inc({ kind: 'label' }, c.expiredLabels);
    metrics.evicted.inc({ kind: 'prediction' }, c.evictedPredictions);
    metrics.evicted.inc({ kind: 'label' }, c.evictedLabels);
  }
}
