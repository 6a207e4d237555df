import type { KafkaMessage, Message } from 'kafkajs';
import { baselineLabels } from '../baseline/baseline.js';
import { safeIso } from '../shared/untrusted-text.js';
import { toDeadLetter } from '../kafka/dead-letter.js';
import type { Logger } from '../logger.js';
import { LogLimiter } from '../shared/log-limiter.js';
import type { DaemonMetrics } from '../metrics.js';
import type { Windower } from '../windows/windower.js';
import { defaultEventSource, type EventSource } from '../prediction-log/event-source.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';

/** Why a message cannot be used: its dead letter's code and reason. */
export interface Refusal {
  code: string;
  reason: string;
}

/** How many distinct unknown (model, version) pairs are logged by name; the rest only counted. */
const MAX_LOGGED_UNKNOWN_MODELS = 1_000;

/**
 * Admits messages of the input topic into their partition's windows: decode, validate, window.
 * What cannot be used is counted, logged (bounded) and turned into a dead letter.
 */
export class Admission {
  private readonly metrics: DaemonMetrics;
  private readonly logger: Logger;
  private readonly maxFutureSkewMs: number;
  private readonly source: EventSource;
  private readonly unknownModels = new Set<string>();
  /** One log line per dead letter, but a flood of garbage must not flood the logs. */
  private readonly deadLetterLogs = new LogLimiter(20, 10_000);

  constructor(deps: {
    metrics: DaemonMetrics;
    logger: Logger;
    maxFutureSkewMs: number;
    /** How messages become events (`input` config); the default shape without. */
    source?: EventSource;
  }) {
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.maxFutureSkewMs = deps.maxFutureSkewMs;
    this.source = deps.source ?? defaultEventSource;
  }

  /** The latest event time accepted for a batch read at `readAt`. */
  futureLimit(readAt: number): number {
    return readAt + this.maxFutureSkewMs;
  }

  /**
   * Decodes and windows one message: true when it added to a window, false when none of its
   * events did (late, dropped, or a message that carries none), else why it cannot be used. A
   * message of several events (a batch) is refused whole when one of them is: events are
   * checked before any is windowed, so a dead letter never holds half-counted messages.
   */
  admit(
    message: KafkaMessage,
    topic: string,
    /** The input partition's source number (InputTopics): the windower's clock. */
    source: number,
    windower: Windower,
    futureLimit: number,
    /** Called with every event a window took (the delayed-label join's feed). */
    onAdded?: (log: PredictionLog) => void,
  ): boolean | Refusal {
    try {
      const read = this.source.read(message, topic);
      if (!read.ok) return read;
      if (read.log !== undefined) {
        const future = this.future(read.log, futureLimit, windower);
        return future ?? this.add(read.log, message, source, windower, onAdded);
      }
      const logs = read.logs;
      if (logs.length === 0) {
        this.metrics.messagesWithoutEvents.inc();
        return false;
      }
      for (const log of logs) {
        const refusal = this.future(log, futureLimit, windower);
        if (refusal) return refusal;
      }
      let added = false;
      for (const log of logs) {
        const outcome = this.add(log, message, source, windower, onAdded);
        // Every row of a batch shares model and version: the first has no baseline, none has.
        if (outcome !== true && outcome !== false) return outcome;
        added ||= outcome;
      }
      return added;
    } catch (err) {
      // A message that trips a bug must not stop the daemon (or crash-loop it on restart):
      // it is dead-lettered with the error, counted and logged like any unusable message.
      return {
        code: 'UNPROCESSABLE',
        reason: `processing failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  private future(log: PredictionLog, futureLimit: number, windower: Windower): Refusal | undefined {
    if (log.timestamp <= futureLimit) return undefined;
    windower.countUnwindowed(log, 'future');
    return {
      code: 'FUTURE_TIMESTAMP',
      reason: `timestamp ${safeIso(log.timestamp)} is more than windows.maxFutureSkew ahead of the clock`,
    };
  }

  private add(
    log: PredictionLog,
    message: KafkaMessage,
    source: number,
    windower: Windower,
    onAdded: ((log: PredictionLog) => void) | undefined,
  ): boolean | Refusal {
    const outcome = windower.add(log, source, Number(message.offset));
    if (outcome === 'added') {
      onAdded?.(log);
      return true;
    }
    if (outcome === 'late') {
      // Labelled by the baseline, never by the event: made-up versions (under
      // `baselines.fallback`) would otherwise grow the label sets without bound.
      const baseline = windower.baselineOf(log.model, log.model_version);
      this.metrics.eventsLate.inc(baseline ? baselineLabels(baseline) : {});
      windower.countUnwindowed(log, 'late');
      return false;
    }
    const rejected = windower.rejectsWithoutBaseline;
    this.noteWithoutBaseline(log.model, log.model_version, rejected);
    if (!rejected) return false;
    // JSON.stringify: the strings are untrusted (control characters, very long names).
    return {
      code: 'NO_BASELINE',
      reason: `no baseline for model ${JSON.stringify(log.model).slice(0, 200)} version ${JSON.stringify(log.model_version).slice(0, 200)} (add one to baselines.dir, or set baselines.fallback)`,
    };
  }

  /** The dead letter of a refused message; counted, and logged within the log budget. */
  deadLetter(
    message: KafkaMessage,
    source: { topic: string; partition: number },
    refusal: Refusal,
  ): Message {
    this.metrics.messagesInvalid.inc({ reason: refusal.code });
    const { log, suppressedBefore } = this.deadLetterLogs.take();
    if (suppressedBefore > 0) {
      this.logger.warn(
        { suppressed: suppressedBefore },
        'more messages were dead-lettered than logged (see driftwatch_messages_invalid_total)',
      );
    }
    if (log) {
      this.logger.warn(
        { ...source, offset: message.offset, code: refusal.code, reason: refusal.reason },
        'message sent to the dead-letter topic',
      );
    }
    return toDeadLetter(message, source, refusal);
  }

  /** Counted without labels (model names in messages are unbounded), logged once per pair. */
  private noteWithoutBaseline(model: string, modelVersion: string, rejected: boolean): void {
    this.metrics.eventsWithoutBaseline.inc();
    const key = `${model}\u0000${modelVersion}`;
    if (this.unknownModels.size < MAX_LOGGED_UNKNOWN_MODELS && !this.unknownModels.has(key)) {
      this.unknownModels.add(key);
      this.logger.warn(
        { model, model_version: modelVersion },
        rejected
          ? 'events of a model version without a baseline go to the dead-letter topic'
          : 'events of a model version without a baseline are counted and dropped (baselines.fallback: drop)',
      );
    }
  }
}
