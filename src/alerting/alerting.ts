import type { Admin, Kafka, Producer } from 'kafkajs';
import { AlertEngine, type StepOutput } from '../../alerts/engine.js';
import type { Config } from '../config/schema.js';
import { writeSkippingRefused } from '../daemon/influx-write.js';
import { preview } from '../ingest/limits.js';
import { retryUntilSuccess, type RetryOptions } from '../daemon/retry.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { InfluxSink } from '../sinks/influx.js';
import type { WindowPoint } from '../windows/evaluate.js';
import {
  alertTopicsFor,
  ensureAlertTopics,
  restoreAlertLog,
  type AlertTopics,
} from './alert-log.js';
import { AlertLogFenced, AlertLogWriter } from './alert-log-writer.js';
import { toObservation } from './observation.js';
import { serialiseEvaluation, type PendingEvaluation } from './pending-evaluation.js';
import { PendingWrites } from './pending-writes.js';
import { ReceiverSet } from './receiver-set.js';
import { loadRulesFile, type LoadedRules } from './rules-file.js';
import { RulesReloader } from './rules-reload.js';

// Lives with the other observation helpers; re-exported for this module's existing users.
export { toObservation };

type AlertWriteRetry = Omit<RetryOptions, 'what' | 'isPermanent'>;

export interface AlertingDeps {
  config: Config & { alerts: NonNullable<Config['alerts']> };
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  influx: InfluxSink;
  metrics: DaemonMetrics;
  logger: Logger;
  /** A receiver's consumer crashed for good: the daemon stops (exit code 1). */
  onFatal: (err: unknown) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * The daemon's alerting: rules evaluated on every emitted window, their state and
 * notifications appended to the alert log before the input offsets are committed, and one
 * durable consumer per receiver delivering from it.
 */
export class Alerting {
  private readonly deps: AlertingDeps;
  private readonly topics: AlertTopics;
  private readonly engine: AlertEngine;
  private readonly receivers: ReceiverSet;
  private readonly rules: RulesReloader;
  private readonly writer: AlertLogWriter;
  private readonly pending = new PendingWrites<PendingEvaluation>();

  private constructor(deps: AlertingDeps, loaded: LoadedRules) {
    this.deps = deps;
    this.topics = alertTopicsFor(deps.config.kafka.groupId, deps.config.alerts);
    const transactionalId = `${deps.config.kafka.groupId}.alerts`;
    this.writer = new AlertLogWriter({
      transactionalId,
      topic: this.topics.topic,
      onRecordTooLarge: (err) => {
        // Notifications list a bounded number of alerts: this is a bug, not an outage.
        deps.metrics.alertLogFailures.inc();
        deps.logger.fatal(
          { err: err.cause, key: err.key, bytes: err.bytes },
          'BUG: an alert-log record is too large for the broker even on its own; it is left out (please report this), the rest of the evaluation is written',
        );
      },
      createProducer: () =>
        deps.kafka.producer({
          transactionalId,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }),
    });
    this.engine = new AlertEngine(loaded.rules, loaded.policies, {
      dashboardUrl: deps.config.alerts.dashboardUrl,
      // Well inside the log's retention, so live state is always in it.
      refreshAfterMs: deps.config.alerts.retention / 4,
      forgetAfterMs: deps.config.alerts.forgetAfter,
    });
    this.receivers = new ReceiverSet({
      config: deps.config,
      kafka: deps.kafka,
      admin: deps.admin,
      producer: deps.producer,
      metrics: deps.metrics,
      logger: deps.logger,
      topics: this.topics,
      onFatal: deps.onFatal,
      env: deps.env,
    });
    this.rules = new RulesReloader({
      file: deps.config.alerts.rules,
      settleMs: deps.config.alerts.reloadSettle,
      engine: this.engine,
      receivers: this.receivers,
      metrics: deps.metrics,
      logger: deps.logger,
    });
  }

