import type { Server } from 'node:http';
import { Alerting } from '../alerting/alerting.js';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { BaselineStore } from '../baseline/store.js';
import { loadBaselinesAtStart, startBaselineReload } from './baseline-reload.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http-server.js';
import type { Logger } from '../logger.js';
import { DaemonMetrics } from '../metrics.js';
import { InfluxSink } from '../sinks/influx.js';
import { Windower } from '../windows/windower.js';
import { kafkaLogCreator } from './kafka-logging.js';
import { isRebalanceError } from './failures.js';
import {
  checkTopics,
  reachKafka,
  readGroupState,
  readLogEnds,
  sendDeadLetters,
} from './kafka-io.js';
import { predictionConsumerOptions } from './consumer-options.js';
import { alertOnWindows } from './alert-routing.js';
import { Pipeline } from './pipeline.js';
import { StoppedWhileRetrying } from './retry.js';
import { driftSettingsFrom } from '../windows/evaluate.js';

/** The running daemon: Kafka in, InfluxDB out, /metrics and /healthz on the side. */
export class Daemon {
  readonly metrics: DaemonMetrics;
  /** Resolves with the process exit code once the daemon has stopped. */
  readonly finished: Promise<number>;
  httpPort = 0;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly kafka: Kafka;
  private alerting: Alerting | undefined;
  private server: Server | undefined;
  private pipeline: Pipeline | undefined;
  private stopping = false;
  private failed = false;
  private exitCode = 0;
  private joined = false;
  private lastBatchAt: number | undefined;
  private finish!: (code: number) => void;
  private stopReload: () => void = () => undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  private constructor(config: Config, logger: Logger, metrics: DaemonMetrics) {
    this.config = config;
    this.logger = logger;
    this.metrics = metrics;
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const kafka = (this.kafka = new Kafka({
      clientId: config.kafka.clientId,
      brokers: config.kafka.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(logger),
    }));
    this.admin = kafka.admin();
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    this.consumer = kafka.consumer(predictionConsumerOptions(config.kafka));
  }

  static async start(
    config: Config,
    logger: Logger,
    metrics = new DaemonMetrics(),
  ): Promise<Daemon> {
    const daemon = new Daemon(config, logger, metrics);
    // Serving first: /healthz and /metrics answer while the baselines are scanned.
    await daemon.serveHttp();
    const { dir, fallback, maxFileSize } = config.baselines;
    const baselines = new BaselineStore(
      dir,
      typeof fallback === 'string' ? { mode: fallback } : { mode: 'version', ...fallback },
      maxFileSize,
    );
    try {
      await loadBaselinesAtStart(baselines, logger, metrics);
    } catch (err) {
      await new Promise((r) => (daemon.server ? daemon.server.close(r) : r(undefined)));
      throw err;
    }
    daemon.stopReload = startBaselineReload(
      baselines,
      config.baselines.reloadInterval,
      logger,
      metrics,
    );
    await daemon.run(baselines);
    return daemon;
  }

  private async serveHttp(): Promise<void> {
    const { config, logger, metrics } = this;
    const { server, port } = await startHttpServer(
      config.http.host,
      config.http.port,
      metrics.registry,
      () => ({
        healthy: this.joined && !this.stopping,
        consumerJoined: this.joined,
        stopping: this.stopping,
        lastBatchAt: this.lastBatchAt ? new Date(this.lastBatchAt).toISOString() : null,
        messagesConsumed: this.pipeline?.messagesConsumed ?? 0,
      }),
    );
    this.server = server;
    this.httpPort = port;
    logger.info({ host: config.http.host, port }, 'serving /metrics and /healthz');
  }

