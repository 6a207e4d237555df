import type { EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import type { BaselineStore } from '../baseline/store.js';
import { SerialStage } from '../kafka/serial-stage.js';
import { TimeSlice } from '../shared/time-slice.js';
import { batchContext, type BatchContext } from '../shared/batch-context.js';
import { retryUntilSuccess } from '../shared/retry.js';
import { isRebalanceError } from '../kafka/failures.js';
import { openAll } from '../kafka/transactional-id.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { Windower, type WindowerSettings } from '../windows/windower.js';
import { Admission } from './admission.js';
import type { EventSource } from '../prediction-log/event-source.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';
import { IngestPartition, type PartitionStart } from './ingest-partition.js';
import { JoinFeed, type JoinTopic } from './join-feed.js';
import type { InputTopics } from './input-topics.js';
import {
  PartitionFenced,
  PartitionOutbox,
  type OutboxTopics,
  type PartitionOutput,
} from './partition-outbox.js';

export interface IngestStageDeps {
  kafka: Kafka;
  topics: OutboxTopics;
  /** The input topics and the source number of each of their partitions. */
  inputs: InputTopics;
  baselines: BaselineStore;
  windows: WindowerSettings;
  maxFutureSkewMs: number;
  /** Delayed labels: where predictions with an id go (`<groupId>.labels-join`); none: off. */
  labelsJoin?: JoinTopic | undefined;
  /** How input messages become events (the `input` config); the default shape without. */
  source?: EventSource;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Per assigned source, where it resumes (read after this member's producers fenced others). */
  readStarts: (assigned: readonly number[]) => Promise<ReadonlyMap<number, PartitionStart>>;
  /** Log end offsets of the input topics by source, read from the broker now (the lag probe). */
  readLogEnds: () => Promise<ReadonlyMap<number, number>>;
  /** Moves a partition's read position (a batch fetched past the committed offset). */
  seek: (topic: string, partition: number, offset: number) => void;
  isStopping: () => boolean;
  now?: () => number;
}

/** How often a long batch asks kafkajs whether a heartbeat is due. */
const HEARTBEAT_EVERY_MESSAGES = 500;

/**
 * Stage 1: input partitions → partial windows. Each input partition is windowed on its own
 * event-time clock; a window its watermark passed (or everything, once it is idle) goes to the
 * partials topic in one transaction with the dead letters and the partition's input offset.
 */
export class IngestStage extends SerialStage {
  private readonly deps: IngestStageDeps;
  private readonly admission: Admission;
  private readonly partitions = new Map<number, IngestPartition>();
  private readonly now: () => number;
  private probeFailing = false;
  private ticking = false;
  /** Messages read since start (also in /metrics); a plain number for the cheap /healthz. */
  messagesConsumed = 0;

  constructor(deps: IngestStageDeps) {
    // Nothing assigned until the first join; the tick may run before it.
    super([]);
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.admission = new Admission(deps);
  }

  /** kafkajs read past a partition's transaction markers (a batch with no messages). */
  onMarkersRead(topic: string, partition: number, readTo: number): void {
    if (!this.deps.inputs.has(topic)) return;
    const source = this.deps.inputs.sourceOf(topic, partition);
    this.partitions.get(source)?.windower.markRead(source, readTo);
  }

  async close(): Promise<void> {
    await this.settled();
    await this.closeOutboxes();
  }

  /**
   * Opens every assigned partition's outbox first (fencing a previous owner and completing its
   * transaction), then reads where each partition resumes: only then is the commit final.
   */
  protected async join(assigned: readonly number[], heartbeat: () => Promise<void>): Promise<void> {
    await this.closeOutboxes();
    const { deps } = this;
    // Registering a transactional id waits for the previous owner's transaction to end, and a
    // broker restarting during the rebalance fails it: retried (never fatal, none left open)
    // until the group rebalances again.
    const { outboxes, starts } = await retryUntilSuccess(
      () =>
        openAll(
          assigned,
          (p) => PartitionOutbox.open(deps.kafka, p, deps.inputs.partitionOf(p), deps.topics),
          async (outboxes) => ({ outboxes, starts: await deps.readStarts(assigned) }),
        ),
      {
        what: 'opening the assigned input partitions',
        context: batchContext(heartbeat, deps.isStopping),
        isPermanent: isRebalanceError,
        onFailure: (err, attempt, retryInMs) => {
          deps.metrics.partialsFailures.inc();
          deps.logger.warn(
            { err, attempt, retryInMs },
            'opening input partitions failed; retrying',
          );
        },
      },
    );
    const now = this.now();
    for (const outbox of outboxes) {
      const p = outbox.source;
      const start = starts.get(p) ?? {
        resumeAt: 0,
        watermark: undefined,
        position: { readTo: 0, end: Infinity },
      };
      const w = deps.windows;
      const windower = new Windower(
        w.sizeMs,
        w.latenessMs,
        deps.baselines,
        w.idleTimeoutMs,
        w.probeMaxAgeMs,
        w.additionalSizesMs,
      );
      windower.reset(start.watermark ?? -Infinity);
      windower.setPartitions([p]);
      windower.setAssigned([p], now, new Map([[p, start.position]]));
      const feed = deps.labelsJoin
        ? new JoinFeed(deps.labelsJoin, start.labelsTo ?? start.resumeAt)
        : undefined;
      this.partitions.set(
        p,
        new IngestPartition(p, windower, outbox, start, w.sizeMs, w.probeMaxAgeMs, feed),
      );
    }
    deps.metrics.ingestOpenWindows = 0;
  }

  /** After the transaction in flight, if any (a rebalance or a stop lets it finish). */
  private async closeOutboxes(): Promise<void> {
    const open = [...this.partitions.values()];
    this.partitions.clear();
    await Promise.all(
      open.map(async (s) => {
        await s.inFlight?.catch(() => undefined);
        await s.outbox.close().catch(() => undefined);
      }),
    );
  }

  protected async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { partition, messages, topic } = batch;
    const source = this.deps.inputs.sourceOf(topic, partition);
    const state = this.partitions.get(source);
    // Fetched for a partition another member owns now: not ours to process or commit.
    if (!state || state.fenced) return;
    const startIndex = state.resume.firstUsableIndex(
      payload,
      (p, offset) => this.deps.seek(topic, p, offset),
      this.deps.logger,
    );
    if (startIndex === undefined) return;
    await this.prepare(payload, startIndex);
    const { metrics } = this.deps;
    const { windower } = state;
    const deadLetters: Message[] = [];
    const readAt = this.now();
    const futureLimit = this.admission.futureLimit(readAt);
    windower.beginBatch(readAt);
    let lastOffset: string | undefined;
    let consumed = 0;
    let added = 0;
    let complete = true;
    const feed = state.joinFeed;
    let offset = 0;
    const onAdded = feed
      ? (log: PredictionLog) =>
          feed.add(log, windower.baselineOf(log.model, log.model_version)?.hash ?? '', offset)
      : undefined;
    const slice = new TimeSlice();
    for (let i = startIndex; i < messages.length; i++) {
      if (slice.due()) await slice.pause();
      if (!payload.isRunning() || payload.isStale()) {
        complete = false;
        break;
      }
      // A large batch of slow messages must not outlast the session: kafkajs sends a heartbeat
      // only when one is due, so asking every few hundred messages costs next to nothing.
      if (consumed % HEARTBEAT_EVERY_MESSAGES === HEARTBEAT_EVERY_MESSAGES - 1) {
        await payload.heartbeat();
      }
      const message = messages[i] as KafkaMessage;
      consumed++;
      if (feed) offset = Number(message.offset);
      const admitted = this.admission.admit(message, topic, source, windower, futureLimit, onAdded);
      if (admitted === true) added++;
      else if (admitted !== false) {
        deadLetters.push(this.admission.deadLetter(message, { topic, partition }, admitted));
      }
      lastOffset = message.offset;
    }
    if (lastOffset === undefined) return;
    const last = Number(lastOffset);
    payload.resolveOffset(lastOffset);
    metrics.messagesConsumed.inc(consumed);
    this.messagesConsumed += consumed;
    state.lastProcessed = last;
    feed?.readUpTo(last + 1);
    // offsetLag covers a trailing transaction marker, which is no message of its own.
    const highWatermark = Number(batch.highWatermark);
    const caughtUp = complete && (batch.offsetLag() === '0' || highWatermark <= last + 1);
    const readTo = caughtUp ? Math.max(highWatermark, last + 1) : last + 1;
    windower.endBatch(source, this.now(), readTo, added > 0);
    metrics.setLag(
      'ingest',
      topic,
      partition,
      caughtUp ? 0 : Math.max(0, highWatermark - last - 1),
    );
    await this.handOn(
      state,
      deadLetters,
      batchContext(() => payload.heartbeat(), this.deps.isStopping),
    );
  }

  /**
   * Fetches what reading the batch needs (the schemas of its messages) before any message is
   * read: an outage of the schema registry makes the partition wait here (heartbeating), so
   * nothing is dead-lettered or skipped for it. Counted per failed attempt, logged once.
   */
  private async prepare(payload: EachBatchPayload, startIndex: number): Promise<void> {
    const source = this.deps.source;
    if (source?.prepare === undefined) return;
    const { metrics, logger, isStopping } = this.deps;
    const { topic, partition, messages } = payload.batch;
    await retryUntilSuccess(() => source.prepare!(messages, startIndex, topic), {
      what: 'fetching schemas from the schema registry',
      context: batchContext(() => payload.heartbeat(), isStopping),
      onFailure: (err, attempt, retryInMs) => {
        metrics.schemaRegistryFailures.inc();
        if (attempt > 1) return;
        logger.error(
          { err, topic, partition, offset: messages[startIndex]?.offset, retryInMs },
          'the schema registry cannot answer; this partition waits and retries (see driftwatch_schema_registry_failures_total)',
        );
      },
    });
  }

  /**
   * Hands a partition's output on (one transaction, retried through outages) while the next
   * batch is read: a transaction takes several broker round trips, and waiting for each one
   * before reading on cost a third of the throughput with small windows. Outputs of one
   * partition commit in order, one at a time; this waits for the one before (whose failure
   * surfaces here), so at most one is in flight per partition.
   */
  private async handOn(
    state: IngestPartition,
    deadLetters: readonly Message[],
    context: BatchContext,
  ): Promise<void> {
    const now = this.now();
    const out = state.nextOutput(deadLetters, now);
    if (!out) return;
    state.handedOn(out, now);
    const previous = state.inFlight;
    const commit = (async () => {
      if (previous) await previous;
      if (!state.fenced) await this.commit(state, out, context);
    })();
    state.inFlight = commit;
    // Observed by the next hand-on (through `previous`) or by closeOutboxes.
    commit.catch(() => undefined);
    if (previous) await previous;
  }

  private async commit(
    state: IngestPartition,
    out: PartitionOutput,
    context: BatchContext,
  ): Promise<void> {
    const { metrics, logger } = this.deps;
    try {
      await retryUntilSuccess(() => state.outbox.commit(out), {
        what: 'handing partial windows on to the partials topic',
        context,
        isPermanent: (err) => err instanceof PartitionFenced,
        onFailure: (err, attempt, retryInMs) => {
          metrics.partialsFailures.inc();
          logger.error(
            { err, ...state.outbox.input, attempt, retryInMs },
            'committing partial windows failed; this partition waits and retries',
          );
        },
      });
    } catch (err) {
      if (!(err instanceof PartitionFenced)) throw err;
      // The group moved the partition on; kafkajs learns of the rebalance at its next
      // heartbeat. Nothing was committed: the new owner re-reads these events.
      state.fenced = true;
      logger.warn(state.outbox.input, 'input partition taken over by another member');
      return;
    }
    metrics.partialsProduced.inc(out.partials.length);
    metrics.offsetCommits.inc();
    metrics.ingestOpenWindows = this.openWindowCount();
  }

  private openWindowCount(): number {
    let n = 0;
    for (const s of this.partitions.values()) n += s.windower.openWindowCount;
    return n;
  }

  /**
   * The idle timer: input may be silent, so idleness is decided here too. Probes the log ends
   * when a partition has been quiet for the idle timeout (also while a batch waits on Kafka:
   * what arrives meanwhile shows as lag), then hands on what changed.
   */
  async tick(): Promise<void> {
    if (this.ticking || this.deps.isStopping()) return;
    this.ticking = true;
    try {
      const probedAt = this.now();
      const needsProbe = [...this.partitions.values()].some((s) => s.windower.needsProbe(probedAt));
      if (needsProbe) await this.probe(probedAt);
      if (this.exclusive.busy) return;
      await this.exclusive.run(async () => {
        await this.joinIfPending();
        // No batch in hand: nothing to heartbeat for.
        const context = batchContext(() => Promise.resolve(), this.deps.isStopping);
        for (const state of this.partitions.values()) {
          if (context.stopping) return;
          if (state.fenced) continue;
          state.windower.tick(this.now());
          await this.handOn(state, [], context);
        }
      });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * A failed probe only delays idleness (its predecessor ages out): windows wait, nothing is
   * dropped as late. Counted, and logged once per failure streak.
   */
  private async probe(probedAt: number): Promise<void> {
    try {
      const ends = await this.deps.readLogEnds();
      for (const s of this.partitions.values()) s.windower.applyProbe(ends, probedAt, this.now());
      this.probeFailing = false;
    } catch (err) {
      this.deps.metrics.lagProbeFailures.inc();
      if (!this.probeFailing) {
        this.deps.logger.warn(
          { err },
          'reading the log end offsets failed; partitions are not taken for idle until it works',
        );
      }
      this.probeFailing = true;
    }
  }
}
