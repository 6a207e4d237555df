import type { EachBatchPayload, Message } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { decodePredictionLog, type DecodeFailure } from '../ingest/prediction-log.js';
import { evaluateWindow, type DriftResult, type DriftSettings } from '../windows/evaluate.js';
import type { Windower } from '../windows/windower.js';
import { toDeadLetter } from './dead-letter.js';
import { retryUntilSuccess } from './retry.js';

export interface PipelineDeps {
  topic: string;
  windower: Windower;
  drift: DriftSettings;
  maxFutureSkewMs: number;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Durably writes drift results; resolves only once they are acknowledged. */
  writeResults: (results: readonly DriftResult[]) => Promise<void>;
  /** Produces dead letters; resolves only once the broker acknowledged them. */
  sendDeadLetters: (messages: Message[]) => Promise<void>;
  /** Commits per-partition offsets together with the watermark they are valid for. */
  commit: (offsets: ReadonlyMap<number, number>, watermark: number) => Promise<void>;
  isStopping: () => boolean;
  now?: () => number;
}

type FailureCode = DecodeFailure['code'] | 'FUTURE_TIMESTAMP';

/**
 * One batch: decode → window → dead-letter what is unusable → write closed windows → commit.
 * Each step is awaited before the next, so offsets are committed only for durable work.
 */
export class Pipeline {
  private readonly deps: PipelineDeps;
  private readonly lastProcessed = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private committedWatermark = -Infinity;
  /** Bumped at every group join; a batch that started in an older generation commits nothing. */
  private generation = 0;
  private readonly now: () => number;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * After every (re)join kafkajs resumes from the committed offsets, which are behind what the
   * open windows already hold: drop them so the re-read events are counted once.
   */
  onGroupJoin(): void {
    this.generation++;
    this.deps.windower.reset(this.committedWatermark);
    this.lastProcessed.clear();
    this.committed.clear();
    this.deps.metrics.openWindows.set(0);
  }

  async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const generation = this.generation;
    const { windower, metrics, logger } = this.deps;
    const { partition } = batch;
    const deadLetters: Message[] = [];
    const futureLimit = this.now() + this.deps.maxFutureSkewMs;
    let last: number | undefined;
    let lastOffset: string | undefined;
    let consumed = 0;

    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      const offset = Number(message.offset);
      consumed++;
      const decoded = decodePredictionLog(message.value);
      let failure: { code: FailureCode; reason: string } | undefined;
      if (!decoded.ok) {
        failure = decoded;
      } else if (decoded.log.timestamp > futureLimit) {
        failure = {
          code: 'FUTURE_TIMESTAMP',
          reason: `timestamp ${new Date(decoded.log.timestamp).toISOString()} is more than windows.maxFutureSkew ahead of the clock`,
        };
      } else {
        const log = decoded.log;
        const outcome = windower.add(log, partition, offset);
        if (outcome === 'late')
          metrics.eventsLate.inc({ model: log.model, model_version: log.model_version });
        else if (outcome === 'no-baseline') {
          metrics.eventsWithoutBaseline.inc({ model: log.model, model_version: log.model_version });
        }
      }
      if (failure) {
        metrics.messagesInvalid.inc({ reason: failure.code });
        logger.warn(
          {
            topic: batch.topic,
            partition,
            offset: message.offset,
            code: failure.code,
            reason: failure.reason,
          },
          'message sent to the dead-letter topic',
        );
        deadLetters.push(toDeadLetter(message, { topic: batch.topic, partition }, failure));
      }
      last = offset;
      lastOffset = message.offset;
    }
    if (last === undefined || lastOffset === undefined) return;
    // Once per batch rather than per message: both calls are measurable on the hot path.
    payload.resolveOffset(lastOffset);
    metrics.messagesConsumed.inc(consumed);
    this.lastProcessed.set(partition, last);
    metrics.consumerLag.set(
      { topic: batch.topic, partition: String(partition) },
      Math.max(0, Number(batch.highWatermark) - last - 1),
    );

    const retry = <T>(what: string, fn: () => Promise<T>, onFail: () => void) =>
      retryUntilSuccess(fn, {
        what,
        between: () => payload.heartbeat(),
        shouldStop: this.deps.isStopping,
        onFailure: (err, attempt, delayMs) => {
          onFail();
          logger.error(
            { err, attempt, retryInMs: delayMs },
            `${what} failed; consumption waits and retries`,
          );
        },
      });

    if (deadLetters.length > 0) {
      await retry(
        'producing to the dead-letter topic',
        () => this.deps.sendDeadLetters(deadLetters),
        () => metrics.deadLetterFailures.inc(),
      );
    }
    // A join during this batch reset the windows; emitting or committing now could write a
    // partial window or skip events. kafkajs resumes from the committed offsets instead.
    const rebalanced = () => generation !== this.generation;
    if (!rebalanced()) await this.emitClosedWindows(retry);
    if (rebalanced()) {
      logger.warn(
        { partition },
        'group rebalanced during the batch: nothing committed, its events are read again',
      );
      return;
    }
    await this.commitIfAdvanced();
  }

  private async emitClosedWindows(
    retry: (what: string, fn: () => Promise<void>, onFail: () => void) => Promise<void>,
  ): Promise<void> {
    const { windower, metrics, logger } = this.deps;
    const closed = windower.takeClosed();
    metrics.openWindows.set(windower.openWindowCount);
    metrics.watermark.set(Number.isFinite(windower.watermark) ? windower.watermark / 1000 : 0);
    if (closed.length === 0) return;
    const results = closed.flatMap((w) => evaluateWindow(w, this.deps.drift));
    await retry(
      'writing drift points to InfluxDB',
      () => this.deps.writeResults(results),
      () => metrics.influxWriteFailures.inc(),
    );
    metrics.pointsWritten.inc(results.length);
    for (const w of closed) {
      metrics.windowsEmitted.inc({
        model: w.baseline.model,
        model_version: w.baseline.modelVersion,
      });
      logger.info(
        {
          model: w.baseline.model,
          model_version: w.baseline.modelVersion,
          window_start: new Date(w.start).toISOString(),
          window_end: new Date(w.end).toISOString(),
          events: w.events,
          drifted: results
            .filter((r) => r.windowEnd === w.end && r.model === w.baseline.model && r.drifted)
            .map((r) => r.feature),
        },
        'window emitted',
      );
    }
  }

  private async commitIfAdvanced(): Promise<void> {
    const { windower } = this.deps;
    const offsets = windower.committableOffsets(this.lastProcessed);
    const watermark = windower.watermark;
    let advanced = watermark !== this.committedWatermark;
    for (const [partition, offset] of offsets) {
      if (this.committed.get(partition) !== offset) advanced = true;
    }
    if (!advanced) return;
    // The watermark travels in the commit metadata: a restart restores it, so events of
    // windows emitted before the commit stay late instead of re-opening those windows.
    await this.deps.commit(offsets, watermark);
    for (const [partition, offset] of offsets) this.committed.set(partition, offset);
    this.committedWatermark = watermark;
    this.deps.metrics.offsetCommits.inc();
  }
}
