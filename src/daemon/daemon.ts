import type { Server } from 'node:http';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config/schema.js';
import { createKafkaClient } from '../kafka/client.js';
import { partialsConsumerOptions, predictionConsumerOptions } from '../kafka/consumer-options.js';
import { isRebalanceError } from '../kafka/failures.js';
import type { Logger } from '../logger.js';
import { DaemonMetrics } from '../metrics.js';
import { loadRulesFile } from '../rules/rules-file.js';
import type { SchemaRegistryClient } from '../schema-registry/client.js';
import { schemaRegistryClientOf } from '../schema-registry/reach.js';
import { StoppedWhileRetrying } from '../shared/retry.js';
import { InfluxSink } from '../sinks/influx.js';
import { influxTargetOf } from '../sinks/influx-client.js';
import { Alerting } from './alerting.js';
import { apiTokenFromEnv } from './api-token.js';
import { baselineStoreOf, loadBaselinesAtStart, startBaselineReload } from './baseline-reload.js';
import { DelayedLabels } from './delayed-labels.js';
import { serveDaemonHttp } from './http-server.js';
import { DaemonLifecycle } from './lifecycle.js';
import { checkServices, setUpKafka } from './services-setup.js';
import { StageRunner } from './stage-runner.js';

/**
 * The running daemon: Kafka in, InfluxDB out, /metrics and /healthz on the side. Its life is
 * one state (lifecycle.ts): starting → running → stopping → stopped, or failed.
 */
export class Daemon {
  readonly metrics: DaemonMetrics;
  /** Resolves with the process exit code once the daemon `start` returned has stopped. */
  readonly finished: Promise<number>;
  httpPort = 0;
  private readonly config: Config;
  /** DRIFTWATCH_API_TOKEN, checked before anything starts; never logged. */
  private readonly apiToken: string | undefined;
  private readonly logger: Logger;
  private readonly lifecycle = new DaemonLifecycle();
  /** Start-up's steps as they run: a stop during start-up waits for them to give up. */
  private startUp: Promise<void> = Promise.resolve();
  /** Stage 1: the input topics. */
  private readonly consumer: Consumer;
  /** Stage 2: the partials topic. */
  private readonly evaluator: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly kafka: Kafka;
  /** The schema registry of `input.format: schema-registry`, when configured. */
  private readonly registry: SchemaRegistryClient | undefined;
  private server: Server | undefined;
  private alerting: Alerting | undefined;
  private stages: StageRunner | undefined;
  private labels: DelayedLabels | undefined;
  private finish!: (code: number) => void;
  private stopReload: () => void = () => undefined;

  private constructor(
    config: Config,
    logger: Logger,
    metrics: DaemonMetrics,
    apiToken: string | undefined,
  ) {
    this.config = config;
    this.apiToken = apiToken;
    this.logger = logger;
    this.metrics = metrics;
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const kafka = (this.kafka = createKafkaClient(config, { logger }));
    this.admin = kafka.admin();
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    this.consumer = kafka.consumer(predictionConsumerOptions(config.kafka));
    this.evaluator = kafka.consumer(partialsConsumerOptions(config.kafka));
    this.registry = schemaRegistryClientOf(config);
  }

  /**
   * Starts the daemon. `stopSignal` may fire at any moment, also during start-up (a replica
   * scaled down while it joins the group): start-up then gives up at its next step and the
   * daemon stops gracefully, exit code 0, instead of dying by the signal. A start-up that
   * throws otherwise disconnects what it reached and rethrows.
   */
  static async start(
    config: Config,
    logger: Logger,
    metrics = new DaemonMetrics(),
    stopSignal?: AbortSignal,
  ): Promise<Daemon> {
    // A too-short API token stops the start before any connection (API_TOKEN_TOO_SHORT).
    const daemon = new Daemon(config, logger, metrics, apiTokenFromEnv());
    daemon.startUp = daemon.bringUp();
    if (stopSignal?.aborted) void daemon.stop();
    else stopSignal?.addEventListener('abort', () => void daemon.stop(), { once: true });
    try {
      await daemon.startUp;
    } catch (err) {
      if (daemon.lifecycle.stop(0)) {
        await daemon.disconnectAll();
        daemon.lifecycle.stopped();
        throw err;
      }
      logger.debug({ err }, 'start-up interrupted by the stop');
    }
    daemon.lifecycle.started();
    return daemon;
  }