  private async run(baselines: BaselineStore): Promise<void> {
    const { config, logger, metrics } = this;
    const tickMs = idleTickMs(config.windows.idleTimeout);
    const windower = new Windower(
      config.windows.size,
      config.windows.allowedLateness,
      baselines,
      config.windows.idleTimeout,
      // A probe proves "nothing to read" only for a while: if probes stop (Kafka unreachable),
      // partitions stop counting as idle and windows wait instead of dropping events as late.
      Math.max(config.windows.idleTimeout, 4 * tickMs),
    );
    const allPartitions = await reachKafka(config.kafka.brokers, async () => {
      await this.admin.connect();
      const partitions = await checkTopics(this.admin, config.kafka);
      await this.producer.connect();
      return partitions;
    });
    windower.setPartitions(allPartitions);

    const sink = new InfluxSink({ ...config.influx, token: config.secrets.influxToken }, logger);
    const alerts = config.alerts;
    const alerting = (this.alerting = alerts
      ? await Alerting.start({
          config: { ...config, alerts },
          kafka: this.kafka,
          admin: this.admin,
          producer: this.producer,
          influx: sink,
          metrics,
          logger,
          // Until the evaluate stage lands: one alert-log partition per input partition, all
          // held here (one daemon per consumer group), the windows routed by model.
          partitions: allPartitions.length,
          assigned: allPartitions.map((_, q) => q),
          onFatal: (err) => {
            if (this.stopping) return;
            logger.fatal(
              { err },
              'a receiver consumer crashed and kafkajs does not restart it; exiting so the supervisor restarts the daemon',
            );
            void this.shutdown(1);
          },
        })
      : undefined);
    const pipeline = (this.pipeline = new Pipeline({
      windower,
      drift: driftSettingsFrom(config.drift),
      maxFutureSkewMs: config.windows.maxFutureSkew,
      metrics,
      logger,
      writeResults: (results) => sink.write(results),
      ...(alerting
        ? {
            onEmitted: (results, watermark, heartbeat) =>
              alertOnWindows(alerting, results, watermark, heartbeat, () => this.stopping),
          }
        : {}),
      sendDeadLetters: (messages) =>
        sendDeadLetters(this.producer, config.kafka.deadLetterTopic, messages),
      fetchGroupState: (assigned) => readGroupState(this.admin, config.kafka, assigned, logger),
      seek: (partition, offset) =>
        this.consumer.seek({ topic: config.kafka.topic, partition, offset: String(offset) }),
      topic: config.kafka.topic,
      readLogEnds: () => readLogEnds(this.admin, config.kafka.topic),
      commitOffsets: (topic, partitions) =>
        this.consumer.commitOffsets(partitions.map((p) => ({ topic, ...p }))),
      isStopping: () => this.stopping,
    }));

    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      const assigned = e.payload.memberAssignment[config.kafka.topic] ?? [];
      pipeline.onGroupJoin(assigned);
      metrics.partitionsAssigned.set(assigned.length);
      logger.info({ assigned, partitions: allPartitions.length }, 'joined consumer group');
      if (assigned.length < allPartitions.length) {
        logger.warn(
          { assigned, partitions: allPartitions },
          'this instance holds only some partitions of the topic: windows wait until one instance holds them all (one daemon per consumer group for now)',
        );
      }
    });
    // Batches of transaction markers only never reach eachBatch, but reading moved past them.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, offsetLag, highWatermark, lastOffset } = e.payload;
      if (topic !== config.kafka.topic || batchSize !== 0) return;
      pipeline.onMarkersRead(
        partition,
        offsetLag === '0' ? Number(highWatermark) : Number(lastOffset) + 1,
      );
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (this.stopping) return;
      logger.fatal(
        { err: e.payload.error },
        'Kafka consumer crashed; exiting so the supervisor restarts from committed offsets',
      );
      void this.shutdown(1);
    });

    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [config.kafka.topic],
      fromBeginning: config.kafka.fromBeginning,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        if (this.failed) return;
        this.lastBatchAt = Date.now();
        try {
          await pipeline.handleBatch(payload);
        } catch (err) {
          this.onBatchError(err);
        }
      },
    });
    // Input may go silent: idleness, and the windows it closes, are checked on a timer too.
    this.idleTimer = setInterval(() => {
      if (this.failed || this.stopping) return;
      pipeline.tick().catch((err: unknown) => this.onTickError(err));
    }, tickMs);
    logger.info({ topic: config.kafka.topic, groupId: config.kafka.groupId }, 'consuming');
  }

  /**
   * What may escape a batch decides what happens next. A rebalance goes back to kafkajs, which
   * rejoins (the pipeline then resets to the committed state). Anything else would let kafkajs
   * continue after events whose windows were lost, so the daemon stops and a restart resumes
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
    this.failed = true;
    this.logger.fatal({ err }, 'batch failed; exiting so a restart resumes from committed offsets');
    void this.shutdown(1);
  }

  /** Like a batch error, except that a rebalance is kafkajs' to handle (the next batch resets). */
  private onTickError(err: unknown): void {
    if (err instanceof StoppedWhileRetrying) return this.onBatchError(err);
    if (isRebalanceError(err)) {
      this.logger.debug({ err }, 'idle tick interrupted by a rebalance');
      return;
    }
    this.onBatchError(err);
  }

  /** Re-reads the rules file (SIGHUP); false when there is none or it is invalid. */
  reloadRules(): Promise<boolean> {
    return this.alerting?.reload('SIGHUP') ?? Promise.resolve(false);
  }

  /** Graceful stop: finish the batch in hand (no partial window is emitted), commit, disconnect. */
  stop(): Promise<number> {
    return this.shutdown(0);
  }

  private async shutdown(code: number): Promise<number> {
    // The worst code wins: a batch failing during a graceful stop must not exit 0.
    this.exitCode = Math.max(this.exitCode, code);
    if (this.stopping) return this.finished;
    this.stopping = true;
    this.stopReload();
    clearInterval(this.idleTimer);
    this.logger.info('stopping: finishing the current batch, then committing');
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['consumer', () => this.consumer.disconnect()],
      ['idle timer', () => this.pipeline?.settled() ?? Promise.resolve()],
      ['receivers', () => this.alerting?.stop() ?? Promise.resolve()],
      ['producer', () => this.producer.disconnect()],
      ['admin', () => this.admin.disconnect()],
      ['http', () => new Promise((r) => (this.server ? this.server.close(r) : r(undefined)))],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.exitCode = Math.max(this.exitCode, 1);
        this.logger.error({ err, what }, 'error while stopping');
      }
    }
    this.logger.info({ code: this.exitCode }, 'stopped');
    this.finish(this.exitCode);
    return this.exitCode;
  }
}

/** The idle timer's period: a fraction of the idle timeout, between 250 ms and 5 s. */
export function idleTickMs(idleTimeoutMs: number): number {
  return Math.min(5_000, Math.max(250, Math.floor(idleTimeoutMs / 3)));
}
