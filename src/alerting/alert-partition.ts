import type { Kafka } from 'kafkajs';
import { AlertEngine, type EngineOptions, type StepOutput } from '../../alert-engine/engine.js';
import type { AlertRule, ReceiverPolicy } from '../../alert-engine/rule.js';
import type { InhibitRule } from '../../alert-engine/inhibition.js';
import { writeSkippingRefused } from '../sinks/influx-write.js';
import type { BatchContext } from '../shared/batch-context.js';
import { retryUntilSuccess, type RetryOptions } from '../shared/retry.js';
import { preview } from '../shared/untrusted-text.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { InfluxSink } from '../sinks/influx.js';
import type { WindowPoint } from '../drift/window-points.js';
import { AlertLogFenced, AlertLogWriter } from './alert-log-writer.js';
import { transactionalProducer } from '../kafka/transactional-id.js';
import { toObservation } from './observation.js';
import { serialiseEvaluation, type PendingEvaluation } from './pending-evaluation.js';
import { PendingWrites } from './pending-writes.js';
import type { VersionPolicy } from '../../alert-engine/versions.js';

type AlertWriteRetry = Omit<RetryOptions, 'what' | 'isPermanent'>;

/** What every alert-log partition of a daemon shares. */
export interface AlertPartitionDeps {
  kafka: Kafka;
  influx: Pick<InfluxSink, 'writePoints'>;
  metrics: DaemonMetrics;
  logger: Logger;
  /** kafka.groupId: partition q's transactional id is `<groupId>.alerts.<q>`. */
  groupId: string;
  /** The alert log. */
  topic: string;
  /** windows.size: the engine's clock moves in whole windows. */
  windowSize: number;
  /** alerts.measurement, for the transition points. */
  measurement: string;
  engine: Omit<EngineOptions, 'groupScope'>;
}

export interface RuleSet {
  rules: readonly AlertRule[];
  policies: readonly ReceiverPolicy[];
  inhibitions?: readonly InhibitRule[];
  versions?: VersionPolicy;
}

/** The transactional id of partition q's writer: one owner per partition, the last fencing. */
export function alertLogTransactionalId(groupId: string, partition: number): string {
  return `${groupId}.alerts.${partition}`;
}

/**
 * The alert state of the models routed to one alert-log partition: their engine, and the
 * writer that alone appends to that partition. Its state is rebuilt from the partition (see
 * AlertPartitions.assign) before the first evaluation.
 */
export class AlertPartition {
  readonly partition: number;
  readonly engine: AlertEngine;
  readonly writer: AlertLogWriter;
  private readonly deps: AlertPartitionDeps;
  private readonly pending = new PendingWrites<PendingEvaluation>();

  /** `scoped`: other partitions exist, so groups not by model are this partition's own. */
  constructor(deps: AlertPartitionDeps, partition: number, rules: RuleSet, scoped: boolean) {
    this.deps = deps;
    this.partition = partition;
    const transactionalId = alertLogTransactionalId(deps.groupId, partition);
    this.writer = new AlertLogWriter({
      transactionalId,
      topic: deps.topic,
      partition,
      onRecordTooLarge: (err) => {
        // Notifications list a bounded number of alerts: this is a bug, not an outage.
        deps.metrics.alertLogFailures.inc();
        deps.logger.fatal(
          { err: err.cause, key: err.key, bytes: err.bytes, partition },
          'BUG: an alert-log record is too large for the broker even on its own; it is left out (please report this), the rest of the evaluation is written',
        );
      },
      createProducer: () => transactionalProducer(deps.kafka, transactionalId),
    });
    this.engine = new AlertEngine(
      rules.rules,
      rules.policies,
      { ...deps.engine, groupScope: scoped ? String(partition) : undefined },
      rules,
    );
  }

  /**
   * Evaluates the rules on this partition's emitted windows and advances event time to the
   * watermark; durable (InfluxDB transitions, then the alert log) before it resolves. Retries
   * until then. Output an earlier call could not write (its error escaped, e.g. a rebalance) is
   * written first: the engine already moved past those windows and will not evaluate them
   * again. Calls must not overlap.
   */
  async onWindows(
    points: readonly WindowPoint[],
    watermark: number,
    context: BatchContext,
  ): Promise<void> {
    const evaluation = this.evaluate(points, watermark);
    if (evaluation) this.pending.push(evaluation);
    if (this.pending.size === 0) return;
    const { metrics, logger } = this.deps;
    const partition = this.partition;
    const retry = (what: string): AlertWriteRetry => ({
      context,
      onFailure: (err, attempt, retryInMs) => {
        metrics.alertLogFailures.inc();
        logger.error(
          { err, attempt, retryInMs, partition },
          `${what} failed; consumption waits and retries`,
        );
      },
    });
    await this.pending.writeAll((e) => this.write(e, retry));
  }

  /** Runs the engine; its output serialised now, or undefined when nothing changed. */
  private evaluate(
    points: readonly WindowPoint[],
    watermark: number,
  ): PendingEvaluation | undefined {
    const evaluated = this.engine.evaluate(points.map(toObservation));
    // The clock moves in whole windows (the last window end the watermark passed), as in
    // `rules backtest`: the same windows give the same notifications at the same times.
    const size = this.deps.windowSize;
    const ticked = Number.isFinite(watermark)
      ? this.engine.tick(Math.floor(watermark / size) * size)
      : undefined;
    const out: StepOutput = {
      transitions: [...evaluated.transitions, ...(ticked?.transitions ?? [])],
      notifications: [...evaluated.notifications, ...(ticked?.notifications ?? [])],
      silenced: [...evaluated.silenced, ...(ticked?.silenced ?? [])],
    };
    const changes = this.engine.takeChanges();
    if (changes.length === 0 && out.transitions.length === 0 && out.notifications.length === 0) {
      return undefined;
    }
    return serialiseEvaluation(out, changes, this.deps.measurement);
  }

  /** Writes one evaluation: transitions (once), then the alert log; then counts and logs it. */
  private async write(
    e: PendingEvaluation,
    retry: (what: string) => AlertWriteRetry,
  ): Promise<void> {
    const { metrics, logger, influx } = this.deps;
    if (!e.transitionsWritten) {
      // A transition InfluxDB refuses for good (e.g. older than the bucket's retention) loses
      // its annotation, not its alert: the alert log below still gets it.
      await writeSkippingRefused(e.points, {
        what: 'alert transition points',
        write: (batch) => influx.writePoints(batch),
        // Measurement and tags come first in a line (tags sorted): the point's identity.
        identify: (point) => ({ line: preview(point.toLineProtocol() ?? '', 300) }),
        retry: retry('writing alert transitions to InfluxDB'),
        metrics,
        logger,
      });
      e.transitionsWritten = true;
    }
    const what = 'appending to the alert log';
    await retryUntilSuccess(() => this.writer.append(e.messages), {
      ...retry(what),
      what,
      isPermanent: (err) => err instanceof AlertLogFenced,
    });
    for (const t of e.transitions) {
      metrics.alertTransitions.inc(t.labels);
      if (t.log) logger.info(t.log, 'alert transition');
    }
    for (const a of e.silenced) metrics.alertsSilenced.inc({ rule: a.rule });
    for (const n of e.notifications) {
      metrics.notificationsQueued.inc({ kind: n.kind });
      logger.info({ ...n, partition: this.partition }, 'notification queued');
    }
  }

  /** Stops writing: the partition went to another owner (or the daemon stops). */
  close(): Promise<void> {
    return this.writer.disconnect();
  }
}