  /** Start-up, step by step: after each step that waits, it gives up if a stop came meanwhile. */
  private async bringUp(): Promise<void> {
    const { config, logger, metrics, lifecycle } = this;
    const isStopping = () => lifecycle.stopping;
    // Serving first: /healthz and /metrics answer while the baselines are scanned.
    await this.serveHttp();
    const baselines = baselineStoreOf(config.baselines);
    await loadBaselinesAtStart(baselines, logger, metrics);
    // Local files before the network: an unreadable or invalid rules file stops the start now,
    // not once Kafka answered (or after 30 s of waiting for it). Alerting reads it again.
    if (config.alerts) loadRulesFile(config.alerts.rules);
    if (lifecycle.stopping) return;
    const { reloadInterval } = config.baselines;
    this.stopReload = startBaselineReload(baselines, reloadInterval, logger, metrics);
    await checkServices(config, this.registry, isStopping);
    if (lifecycle.stopping) return;
    const setup = await setUpKafka(config, this.admin, this.producer);
    if (lifecycle.stopping) return;
    const sink = new InfluxSink(influxTargetOf(config), logger);
    const alerting = (this.alerting = config.alerts
      ? await Alerting.start({
          config: { ...config, alerts: config.alerts },
          kafka: this.kafka,
          admin: this.admin,
          producer: this.producer,
          influx: sink,
          metrics,
          logger,
          // Stage 2 assigns alert partitions with the partials partitions (same routing).
          partitions: setup.partials.count,
          assigned: [],
          onFatal: (err) =>
            this.onCrash(
              err,
              'a receiver consumer crashed and kafkajs does not restart it; exiting so the supervisor restarts the daemon',
            ),
        })
      : undefined);
    if (lifecycle.stopping) return;
    const stages = (this.stages = new StageRunner({
      config,
      kafka: this.kafka,
      admin: this.admin,
      consumers: { ingest: this.consumer, evaluate: this.evaluator },
      setup,
      baselines,
      registry: this.registry,
      sink,
      alerting,
      metrics,
      logger,
      isStopping,
      hasFailed: () => lifecycle.phase === 'failed',
      onBatchError: (err) => this.onBatchError(err),
      onCrash: (err, message) => this.onCrash(err, message),
    }));
    await stages.run();
    if (lifecycle.stopping) return;
    if (config.labels) {
      this.labels = await DelayedLabels.start({
        config: { ...config, labels: config.labels },
        kafka: this.kafka,
        partialsPartitions: setup.partials.count,
        partialsTopic: setup.partials.topic,
        writePoints: (points) => sink.write(points),
        metrics,
        logger,
        isStopping,
        onFatal: (err) => this.onBatchError(err),
      });
    }
    stages.startTimers();
    const { inputs, partials } = setup;
    logger.info(
      {
        topics: inputs.topics,
        groupId: config.kafka.groupId,
        partials: partials.topic,
        partialsPartitions: partials.count,
      },
      'consuming',
    );
  }

  private async serveHttp(): Promise<void> {
    const { server, port } = await serveDaemonHttp({
      config: this.config,
      metrics: this.metrics,
      logger: this.logger,
      health: () => {
        const { stages, lifecycle } = this;
        return {
          // Ready once both stages joined and stage 2 restored its state (alert state included).
          healthy: (stages?.ready ?? false) && !lifecycle.stopping,
          consumerJoined: (stages?.joined.ingest && stages.joined.evaluate) ?? false,
          stopping: lifecycle.stopping,
          lastBatchAt: stages?.lastBatchAt ? new Date(stages.lastBatchAt).toISOString() : null,
          messagesConsumed: stages?.ingest.messagesConsumed ?? 0,
          ...(this.registry ? { schemaRegistry: this.registry.state } : {}),
        };
      },
      token: this.apiToken,
      operations: () => this.alerting?.silenceOperations,
    });
    this.server = server;
    this.httpPort = port;
  }

