import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Point } from '@influxdata/influxdb-client';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { AlertEngine, type StepOutput } from '../../alerts/engine.js';
import type { AlertNotification, DriftObservation } from '../../alerts/model.js';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/schema.js';
import { isPermanentInfluxRejection } from '../daemon/failures.js';
import { retryUntilSuccess } from '../daemon/retry.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { InfluxSink } from '../sinks/influx.js';
import { toTransitionPoint } from '../sinks/influx-alerts.js';
import type { WindowPoint } from '../windows/evaluate.js';
import {
  alertLogMessages,
  alertTopicsFor,
  ensureAlertTopics,
  readAlertLog,
  type AlertTopics,
} from './alert-log.js';
import { AlertLogFenced, AlertLogWriter } from './alert-log-writer.js';
import { PendingWrites } from './pending-writes.js';
import { ReceiverConsumer } from './receiver-consumer.js';
import type { Notifier } from '../../alerts/notifiers/notifier.js';
import {
  createNotifier,
  mailDomainFor,
  settingsOf,
  type ReceiverContext,
  type ReceiverSettings,
} from './receivers.js';
import { finiteOrNull, summaryObservation, type ObservationBase } from './observation.js';
import { loadRulesFile, type LoadedRules } from './rules-file.js';

class TransitionsRejected extends Error {
  constructor(cause: unknown) {
    super('InfluxDB rejected the alert transitions', { cause });
    this.name = 'TransitionsRejected';
  }
}

interface BuiltReceiver {
  notifier: Notifier;
  settings: ReceiverSettings;
}

/**
 * One evaluation's output, serialised when evaluated (the engine's objects change later) and
 * kept until durable: transition points (InfluxDB), then the alert-log records.
 */
interface PendingEvaluation {
  points: Point[];
  transitionsWritten: boolean;
  messages: Message[];
  /** For the metrics and logs once written. */
  transitions: {
    labels: { rule: string; severity: string; to: string };
    log: Record<string, unknown> | undefined;
  }[];
  notifications: {
    id: string;
    kind: AlertNotification['kind'];
    receivers: string[];
    alerts: number;
    group: AlertNotification['groupLabels'];
  }[];
}

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

