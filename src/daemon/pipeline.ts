import type { EachBatchPayload, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../logger.js';
import { LogLimiter } from '../log-limiter.js';
import type { DaemonMetrics } from '../metrics.js';
import { decodePredictionLog } from '../ingest/prediction-log.js';
import type { WindowPoint, WindowDriftSettings } from '../windows/evaluate.js';
import type { PartitionPosition } from '../windows/partition-clocks.js';
import type { Windower } from '../windows/windower.js';
import { toDeadLetter } from './dead-letter.js';
import { Exclusive } from './exclusive.js';
import { isRebalanceError } from './failures.js';
import { safeIso } from './failures.js';
import { encodeCommitMetadata } from './offset-metadata.js';
import { retryUntilSuccess } from './retry.js';
import { WindowEmitter, type WindowEmitterDeps } from './window-emitter.js';

export interface PipelineDeps {
  windower: Windower;
  drift: WindowDriftSettings;
  maxFutureSkewMs: number;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Durably writes drift results; resolves only once they are acknowledged. */
  writeResults: (results: readonly WindowPoint[]) => Promise<void>;
  /** Alert rules over emitted points (see WindowEmitterDeps.onEmitted). */
  onEmitted?: WindowEmitterDeps['onEmitted'];
  /** Produces dead letters; resolves only once the broker acknowledged them. */
  sendDeadLetters: (messages: Message[]) => Promise<void>;
  /** The group's committed state for the assigned partitions, read after every join. */
  fetchGroupState: (assigned: readonly number[]) => Promise<GroupState>;
  /** Moves a partition's read position (used when a batch would skip uncommitted events). */
  seek: (partition: number, offset: number) => void;
  /** The prediction topic (commits outside a batch name it). */
  topic: string;
  /** Log end offsets of the topic's partitions, read from the broker now (the lag probe). */
  readLogEnds: () => Promise<ReadonlyMap<number, number>>;
  /** Commits outside a batch (the idle timer); throws kafkajs' rebalance errors during a join. */
  commitOffsets: (
    topic: string,
    partitions: { partition: number; offset: string; metadata: string }[],
  ) => Promise<void>;
  isStopping: () => boolean;
  now?: () => number;
}

type Failure = { code: string; reason: string };

/** How often a long batch asks kafkajs whether a heartbeat is due. */
const HEARTBEAT_EVERY_MESSAGES = 500;

const noHeartbeat = () => Promise.resolve();
const heartbeatOf = (payload: EachBatchPayload) => () => payload.heartbeat();

export interface GroupState {
  /** The newest watermark any member committed (offset metadata), if any. */
  watermark: number | undefined;
  /** Per assigned partition: where reading resumes (committed offset, else where the group starts). */
  resumeAt: ReadonlyMap<number, number>;
  /** Assigned partitions without a usable commit: their start is committed at the next commit. */
  uncommitted: ReadonlySet<number>;
  /** Per assigned partition: where reading resumes and where the log ended at the join. */
  positions: ReadonlyMap<number, PartitionPosition>;
  /** Every partition of the topic now (partitions may have been added since start). */
  partitions: readonly number[];
}

/**
 * One batch: decode → window → dead-letter what is unusable → write closed windows → commit.
 * Each step is awaited before the next, so offsets are committed only for durable work.
 */
export class Pipeline {
  private readonly deps: PipelineDeps;
  private readonly emitter: WindowEmitter;
  private readonly lastProcessed = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private committedWatermark = -Infinity;
  private pendingReset = true;
  private assigned: number[] = [];
  /** Per partition, where reading must resume after the last reset (until its first batch). */
  private resumeAt = new Map<number, number>();
  /** Partitions already sent back once since the last reset (one seek each, never a loop). */
  private seeked = new Set<number>();
  /** Partitions whose start position is not committed yet (see GroupState.uncommitted). */
  private uncommitted = new Set<number>();
  /** Events added to windows by the batch in hand. */
  private addedInBatch = 0;
  /** One log line per dead letter, but a flood of garbage must not flood the logs. */
  private readonly deadLetterLogs = new LogLimiter(20, 10_000);
  /** Messages read since start (also in /metrics); a plain number for the cheap /healthz. */
  messagesConsumed = 0;
  private readonly now: () => number;
  /** Batches and the idle timer take turns: both move windows and offsets. */
  private readonly exclusive = new Exclusive();
  private ticking = false;
  private probeFailing = false;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.emitter = new WindowEmitter(deps);
  }

  /**
   * After every (re)join kafkajs resumes from the committed offsets, which are behind what the
   * open windows already hold: the next batch starts from a clean slate (see `resetIfJoined`).
   */
  onGroupJoin(assigned: readonly number[]): void {
    this.pendingReset = true;
    this.assigned = [...assigned];
  }

  /**
   * Drops open windows and takes the group's committed watermark as the floor: windows that
   * any member (e.g. the previous pod of a rolling deploy) emitted are never re-opened. Loops
   * in case another join lands while the group state is being read.
   */
  private async resetIfJoined(): Promise<void> {
    while (this.pendingReset) {
      this.pendingReset = false;
      const state = await this.deps.fetchGroupState(this.assigned);
      const floor = Math.max(this.committedWatermark, state.watermark ?? -Infinity);
      this.deps.windower.reset(floor);
      this.deps.windower.setPartitions(state.partitions);
      this.deps.windower.setAssigned(this.assigned, this.now(), state.positions);
      this.committedWatermark = floor;
      this.resumeAt = new Map(state.resumeAt);
      this.uncommitted = new Set(state.uncommitted);
      this.seeked.clear();
      this.lastProcessed.clear();
      this.committed.clear();
      this.deps.metrics.openWindows.set(0);
      if (state.watermark !== undefined) {
        this.deps.logger.info(
          { watermark: safeIso(floor) },
          'restored watermark from committed offsets',
        );
      }
    }
  }

  /**
   * The first batch of a partition after a reset must start where the group resumes. If kafkajs
   * fetched from further on (a batch resolved into the new generation while the join landed,
   * with several brokers), events would be skipped: seek back, once. A batch fetched from the
   * right place may still start later (transaction markers, compaction): that gap is no data.
   * Messages before the resume offset were committed already and are skipped.
   */
  private firstUsableIndex(payload: EachBatchPayload): number | undefined {
    const { partition, messages } = payload.batch;
    const resumeAt = this.resumeAt.get(partition);
    if (resumeAt === undefined) return 0;
    const fetchedFrom = Number(
      (payload.batch as { fetchedOffset?: string }).fetchedOffset ?? resumeAt,
    );
    if (fetchedFrom > resumeAt && !this.seeked.has(partition)) {
      this.deps.logger.warn(
        { partition, fetchedFrom, resumeAt },
        'batch fetched past the resume offset; seeking back',
      );
      this.seeked.add(partition);
      this.deps.seek(partition, resumeAt);
      return undefined;
    }
    this.resumeAt.delete(partition);
    const index = messages.findIndex((m) => Number(m.offset) >= resumeAt);
    return index === -1 ? messages.length : index;
  }

  async handleBatch(payload: EachBatchPayload): Promise<void> {
    await this.exclusive.run(() => this.processBatch(payload), heartbeatOf(payload));
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    await this.resetIfJoined();
    // A batch fetched for a partition another member now owns: not ours to process or commit.
    if (!this.assigned.includes(payload.batch.partition)) return;
    const startIndex = this.firstUsableIndex(payload);
    if (startIndex === undefined) return;
    const { batch } = payload;
    const { windower, metrics } = this.deps;
    const { partition, messages } = batch;
    const deadLetters: Message[] = [];
    const readAt = this.now();
    const futureLimit = readAt + this.deps.maxFutureSkewMs;
    windower.beginBatch(readAt);
    let lastOffset: string | undefined;
    let consumed = 0;
    let complete = true;
    this.addedInBatch = 0;

    for (let i = startIndex; i < messages.length; i++) {
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
      const failure = this.processMessage(message, partition, futureLimit);
      if (failure) deadLetters.push(this.deadLetter(message, batch.topic, partition, failure));
      lastOffset = message.offset;
    }
    if (lastOffset === undefined) return;
    const last = Number(lastOffset);
    // Once per batch rather than per message: both calls are measurable on the hot path.
    payload.resolveOffset(lastOffset);
    metrics.messagesConsumed.inc(consumed);
    this.messagesConsumed += consumed;
    this.lastProcessed.set(partition, last);
    // offsetLag covers a trailing transaction marker, which is no message of its own.
    const highWatermark = Number(batch.highWatermark);
    const caughtUp = complete && (batch.offsetLag() === '0' || highWatermark <= last + 1);
    const readTo = caughtUp ? Math.max(highWatermark, last + 1) : last + 1;
    windower.endBatch(partition, this.now(), readTo, this.addedInBatch > 0);
    metrics.consumerLag.set(
      { topic: batch.topic, partition: String(partition) },
      caughtUp ? 0 : Math.max(0, highWatermark - last - 1),
    );

    if (deadLetters.length > 0) {
      await retryUntilSuccess(() => this.deps.sendDeadLetters(deadLetters), {
        what: 'producing to the dead-letter topic',
        between: heartbeatOf(payload),
        shouldStop: this.deps.isStopping,
        onFailure: (err, attempt, retryInMs) => {
          metrics.deadLetterFailures.inc();
          this.deps.logger.error(
            { err, attempt, retryInMs },
            'producing to the dead-letter topic failed; consumption waits and retries',
          );
        },
      });
    }
    await this.emitter.emitClosed(heartbeatOf(payload));
    // Through the batch payload, not consumer.commitOffsets: the latter silently skips the
    // commit once the consumer is stopping, which would lose the final commit on SIGTERM.
    await this.commitIfAdvanced((partitions) =>
      payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions }] }),
    );
  }

  /**
   * A failed probe only delays idleness (its predecessor ages out): windows wait, nothing is
   * dropped as late. Counted, and logged once per failure streak.
   */
  private async probe(probedAt: number): Promise<void> {
    try {
      const ends = await this.deps.readLogEnds();
      this.deps.windower.applyProbe(ends, probedAt, this.now());
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

  /** Resolves once no batch or tick is in hand (a stop waits for the timer's work too). */
  settled(): Promise<void> {
    return this.exclusive.run(() => Promise.resolve());
  }

  /** kafkajs reached past a partition's transaction markers (a batch with no messages). */
  onMarkersRead(partition: number, readTo: number): void {
    if (this.assigned.includes(partition)) this.deps.windower.markRead(partition, readTo);
  }

  /**
   * The idle timer: input may be silent, so idleness is decided here too. Probes the log ends
   * when a partition has been quiet for the idle timeout (always, even while a batch waits on a
   * sink: what arrives meanwhile shows as lag), then emits what the watermark passed and commits.
   */
  async tick(): Promise<void> {
    if (this.ticking || this.deps.isStopping()) return;
    this.ticking = true;
    try {
      const { windower } = this.deps;
      const probedAt = this.now();
      if (windower.needsProbe(probedAt)) await this.probe(probedAt);
      windower.tick(this.now());
      // A batch in hand emits and commits itself; a join is handled by the next batch or tick.
      if (this.exclusive.busy) return;
      if (!this.pendingReset && windower.watermark <= windower.closedUpTo) return;
      await this.exclusive.run(async () => {
        await this.resetIfJoined();
        if (this.deps.isStopping()) return;
        await this.emitter.emitClosed(noHeartbeat);
        try {
          await this.commitIfAdvanced((partitions) =>
            this.deps.commitOffsets(this.deps.topic, partitions),
          );
        } catch (err) {
          // A join landed: the next batch or tick resets to what the group committed, and the
          // windows written now are rewritten identically from the re-read events.
          if (!isRebalanceError(err)) throw err;
          this.deps.logger.debug({ err }, 'commit after an idle tick skipped: group rebalancing');
        }
      });
    } finally {
      this.ticking = false;
    }
  }

  /** Decodes and windows one message; returns why it cannot be used, if it cannot. */
  private processMessage(
    message: KafkaMessage,
    partition: number,
    futureLimit: number,
  ): Failure | undefined {
    const { windower } = this.deps;
    try {
      const decoded = decodePredictionLog(message.value);
      if (!decoded.ok) return decoded;
      const log = decoded.log;
      if (log.timestamp > futureLimit) {
        return {
          code: 'FUTURE_TIMESTAMP',
          reason: `timestamp ${safeIso(log.timestamp)} is more than windows.maxFutureSkew ahead of the clock`,
        };
      }
      const outcome = windower.add(log, partition, Number(message.offset));
      if (outcome === 'added') this.addedInBatch++;
      else if (outcome === 'late') this.emitter.noteLate(log.model, log.model_version);
      else if (outcome === 'no-baseline') {
        const rejected = windower.rejectsWithoutBaseline;
        this.emitter.noteWithoutBaseline(log.model, log.model_version, rejected);
        if (!rejected) return undefined;
        // JSON.stringify: the strings are untrusted (control characters, very long names).
        return {
          code: 'NO_BASELINE',
          reason: `no baseline for model ${JSON.stringify(log.model).slice(0, 200)} version ${JSON.stringify(log.model_version).slice(0, 200)} (add one to baselines.dir, or set baselines.fallback)`,
        };
      }
      return undefined;
    } catch (err) {
      // A message that trips a bug must not stop the daemon (or crash-loop it on restart):
      // it is dead-lettered with the error, counted and logged like any unusable message.
      return {
        code: 'UNPROCESSABLE',
        reason: `processing failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  private deadLetter(
    message: KafkaMessage,
    topic: string,
    partition: number,
    failure: Failure,
  ): Message {
    this.deps.metrics.messagesInvalid.inc({ reason: failure.code });
    const { log, suppressedBefore } = this.deadLetterLogs.take();
    if (suppressedBefore > 0) {
      this.deps.logger.warn(
        { suppressed: suppressedBefore },
        'more messages were dead-lettered than logged (see driftwatch_messages_invalid_total)',
      );
    }
    if (log) {
      this.deps.logger.warn(
        { topic, partition, offset: message.offset, code: failure.code, reason: failure.reason },
        'message sent to the dead-letter topic',
      );
    }
    return toDeadLetter(message, { topic, partition }, failure);
  }

  private async commitIfAdvanced(
    commit: (
      partitions: { partition: number; offset: string; metadata: string }[],
    ) => Promise<void>,
  ): Promise<void> {
    // A join landed during this batch: the assignment may have changed, so commit nothing now;
    // the next batch resets to the committed state and reads these events again.
    if (this.pendingReset) return;
    const { windower } = this.deps;
    const offsets = windower.committableOffsets(this.lastProcessed);
    // Partitions never committed get their start position committed too, so a restart does
    // not resolve "earliest"/"latest" again (and skip what arrived while the daemon was down).
    for (const partition of this.uncommitted) {
      const start = this.resumeAt.get(partition);
      if (!offsets.has(partition) && start !== undefined) offsets.set(partition, start);
    }
    const watermark = windower.closedUpTo;
    let advanced = watermark !== this.committedWatermark || this.uncommitted.size > 0;
    for (const [partition, offset] of offsets) {
      if (this.committed.get(partition) !== offset) advanced = true;
    }
    if (!advanced) return;
    // The watermark travels in the commit metadata: a restart restores it, so events of
    // windows emitted before the commit stay late instead of re-opening those windows.
    const metadata = encodeCommitMetadata(watermark);
    const partitions = [...offsets].map(([partition, offset]) => ({
      partition,
      offset: String(offset),
      metadata,
    }));
    await commit(partitions);
    for (const [partition, offset] of offsets) this.committed.set(partition, offset);
    this.uncommitted.clear();
    this.committedWatermark = watermark;
    this.deps.metrics.offsetCommits.inc();
  }
}