  /**
   * What may escape a batch decides what happens next. A rebalance goes back to kafkajs, which
   * rejoins (the pipeline then resets to the committed state). Anything else would let kafkajs
   * continue after events whose windows were lost, so the daemon fails and a restart resumes
   * from the committed offsets — exact, if not fast.
   */
  private onBatchError(err: unknown): void {
    if (err instanceof StoppedWhileRetrying) {
      this.logger.error(
        { err },
        'stopping with results not yet durable: their offsets stay uncommitted and will be re-read',
      );
      return;
    }
    if (isRebalanceError(err)) throw err;
    this.logger.fatal({ err }, 'batch failed; exiting so a restart resumes from committed offsets');
    void this.shutdown(1, 'failed');
  }

  /** A consumer that kafkajs does not restart crashed: exit code 1, unless stopping anyway. */
  private onCrash(err: unknown, message: string): void {
    if (this.lifecycle.stopping) return;
    this.logger.fatal({ err }, message);
    void this.shutdown(1);
  }

  /** Re-reads the rules file (SIGHUP); false when there is none or it is invalid. */
  reloadRules(): Promise<boolean> {
    return this.alerting?.reload('SIGHUP') ?? Promise.resolve(false);
  }

  /** Graceful stop: finish the batch in hand (no partial window is emitted), commit, disconnect. */
  stop(): Promise<number> {
    return this.shutdown(0);
  }

  /** Enters `to` and stops; once a stop is under way, only its exit code and phase may change. */
  private async shutdown(code: number, to: 'stopping' | 'failed' = 'stopping'): Promise<number> {
    const wasStarting = this.lifecycle.phase === 'starting';
    if (!this.lifecycle.stop(code, to)) return this.finished;
    this.stopReload();
    this.stages?.stopTimers();
    this.logger.info('stopping: finishing the current batch, then committing');
    if (wasStarting) {
      // A group join in progress ends with the consumers' disconnect; start-up then returns.
      await this.disconnectAll(['consumer', 'evaluator']);
      await this.startUp.catch(() => undefined);
    }
    await this.disconnectAll();
    this.lifecycle.stopped();
    const { exitCode } = this.lifecycle;
    this.logger.info({ code: exitCode }, 'stopped');
    this.finish(exitCode);
    return exitCode;
  }

  /**
   * Stops what runs, in the order that keeps results exact: input first, then the work in hand
   * is settled and committed, then the clients and the HTTP server go. Each step's failure is
   * logged and raises the exit code; the remaining steps still run.
   */
  private async disconnectAll(only?: readonly string[]): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['consumer', () => this.consumer.disconnect()],
      ['ingest', () => this.stages?.ingest.close() ?? Promise.resolve()],
      ['evaluator', () => this.evaluator.disconnect()],
      ['evaluate', () => this.stages?.evaluate.settled() ?? Promise.resolve()],
      ['labels', () => this.labels?.stop() ?? Promise.resolve()],
      ['receivers', () => this.alerting?.stop() ?? Promise.resolve()],
      ['producer', () => this.producer.disconnect()],
      ['admin', () => this.admin.disconnect()],
      ['registry', () => Promise.resolve(this.registry?.close())],
      ['http', () => new Promise((r) => (this.server ? this.server.close(r) : r(undefined)))],
    ];
    for (const [what, step] of steps) {
      if (only && !only.includes(what)) continue;
      try {
        await step();
      } catch (err) {
        this.lifecycle.raise(1);
        this.logger.error({ err, what }, 'error while stopping');
      }
    }
  }
}
