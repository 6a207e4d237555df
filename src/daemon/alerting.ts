import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Silence } from '../../alert-engine/silence.js';
import { settleAfterOf, type Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { BatchContext } from '../shared/batch-context.js';
import type { InfluxSink } from '../sinks/influx.js';
import type { WindowPoint } from '../drift/window-points.js';
import { alertTopicsFor, ensureAlertTopics, type AlertTopics } from '../alerting/alert-log.js';
import { AlertLogWriter } from '../alerting/alert-log-writer.js';
import { AlertPartitions } from '../alerting/alert-partitions.js';
import { SilenceFeed } from '../alerting/silence-feed.js';
import { SilenceSweeper } from '../alerting/silence-sweeper.js';
import { transactionalProducer } from '../kafka/transactional-id.js';
import { ensureSilencesTopic, writeSilence } from '../alerting/silences-topic.js';
import { createSilence, expireSilence, parseNewSilence } from '../alerting/silence-record.js';
import { DriftwatchError } from '../errors.js';
import type { SilenceOperations } from './silence-api.js';
import { ReceiverSet, type BuiltReceiver } from '../delivery/receiver-set.js';
import { loadRulesFile, type LoadedRules } from '../rules/rules-file.js';
import { RulesReloader } from '../rules/rules-reload.js';
import { runbookWarnings } from '../rules/runbook-links.js';

export interface AlertingDeps {
  config: Config & { alerts: NonNullable<Config['alerts']> };
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  influx: Pick<InfluxSink, 'writePoints'>;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Q: the alert log's partition count; models are routed over it (routeModel). */
  partitions: number;
  /** The partitions this daemon evaluates from the start (their state is restored first). */
  assigned: readonly number[];
  /** A receiver's consumer crashed for good: the daemon stops (exit code 1). */
  onFatal: (err: unknown) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * The daemon's alerting: rules evaluated on every emitted window by the engine of the
 * alert-log partition the window's model is routed to, their state and notifications appended
 * to that partition before the input offsets are committed, and one durable consumer per
 * receiver delivering from every partition.
 */
export class Alerting {
  private readonly deps: AlertingDeps;
  private readonly topics: AlertTopics;
  private readonly partitions: AlertPartitions;
  private readonly receivers: ReceiverSet;
  private readonly rules: RulesReloader<BuiltReceiver>;
  /** Every silence, followed from the silences topic; the HTTP API writes through it. */
  readonly silences: SilenceFeed;
  /** Tombstones silences past alerts.silenceRetention (on the replica holding partition 0). */
  private readonly sweeper: SilenceSweeper;

  private constructor(deps: AlertingDeps, loaded: LoadedRules) {
    this.deps = deps;
    const { config } = deps;
    this.topics = alertTopicsFor(config.kafka.groupId, config.alerts);
    this.partitions = new AlertPartitions(
      {
        kafka: deps.kafka,
        admin: deps.admin,
        influx: deps.influx,
        metrics: deps.metrics,
        logger: deps.logger,
        groupId: config.kafka.groupId,
        topic: this.topics.topic,
        partitions: deps.partitions,
        windowSize: config.windows.size,
        measurement: config.alerts.measurement,
        engine: {
          dashboardUrl: config.alerts.dashboardUrl,
          runbookBaseUrl: config.alerts.runbookBaseUrl,
          // Well inside the log's retention, so live state is always in it.
          refreshAfterMs: config.alerts.retention / 4,
          forgetAfterMs: config.alerts.forgetAfter,
          delayedQualityAfterMs: config.labels ? settleAfterOf(config.labels) : 0,
        },
      },
      loaded,
    );
    this.silences = new SilenceFeed({
      kafka: deps.kafka,
      admin: deps.admin,
      topic: this.topics.silencesTopic,
      metrics: deps.metrics,
      logger: deps.logger,
      onChange: (silences) => this.partitions.setSilences(silences),
    });
    this.sweeper = new SilenceSweeper({
      feed: this.silences,
      producer: deps.producer,
      topic: this.topics.silencesTopic,
      retentionMs: config.alerts.silenceRetention,
      isSweeper: () => this.partitions.assigned.includes(0),
      metrics: deps.metrics,
      logger: deps.logger,
    });
    this.receivers = new ReceiverSet({
      config,
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
      file: config.alerts.rules,
      settleMs: config.alerts.reloadSettle,
      engine: this.partitions,
      receivers: this.receivers,
      metrics: deps.metrics,
      logger: deps.logger,
    });
  }

  /**
   * Loads the rules (invalid → start-up error), creates or checks the alert topics, takes over
   * and restores the assigned partitions, starts receivers.
   */
  static async start(deps: AlertingDeps): Promise<Alerting> {
    const loaded = loadRulesFile(deps.config.alerts.rules);
    // Links on-call would follow at 3 a.m.: said now, once, not when the first alert goes out.
    for (const warning of runbookWarnings(loaded, deps.config.alerts.runbookBaseUrl)) {
      deps.logger.warn({ rules: loaded.file }, warning);
    }
    const alerting = new Alerting(deps, loaded);
    // Every receiver is constructed (secrets read) before anything starts.
    const notifiers = alerting.receivers.build(loaded);
    await ensureAlertTopics(deps.admin, alerting.topics, deps.partitions);
    await ensureSilencesTopic(deps.admin, alerting.topics.silencesTopic);
    try {
      // Before any evaluation: a restart must hold what the silences hold.
      await alerting.silences.start();
      await alerting.fencePreviousRelease();
      // Takes over each partition's transactional id first: its previous owner (a rolling
      // deploy, a rebalance) is fenced, and the read is of a partition nobody else writes to.
      await alerting.partitions.assign(deps.assigned);
      alerting.sweeper.start();
      deps.logger.info(
        { topic: alerting.topics.topic, partitions: deps.partitions, rules: loaded.rules.length },
        'alerting ready',
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
   * Releases before the alert log was partitioned wrote it under one transactional id,
   * `<groupId>.alerts`. Taking it over once fences such a daemon still running (the old pod of
   * a rolling deploy), so it cannot append to partition 0 behind the new owner's back.
   */
  private async fencePreviousRelease(): Promise<void> {
    const { kafka, config, logger, metrics } = this.deps;
    const transactionalId = `${config.kafka.groupId}.alerts`;
    const legacy = new AlertLogWriter({
      transactionalId,
      topic: this.topics.topic,
      partition: 0,
      onRecordTooLarge: () => undefined,
      createProducer: () => transactionalProducer(kafka, transactionalId),
    });
    try {
      await legacy.takeOver();
    } catch (err) {
      // Without it only a daemon of a release before this one could still write: not fatal.
      metrics.alertLogFailures.inc();
      logger.warn(
        { err, transactionalId },
        'could not take over the transactional id of releases before the partitioned alert log (ACLs?); a daemon of such a release still running is not fenced',
      );
    } finally {
      await legacy.disconnect().catch(() => undefined);
    }
  }

  /** Q: the alert log's partition count. */
  get partitionCount(): number {
    return this.partitions.count;
  }

  /** The alert-log partitions held, ascending. */
  get assigned(): number[] {
    return this.partitions.assigned;
  }

  /** Holds exactly these alert-log partitions from now on (see AlertPartitions.assign). */
  async assign(partitions: readonly number[]): Promise<void> {
    await this.partitions.assign(partitions);
    this.sweeper.trigger();
    this.updateGauges();
  }

  /**
   * Evaluates partition q's emitted windows and advances its event time to the watermark;
   * durable before it resolves (see AlertPartition.onWindows).
   */
  async onWindows(
    q: number,
    points: readonly WindowPoint[],
    watermark: number,
    context: BatchContext,
  ): Promise<void> {
    await this.partitions.onWindows(q, points, watermark, context);
    this.updateGauges();
  }

  private updateGauges(): void {
    const { alertsActive } = this.deps.metrics;
    this.silences.updateGauge(Date.now());
    alertsActive.reset();
    for (const [key, count] of this.partitions.countByState()) {
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

  /**
   * What the HTTP API does with silences: written to the silences topic (every replica follows
   * it) and applied here at once.
   */
  get silenceOperations(): SilenceOperations {
    const { producer, logger } = this.deps;
    const topic = this.topics.silencesTopic;
    const store = async (s: Silence, what: string) => {
      await writeSilence(producer, topic, s);
      this.silences.apply(s);
      logger.info(
        {
          silence: s.id,
          matchers: s.matchers,
          startsAt: s.startsAt,
          endsAt: s.endsAt,
          createdBy: s.createdBy,
        },
        what,
      );
      return s;
    };
    return {
      list: () => this.silences.list(),
      add: (request) => store(createSilence(parseNewSilence(request), Date.now()), 'silence added'),
      expire: (id) => {
        const found = this.silences.get(id);
        if (!found) {
          return Promise.reject(
            new DriftwatchError('SILENCE_NOT_FOUND', `no silence with id ${id} in ${topic}`),
          );
        }
        return store(expireSilence(found, Date.now()), 'silence expired');
      },
    };
  }

  async stop(): Promise<void> {
    this.rules.stop();
    await this.sweeper.stop();
    try {
      await this.receivers.stop();
    } finally {
      await this.silences.stop().catch((err: unknown) => {
        this.deps.logger.warn({ err }, 'stopping the silences consumer failed');
      });
      await this.partitions.close();
    }
  }
}