  /** Loads the rules (invalid → start-up error), rebuilds state from Kafka, starts receivers. */
  static async start(deps: AlertingDeps): Promise<Alerting> {
    const loaded = loadRulesFile(deps.config.alerts.rules);
    const alerting = new Alerting(deps, loaded);
    // Every receiver is constructed (secrets read) before anything starts.
    const notifiers = alerting.receivers.build(loaded);
    await ensureAlertTopics(deps.admin, alerting.topics);
    try {
      // Takes over the transactional id first: an older daemon of this group (a rolling
      // deploy) is fenced, and the log read is one nobody else writes to, its commits whole.
      const restored = await restoreAlertLog(
        {
          kafka: deps.kafka,
          admin: deps.admin,
          writer: alerting.writer,
          topic: alerting.topics.topic,
        },
        (key, value) => alerting.engine.restore(key, value),
        deps.logger,
      );
      deps.logger.info(
        { topic: alerting.topics.topic, ...restored, rules: loaded.rules.length },
        'alert state restored from the alert log',
      );
      for (const [name, notifier] of notifiers) await alerting.receivers.start(name, notifier);
    } catch (err) {
      await alerting.stop().catch(() => undefined);
      throw err;
    }
    deps.metrics.rulesLoaded.set(loaded.rules.length);
    alerting.receivers.warnAboutRetention(loaded);
    alerting.updateGauges();
    alerting.rules.watch();
    return alerting;
  }

  /**
   * Evaluates the rules on emitted windows and advances event time to the watermark; durable
   * (InfluxDB transitions, then the alert log) before it resolves. Retries until then. Output
   * an earlier call could not write (its error escaped, e.g. a rebalance) is written first:
   * the engine already moved past those windows and will not evaluate them again.
   */
  async onWindows(
    points: readonly WindowPoint[],
    watermark: number,
    heartbeat: () => Promise<void>,
    isStopping: () => boolean,
  ): Promise<void> {
    const evaluation = this.evaluate(points, watermark);
    if (evaluation) this.pending.push(evaluation);
    if (this.pending.size === 0) return;
    const { metrics, logger } = this.deps;
    const retry = (what: string): AlertWriteRetry => ({
      between: heartbeat,
      shouldStop: isStopping,
      onFailure: (err, attempt, retryInMs) => {
        metrics.alertLogFailures.inc();
        logger.error({ err, attempt, retryInMs }, `${what} failed; consumption waits and retries`);
      },
    });
    await this.pending.writeAll((e) => this.write(e, retry));
    this.updateGauges();
  }

  /** Runs the engine; its output serialised now, or undefined when nothing changed. */
  private evaluate(
    points: readonly WindowPoint[],
    watermark: number,
  ): PendingEvaluation | undefined {
    const evaluated = this.engine.evaluate(points.map(toObservation));
    // The clock moves in whole windows (the last window end the watermark passed), as in
    // `rules backtest`: the same windows give the same notifications at the same times.
    const size = this.deps.config.windows.size;
    const ticked = Number.isFinite(watermark)
      ? this.engine.tick(Math.floor(watermark / size) * size)
      : undefined;
    const out: StepOutput = {
      transitions: [...evaluated.transitions, ...(ticked?.transitions ?? [])],
      notifications: [...evaluated.notifications, ...(ticked?.notifications ?? [])],
    };
    const changes = this.engine.takeChanges();
    if (changes.length === 0 && out.transitions.length === 0 && out.notifications.length === 0) {
      return undefined;
    }
    return serialiseEvaluation(out, changes, this.deps.config.alerts.measurement);
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
    for (const n of e.notifications) {
      metrics.notificationsQueued.inc({ kind: n.kind });
      logger.info(n, 'notification queued');
    }
  }

  private updateGauges(): void {
    const { alertsActive } = this.deps.metrics;
    alertsActive.reset();
    for (const [key, count] of this.engine.countByState()) {
      const [rule = '', severity = '', state = ''] = key.split('\u0000');
      if (state !== 'inactive') alertsActive.set({ rule, severity, state }, count);
    }
  }

  /**
   * Reloads the rules file; an invalid one keeps the running rules and reports every error.
   * One reload at a time (SIGHUP and a file change may coincide); never rejects.
   */
  reload(trigger: string): Promise<boolean> {
    return this.rules.reload(trigger);
  }

  async stop(): Promise<void> {
    this.rules.stop();
    try {
      await this.receivers.stop();
    } finally {
      await this.writer.disconnect();
    }
  }
}
