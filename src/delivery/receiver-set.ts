import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Notifier } from './notifiers/notifier.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { AlertTopics } from '../alerting/alert-log.js';
import { ReceiverConsumer } from './receiver-consumer.js';
import {
  createNotifier,
  receiverContextOf,
  settingsOf,
  type ReceiverContext,
  type ReceiverSettings,
} from './receivers.js';
import type { LoadedRules } from '../rules/rules-file.js';

export interface BuiltReceiver {
  notifier: Notifier;
  settings: ReceiverSettings;
}

export interface ReceiverSetDeps {
  config: Config & { alerts: NonNullable<Config['alerts']> };
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  metrics: DaemonMetrics;
  logger: Logger;
  topics: AlertTopics;
  /** A receiver's consumer crashed for good: the daemon stops (exit code 1). */
  onFatal: (err: unknown) => void;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The running receivers: one durable consumer of the alert log each, by receiver name. */
export class ReceiverSet {
  private readonly deps: ReceiverSetDeps;
  private readonly consumers = new Map<string, ReceiverConsumer>();

  constructor(deps: ReceiverSetDeps) {
    this.deps = deps;
  }

  private context(): ReceiverContext {
    return {
      ...receiverContextOf(this.deps.config, this.deps.env ?? process.env),
      onRepostFailure: (receiver, error, alerts) => {
        this.deps.metrics.notificationFailures.inc({ receiver });
        this.deps.logger.warn(
          { receiver, error, alerts },
          'alertmanager re-post failed; trying again at the next interval',
        );
      },
    };
  }

  /** Constructs every receiver of the rules (secrets read); throws when one cannot be. */
  build(loaded: LoadedRules): Map<string, BuiltReceiver> {
    const ctx = this.context();
    return new Map(
      Object.entries(loaded.receivers).map(([name, spec]) => [
        name,
        { notifier: createNotifier(name, spec, ctx), settings: settingsOf(name, spec, ctx) },
      ]),
    );
  }

  async start(name: string, { notifier, settings }: BuiltReceiver): Promise<void> {
    const { config, kafka, admin, producer, metrics, logger, topics } = this.deps;
    const consumer = new ReceiverConsumer(
      {
        kafka,
        admin,
        producer,
        groupId: config.kafka.groupId,
        topic: topics.topic,
        deadLetterTopic: topics.deadLetterTopic,
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
   * Starts the receivers not running yet; the names started. When one cannot start, the ones
   * started here are stopped again, the other notifiers closed, and the error rethrown.
   */
  async startNew(notifiers: Map<string, BuiltReceiver>): Promise<Set<string>> {
    const started = new Set<string>();
    try {
      for (const [name, n] of notifiers) {
        if (this.consumers.has(name)) continue;
        started.add(name);
        await this.start(name, n);
      }
    } catch (err) {
      for (const name of started) {
        const consumer = this.consumers.get(name);
        this.consumers.delete(name);
        await consumer?.stop().catch(() => undefined);
      }
      for (const [name, n] of notifiers) if (!started.has(name)) void n.notifier.close();
      throw err;
    }
    return started;
  }

  /**
   * Brings the receivers running before a reload (all but `started`) in line with it: removed
   * ones stop, changed ones take the new settings, unchanged ones are re-enabled.
   */
  async reconcile(notifiers: Map<string, BuiltReceiver>, started: Set<string>): Promise<void> {
    const { logger } = this.deps;
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
  }

  /** State older than the alert log's retention is gone after a restart: say so up front. */
  warnAboutRetention(loaded: LoadedRules): void {
    const retention = this.deps.topics.retentionMs;
    for (const [name, spec] of Object.entries(loaded.receivers)) {
      if (spec.type === 'retrain' && spec.cooldown > retention) {
        this.deps.logger.warn(
          { receiver: name, cooldownMs: spec.cooldown, retentionMs: retention },
          'retrain cooldown is longer than alerts.retention: a restart after the retention forgets the last request',
        );
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
  }
}