/** A drift point as rules read it; the backtest builds the same from InfluxDB rows. */
export function toObservation(p: WindowPoint): DriftObservation {
  const common: ObservationBase = {
    model: p.model,
    modelVersion: p.modelVersion,
    feature: p.feature,
    window: formatDuration(p.windowEnd - p.windowStart),
    baseline: p.baselineHash,
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
    n: p.n,
    missing: p.missing,
  };
  if (p.kind === 'summary') return summaryObservation(common, p.unseen ?? null);
  return {
    ...common,
    method: p.method,
    status: p.status,
    statistic: finiteOrNull(p.statistic),
    pValue: finiteOrNull(p.pValue),
    adjustedPValue: finiteOrNull(p.adjustedPValue),
    threshold: p.threshold,
    drifted: p.drifted,
    unseen: p.unseen ?? null,
  };
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
  private loaded: LoadedRules;
  private readonly consumers = new Map<string, ReceiverConsumer>();
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reloads: Promise<unknown> = Promise.resolve();
  private readonly writer: AlertLogWriter;
  private readonly pending = new PendingWrites<PendingEvaluation>();

  private constructor(deps: AlertingDeps, loaded: LoadedRules) {
    this.deps = deps;
    this.loaded = loaded;
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
  }

  /** Loads the rules (invalid → start-up error), rebuilds state from Kafka, starts receivers. */
  static async start(deps: AlertingDeps): Promise<Alerting> {
    const loaded = loadRulesFile(deps.config.alerts.rules);
    const alerting = new Alerting(deps, loaded);
    // Every receiver is constructed (secrets read) before anything starts.
    const notifiers = alerting.notifiersFor(loaded);
    await ensureAlertTopics(deps.admin, alerting.topics);
    // Before the restore: taking over the transactional id fences an older daemon of this
    // group (a rolling deploy) and aborts its open transaction, so the log read next is one
    // nobody else writes to anymore.
    await alerting.writer.connect();
    try {
      const restored = await readAlertLog(
        deps.kafka,
        deps.admin,
        alerting.topics.topic,
        (key, value) => alerting.engine.restore(key, value),
        deps.logger,
      );
      deps.logger.info(
        { topic: alerting.topics.topic, ...restored, rules: loaded.rules.length },
        'alert state restored from the alert log',
      );
      for (const [name, notifier] of notifiers) await alerting.startConsumer(name, notifier);
    } catch (err) {
      await alerting.stop().catch(() => undefined);
      throw err;
    }
    deps.metrics.rulesLoaded.set(loaded.rules.length);
    alerting.warnAboutRetention(loaded);
    alerting.updateGauges();
    alerting.watchRulesFile();
    return alerting;
  }

  private context(): ReceiverContext {
    const { config } = this.deps;
    return {
      smtp: config.smtp,
      smtpPassword: config.secrets.smtpPassword,
      source: config.alerts.source,
      mailDomain: mailDomainFor(config),
      env: this.deps.env ?? process.env,
      rulesFile: config.alerts.rules,
    };
  }

  private notifiersFor(loaded: LoadedRules): Map<string, BuiltReceiver> {
    const ctx = this.context();
    return new Map(
      Object.entries(loaded.receivers).map(([name, spec]) => [
        name,
        { notifier: createNotifier(name, spec, ctx), settings: settingsOf(name, spec, ctx) },
      ]),
    );
  }

  private async startConsumer(name: string, { notifier, settings }: BuiltReceiver): Promise<void> {
    const { config, kafka, admin, producer, metrics, logger } = this.deps;
    const consumer = new ReceiverConsumer(
      {
        kafka,
        admin,
        producer,
        groupId: config.kafka.groupId,
        topic: this.topics.topic,
        deadLetterTopic: this.topics.deadLetterTopic,
        retry: { baseMs: config.alerts.retryInitialDelay, capMs: config.alerts.retryMaxDelay },
        metrics,
        logger,
        onFatal: this.deps.onFatal,
      },
      notifier,
      settings,
    );
    this.consumers.set(name, consumer);
    await consumer.start();
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
    const retry = (what: string, fn: () => Promise<void>) =>
      retryUntilSuccess(fn, {
        what,
        isPermanent: (err) => err instanceof TransitionsRejected || err instanceof AlertLogFenced,
        between: heartbeat,
        shouldStop: isStopping,
        onFailure: (err, attempt, retryInMs) => {
          metrics.alertLogFailures.inc();
          logger.error(
            { err, attempt, retryInMs },
            `${what} failed; consumption waits and retries`,
          );
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
    const measurement = this.deps.config.alerts.measurement;
    return {
      points: out.transitions.map((t) => toTransitionPoint(t, measurement)),
      transitionsWritten: out.transitions.length === 0,
      messages: alertLogMessages(out.notifications, changes),
      transitions: out.transitions.map((t) => ({
        labels: { rule: t.rule, severity: t.severity, to: t.to },
        log:
          t.to === 'firing' || t.to === 'resolved'
            ? {
                rule: t.rule,
                model: t.model,
                model_version: t.modelVersion,
                feature: t.feature,
                method: t.method,
                from: t.from,
                to: t.to,
                value: t.value,
                episode: t.episodeId,
              }
            : undefined,
      })),
      notifications: out.notifications.map((n) => ({
        id: n.id,
        kind: n.kind,
        receivers: [...n.receivers],
        alerts: n.alerts.length,
        group: { ...n.groupLabels },
      })),
    };
  }

  /** Writes one evaluation: transitions (once), then the alert log; then counts and logs it. */
  private async write(
    e: PendingEvaluation,
    retry: (what: string, fn: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const { metrics, logger, influx } = this.deps;
    if (!e.transitionsWritten) {
      try {
        await retry('writing alert transitions to InfluxDB', async () => {
          try {
            await influx.writePoints(e.points);
          } catch (err) {
            if (isPermanentInfluxRejection(err)) throw new TransitionsRejected(err);
            throw err;
          }
        });
      } catch (err) {
        // Refused for good (e.g. older than the bucket's retention): the annotations are
        // lost, the alerts themselves are not — the alert log below still gets them.
        if (!(err instanceof TransitionsRejected)) throw err;
        metrics.influxPointsRejected.inc(e.points.length);
        logger.error(
          { err: err.cause, points: e.points.length },
          'InfluxDB refused alert transition points; they are skipped (alerts still notify)',
        );
      }
      e.transitionsWritten = true;
    }
    await retry('appending to the alert log', () => this.writer.append(e.messages));
    for (const t of e.transitions) {
      metrics.alertTransitions.inc(t.labels);
      if (t.log) logger.info(t.log, 'alert transition');
    }
    for (const n of e.notifications) {
      metrics.notificationsQueued.inc({ kind: n.kind });
      logger.info(n, 'notification queued');
    }
  }

  /** State older than the alert log's retention is gone after a restart: say so up front. */
  private warnAboutRetention(loaded: LoadedRules): void {
    const retention = this.topics.retentionMs;
    for (const [name, spec] of Object.entries(loaded.receivers)) {
      if (spec.type === 'retrain' && spec.cooldown > retention) {
        this.deps.logger.warn(
          { receiver: name, cooldownMs: spec.cooldown, retentionMs: retention },
          'retrain cooldown is longer than alerts.retention: a restart after the retention forgets the last request',
        );
      }
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

  private watchRulesFile(): void {
    const file = this.deps.config.alerts.rules;
    try {
      // The directory, not the file: editors and ConfigMap updates replace the file.
      this.watcher = watch(path.dirname(file), (_event, name) => {
        if (name !== null && name !== path.basename(file) && !name.startsWith('..')) return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => void this.reload('file change'), 300);
      });
      this.watcher.on('error', (err) =>
        this.deps.logger.warn(
          { err, file },
          'watching the rules file failed; SIGHUP still reloads',
        ),
      );
    } catch (err) {
      this.deps.logger.warn({ err, file }, 'cannot watch the rules file; SIGHUP still reloads');
    }
  }

  /**
   * Reloads the rules file; an invalid one keeps the running rules and reports every error.
   * One reload at a time (SIGHUP and a file change may coincide); never rejects.
   */
  reload(trigger: string): Promise<boolean> {
    const run = this.reloads.then(() => this.reloadNow(trigger));
    this.reloads = run;
    return run;
  }

  private async reloadNow(trigger: string): Promise<boolean> {
    if (this.stopped) return false;
    const { logger, metrics } = this.deps;
    let next: LoadedRules;
    let notifiers: Map<string, BuiltReceiver>;
    try {
      next = loadRulesFile(this.deps.config.alerts.rules);
      notifiers = this.notifiersFor(next);
    } catch (err) {
      metrics.rulesReloads.inc({ result: 'invalid' });
      logger.error(
        { trigger, error: (err as Error).message },
        'rules file reload failed: the previous rules stay in force',
      );
      return false;
    }
    // New receivers first: each commits its start (the end of the log) before the new rules
    // can name it in a notification, so it misses none.
    const started = new Set<string>();
    try {
      for (const [name, n] of notifiers) {
        if (this.consumers.has(name)) continue;
        started.add(name);
        await this.startConsumer(name, n);
      }
    } catch (err) {
      for (const name of started) {
        const consumer = this.consumers.get(name);
        this.consumers.delete(name);
        await consumer?.stop().catch(() => undefined);
      }
      for (const [name, n] of notifiers) if (!started.has(name)) void n.notifier.close();
      metrics.rulesReloads.inc({ result: 'invalid' });
      logger.error(
        { trigger, err },
        'rules file reload failed: a new receiver could not start; the previous rules stay in force',
      );
      return false;
    }
    this.engine.setRules(next.rules, next.policies);
    // Removed receivers stop only now, once no rule names them anymore.
    for (const [name, consumer] of this.consumers) {
      if (started.has(name)) continue;
      const replacement = notifiers.get(name);
      if (!replacement) {
        this.consumers.delete(name);
        await consumer
          .stop()
          .catch((err: unknown) =>
            logger.warn({ err, receiver: name }, 'stopping a removed receiver failed'),
          );
      } else if (replacement.settings.digest !== consumer.digest) {
        consumer.replace(replacement.notifier, replacement.settings);
      } else {
        consumer.enable();
        void replacement.notifier.close();
      }
    }
    this.loaded = next;
    metrics.rulesLoaded.set(next.rules.length);
    metrics.rulesReloads.inc({ result: 'ok' });
    logger.info(
      { trigger, rules: next.rules.length, receivers: Object.keys(next.receivers) },
      'rules reloaded',
    );
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    try {
      await Promise.all([...this.consumers.values()].map((c) => c.stop()));
    } finally {
      await this.writer.disconnect();
    }
  }
}
