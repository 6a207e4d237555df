import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { baselineLabels, type Baseline } from '../baseline/baseline.js';
import type { BaselineStore } from '../baseline/store.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import { SerialStage, type BatchTail } from '../kafka/serial-stage.js';
import { TimeSlice } from '../shared/time-slice.js';
import { CloseClock } from './close-clock.js';
import { batchContext, type BatchContext } from '../shared/batch-context.js';
import { DriftwatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import { LogLimiter } from '../shared/log-limiter.js';
import type { DaemonMetrics } from '../metrics.js';
import { decodePartialsRecord, type PartialsRecord } from '../partials/codec.js';
import type { WindowPoint } from '../drift/window-points.js';
import { delayedQualityPoints } from '../drift/quality-points.js';
import { encodeCheckpointReport } from './checkpoint.js';
import { PartialsPartition, type EvaluateCheckpoint } from './partials-partition.js';
import type { WindowEmitter } from './window-emitter.js';
import type { HoppingSettings } from './hopping-views.js';
import type { CountSettings } from './count-windows.js';

/** Where a partials partition resumes after a join, as the evaluate group committed it. */
export interface EvaluateStart {
  resumeAt: number;
  checkpoint: EvaluateCheckpoint;
}

export interface EvaluateStageDeps {
  baselines: BaselineStore;
  emitter: WindowEmitter;
  metrics: DaemonMetrics;
  logger: Logger;
  /** The input topic's partitions now: every one of them must pass a window's end. */
  inputPartitions: () => readonly number[];
  /** The input topic's log end offsets (read_committed), to check idle claims against. */
  readInputEnds: () => Promise<ReadonlyMap<number, number>>;
  /** Per assigned partials partition, where it resumes. */
  readStarts: (assigned: readonly number[]) => Promise<ReadonlyMap<number, EvaluateStart>>;
  /** The alert state of these partials partitions moves here (restored before use). */
  assignAlerts?: (partitions: readonly number[]) => Promise<void>;
  /** Alert rules over one partition's emitted points; durable before it resolves. */
  onEmitted?: (
    partition: number,
    points: readonly WindowPoint[],
    watermark: number,
    context: BatchContext,
  ) => Promise<void>;
  seek: (partition: number, offset: number) => void;
  /** windows.hopping: views built from the panes stage 2 closes (none without). */
  hopping?: HoppingSettings;
  /** windows.count: count windows built from the same panes (none without). */
  count?: CountSettings;
  isStopping: () => boolean;
  now?: () => number;
}

interface AssignedPartition {
  state: PartialsPartition;
  resume: ResumeGate;
  committed: { offset: number; metadata: string } | undefined;
}

/**
 * Stage 2: partials → windows → drift points → alert rules. Owns partials partitions (models
 * are routed to them by name), merges each window's partials from every input partition once
 * all of them passed its end or are idle, and commits only after the points and the alert log
 * are durable: a restart rebuilds the open windows from the committed offset.
 */
export class EvaluateStage extends SerialStage {
  private readonly deps: EvaluateStageDeps;
  private readonly partitions = new Map<number, AssignedPartition>();
  private readonly now: () => number;
  private readonly unreadableLogs = new LogLimiter(20, 10_000);
  private readonly countStartLogs = new LogLimiter(1, 600_000);
  /** The last input log end probe failed (logged once per failure streak). */
  private probeFailing = false;
  /** True once the first join's state (and alert state) is restored: /healthz readiness. */
  ready = false;

  constructor(deps: EvaluateStageDeps) {
    super();
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    deps.metrics.openCountWindows = () => this.openCountWindows;
  }

  /** Count windows running on the partitions this replica holds (driftwatch_open_windows). */
  get openCountWindows(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.state.openCountWindows;
    return n;
  }

  /** Restores the state of the partitions a join assigned, now (not at their first batch). */
  restore(): Promise<void> {
    return this.exclusive.run(() => this.joinIfPending());
  }

  /** Restores the windows and the alert state of the assigned partials partitions. */
  protected async join(assigned: readonly number[]): Promise<void> {
    this.partitions.clear();
    await this.deps.assignAlerts?.(assigned);
    const starts = await this.deps.readStarts(assigned);
    const inputs = this.deps.inputPartitions();
    for (const q of assigned) {
      const start = starts.get(q) ?? {
        resumeAt: 0,
        checkpoint: { closedUpTo: -Infinity, watermarks: new Map() },
      };
      this.partitions.set(q, {
        state: new PartialsPartition(q, inputs, start.checkpoint, {
          ...(this.deps.hopping ? { hopping: this.deps.hopping } : {}),
          ...(this.deps.count ? { count: this.deps.count } : {}),
        }),
        resume: new ResumeGate(start.resumeAt),
        committed: undefined,
      });
    }
    this.ready = true;
  }

  protected async processBatch(payload: EachBatchPayload): Promise<BatchTail | undefined> {
    const { batch } = payload;
    const assigned = this.partitions.get(batch.partition);
    if (!assigned) return;
    const start = assigned.resume.firstUsableIndex(payload, this.deps.seek, this.deps.logger);
    if (start === undefined) return;
    const { state } = assigned;
    state.setInputPartitions(this.deps.inputPartitions());
    let lastOffset: string | undefined;
    const slice = new TimeSlice();
    const startedAt = this.now();
    const clock = new CloseClock(state.closableUpTo(startedAt), startedAt);
    // Settled delayed quality the quality writer handed here: for the alert rules only (the
    // writer wrote its points to InfluxDB).
    const settled: WindowPoint[] = [];
    for (let i = start; i < batch.messages.length; i++) {
      await slice.yieldIfDue();
      if (!payload.isRunning() || payload.isStale()) break;
      const message = batch.messages[i] as KafkaMessage;
      const kind = await this.apply(state, message, batch.partition, settled);
      if (kind === 'progress') {
        clock.note(state.closableUpTo(this.now()), Number(message.timestamp));
      }
      lastOffset = message.offset;
    }
    if (lastOffset === undefined) return;
    payload.resolveOffset(lastOffset);
    // A trailing transaction marker is no message: offsetLag 0 means nothing left to read.
    const behind = Number(batch.highWatermark) - Number(lastOffset) - 1;
    this.deps.metrics.setLag(
      'evaluate',
      batch.topic,
      batch.partition,
      batch.offsetLag() === '0' ? 0 : Math.max(0, behind),
    );
    const context = batchContext(() => payload.heartbeat(), this.deps.isStopping);
    await this.checkClaims(state);
    const closed = state.takeClosed(this.now());
    const points = await this.deps.emitter.evaluate(closed, context);
    const watermark = state.closedUpTo;
    const next = state.checkpoint(Number(lastOffset) + 1);
    // Waiting for InfluxDB, the alert log and the commit is this batch's tail: the next
    // partition's batch evaluates meanwhile. Each step still follows the one before, and a
    // partition's next batch comes after its tail, so what is durable when is unchanged.
    return async () => {
      await this.deps.emitter.write(closed, points, context);
      const ackedAt = this.now();
      for (const w of closed) {
        const latency = (ackedAt - clock.closableSince(w.end)) / 1000;
        this.deps.metrics.windowCloseLatency.observe(latency);
      }
      this.deps.metrics.watermark.set(Number.isFinite(watermark) ? watermark / 1000 : 0);
      // Event time moved on even without windows: group timers and stale-data alerts still run.
      const rulesRead = settled.length === 0 ? points : [...points, ...settled];
      await this.deps.onEmitted?.(batch.partition, rulesRead, watermark, context);
      await this.commit(payload, assigned, next);
    };
  }

  /** The partials offset and checkpoint, once both differ from what was committed last. */
  private async commit(
    payload: EachBatchPayload,
    assigned: AssignedPartition,
    { offset, checkpoint }: { offset: number; checkpoint: EvaluateCheckpoint },
  ): Promise<void> {
    const { metadata, countStartsLeftOut } = encodeCheckpointReport(checkpoint);
    if (countStartsLeftOut > 0 && this.countStartLogs.take().log) {
      this.deps.logger.warn(
        { partition: payload.batch.partition, left_out: countStartsLeftOut },
        'the starts of some running count windows do not fit the offset metadata: after a restart those windows start again at their next base window (more partials partitions spread them)',
      );
    }
    const c = assigned.committed;
    if (c && c.offset === offset && c.metadata === metadata) return;
    // Through the batch payload: consumer.commitOffsets skips the commit once the consumer is
    // stopping, which would lose the final commit on SIGTERM.
    // kafkajs passes `metadata` through, though its types do not list it.
    const { topic, partition } = payload.batch;
    const partitions = [{ partition, offset: String(offset), metadata }];
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions }] });
    assigned.committed = { offset, metadata };
    this.deps.metrics.offsetCommits.inc();
  }

  /**
   * Idle claims are checked against the input log ends right before windows close on them: a
   * source whose log grew since its claim holds the windows until it reports again. When the
   * ends cannot be read, the claims are not trusted this time (windows wait, nothing is lost).
   */
  private async checkClaims(state: PartialsPartition): Promise<void> {
    const claims = state.claimsToCheck(this.now());
    if (claims.size === 0) return;
    let ends: ReadonlyMap<number, number> | undefined;
    try {
      ends = await this.deps.readInputEnds();
      this.probeFailing = false;
    } catch (err) {
      this.deps.metrics.lagProbeFailures.inc();
      if (!this.probeFailing) {
        this.deps.logger.warn(
          { err, partition: state.partition },
          'reading the input log end offsets failed; windows wait instead of closing on idle partitions',
        );
      }
      this.probeFailing = true;
    }
    const withdrawn = state.checkClaims(claims, ends);
    if (withdrawn > 0 && ends !== undefined) this.deps.metrics.idleClaimsWithdrawn.inc(withdrawn);
  }

  private async apply(
    state: PartialsPartition,
    message: KafkaMessage,
    q: number,
    settled: WindowPoint[],
  ): Promise<PartialsRecord['kind'] | undefined> {
    const record = await this.decode(message, q);
    if (record === undefined) return undefined;
    if (record.kind === 'progress') {
      state.progress(record.records);
      return 'progress';
    }
    if (record.kind === 'settled') {
      settled.push(...delayedQualityPoints(record.quality));
      return 'settled';
    }
    const { window } = record;
    const outcome = state.addPartial(window, Number(message.offset));
    if (outcome === 'late') {
      this.deps.metrics.eventsLate.inc(baselineLabels(window.baseline), window.events);
    } else if (outcome === 'baseline-changed') {
      this.deps.metrics.partialsDropped.inc({ reason: 'baseline_changed' });
      this.deps.logger.warn(
        {
          model: window.model,
          model_version: window.modelVersion,
          window_end: new Date(window.end).toISOString(),
          baseline: window.baseline.hash,
          events: window.events,
        },
        'partial window built against another baseline than its window: left out',
      );
    }
    return 'partial';
  }

  /**
   * A partial names its baseline by hash. Another replica may have loaded a new baseline file
   * first: the store is re-scanned once before the partial is given up on.
   */
  private async decode(message: KafkaMessage, q: number): Promise<PartialsRecord | undefined> {
    const { baselines } = this.deps;
    const lookup = (model: string, version: string, hash: string): Baseline | undefined => {
      const b = baselines.get(model, version);
      return b?.hash === hash ? b : undefined;
    };
    const bytes = message.value ?? Buffer.alloc(0);
    for (let attempt = 0; ; attempt++) {
      try {
        return decodePartialsRecord(bytes, lookup);
      } catch (err) {
        const code = err instanceof DriftwatchError ? err.code : 'PARTIAL_UNREADABLE';
        if (code === 'PARTIAL_BASELINE_UNKNOWN' && attempt === 0) {
          await baselines.reload();
          continue;
        }
        this.deps.metrics.partialsDropped.inc({
          reason: code === 'PARTIAL_BASELINE_UNKNOWN' ? 'baseline_unknown' : 'unreadable',
        });
        if (this.unreadableLogs.take().log) {
          this.deps.logger.error(
            { err, partition: q, offset: message.offset, code },
            'partials record left out',
          );
        }
        return undefined;
      }
    }
  }
}
