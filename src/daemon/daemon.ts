import type { Server } from 'node:http';
import { Alerting } from './alerting.js';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { BaselineStore } from '../baseline/store.js';
import { loadBaselinesAtStart, startBaselineReload } from './baseline-reload.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from './http-server.js';
import { apiTokenFromEnv } from './api-token.js';
import type { Logger } from '../logger.js';
import { DaemonMetrics } from '../metrics.js';
import { InfluxSink } from '../sinks/influx.js';
import { checkInfluxTls, influxTargetOf } from '../sinks/influx-client.js';
import { createKafkaClient } from '../kafka/client.js';
import { isRebalanceError } from '../kafka/failures.js';
import { inputEventSource, readInputEnds, resolveInputTopics, UnreadTopics } from './input-io.js';
import { createEvaluateStage, createIngestStage, type StageWiring } from './stages.js';
import { checkKafkaAccess, reachKafka } from '../kafka/reach.js';
import { predictionConsumerOptions, partialsConsumerOptions } from '../kafka/consumer-options.js';
import { StoppedWhileRetrying } from '../shared/retry.js';
import type { EachBatchPayload } from 'kafkajs';
import type { IngestStage } from '../ingest/ingest-stage.js';
import type { EvaluateStage } from '../evaluate/evaluate-stage.js';
import { ensurePartialsTopic, internalPartitionCount } from '../partials/topic.js';
import { loadRulesFile } from '../rules/rules-file.js';
import { DelayedLabels } from './delayed-labels.js';
import type { SchemaRegistryClient } from '../schema-registry/client.js';
import { checkSchemaRegistry, schemaRegistryClientOf } from '../schema-registry/reach.js';

/** Stage-2 batches (one per partials partition) whose tails may be in flight at once. */
const MAX_EVALUATE_TAILS = 8;

/** The running daemon: Kafka in, InfluxDB out, /metrics and /healthz on the side. */
export class Daemon {
  readonly metrics: DaemonMetrics;
  /** Resolves with the process exit code once the daemon has stopped. */
  readonly finished: Promise<number>;
  httpPort = 0;
  private readonly config: Config;
  /** DRIFTWATCH_API_TOKEN, checked before anything starts; never logged. */
  private readonly apiToken: string | undefined;
  private readonly logger: Logger;
  /** Stage 1: the input topic. */
  private readonly consumer: Consumer;
  /** Stage 2: the partials topic. */
  private readonly evaluator: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly kafka: Kafka;
  /** The schema registry of `input.format: schema-registry`, when configured. */
  private readonly registry: SchemaRegistryClient | undefined;
  private alerting: Alerting | undefined;
  private labels: DelayedLabels | undefined;
  private server: Server | undefined;
  private ingest: IngestStage | undefined;
  private evaluate: EvaluateStage | undefined;
  private stopping = false;
  private failed = false;
  private exitCode = 0;
  private readonly joined = { ingest: false, evaluate: false };
  private lastBatchAt: number | undefined;
  private finish!: (code: number) => void;
  private stopReload: () => void = () => undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private partitionTimer: NodeJS.Timeout | undefined;
  private unreadTopics: UnreadTopics | undefined;
  /** Start-up in progress: a stop requested meanwhile waits for it to give up at its next step. */
  private starting: Promise<void> | undefined;

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
   * daemon stops gracefully, exit code 0, instead of dying by the signal.
   */
  static async start(
    config: Config,
    logger: Logger,
    metrics = new DaemonMetrics(),
    stopSignal?: AbortSignal,
  ): Promise<Daemon> {
    // A too-short API token stops the start before any connection (API_TOKEN_TOO_SHORT).
    const daemon = new Daemon(config, logger, metrics, apiTokenFromEnv());
    daemon.starting = daemon.startUp();
    if (stopSignal?.aborted) void daemon.stop();
    else stopSignal?.addEventListener('abort', () => void daemon.stop(), { once: true });
    try {
      await daemon.starting;
    } catch (err) {
      if (!daemon.stopping) {
        daemon.stopping = true;
        await daemon.disconnectAll();
        throw err;
      }
      logger.debug({ err }, 'start-up interrupted by the stop');
    } finally {
      daemon.starting = undefined;
    }
    return daemon;
  }

  private async startUp(): Promise<void> {
    const { config, logger, metrics } = this;
    // Serving first: /healthz and /metrics answer while the baselines are scanned.
    await this.serveHttp();
    const { dir, fallback, maxFileSize } = config.baselines;
    const baselines = new BaselineStore(
      dir,
      typeof fallback === 'string' ? { mode: fallback } : { mode: 'version', ...fallback },
      maxFileSize,
    );
    await loadBaselinesAtStart(baselines, logger, metrics);
    // Local files before the network: an unreadable or invalid rules file stops the start now,
    // not once Kafka answered (or after 30 s of waiting for it). Alerting reads it again.
    if (config.alerts) loadRulesFile(config.alerts.rules);
    if (this.stopping) return;
    this.stopReload = startBaselineReload(
      baselines,
      config.baselines.reloadInterval,
      logger,
      metrics,
    );
    await this.run(baselines);
  }

  private async serveHttp(): Promise<void> {
    const { config, logger, metrics } = this;
    const { server, port } = await startHttpServer(
      config.http.host,
      config.http.port,
      metrics.registry,
      () => ({
        // Ready once both stages joined and stage 2 restored its state (alert state included).
        healthy: this.joined.ingest && (this.evaluate?.ready ?? false) && !this.stopping,
        consumerJoined: this.joined.ingest && this.joined.evaluate,
        stopping: this.stopping,
        lastBatchAt: this.lastBatchAt ? new Date(this.lastBatchAt).toISOString() : null,
        messagesConsumed: this.ingest?.messagesConsumed ?? 0,
        ...(this.registry ? { schemaRegistry: this.registry.state } : {}),
      }),
      {
        // Never logged: only whether it is set.
        token: this.apiToken,
        operations: () => this.alerting?.silenceOperations,
        onRefused: (refusal) => {
          metrics.apiRefused.inc({ reason: refusal.reason });
          // One line per attempt, naming who and what, never the token or the header.
          logger.warn(refusal, 'silence API request refused');
        },
      },
    );
    this.server = server;
    this.httpPort = port;
    logger.info(
      { host: config.http.host, port, silenceApi: this.apiToken ? 'on' : 'off' },
      'serving /metrics and /healthz',
    );
  }

  private async run(baselines: BaselineStore): Promise<void> {
    const { config, logger, metrics } = this;
    const { kafka: k } = config;
    const tickMs = idleTickMs(config.windows.idleTimeout);
    // Configuration errors of either end stop the start; an InfluxDB that is down does not.
    await checkInfluxTls(influxTargetOf(config));
    await checkKafkaAccess(config, { isStopping: () => this.stopping });
    if (this.registry && config.schemaRegistry) {
      await checkSchemaRegistry(this.registry, config.schemaRegistry.url, {
        timeoutMs: config.schemaRegistry.startTimeout,
        isStopping: () => this.stopping,
      });
    }
    if (this.stopping) return;
    const { inputs, inputEnds, partials, labels } = await reachKafka(config, async () => {
      await this.admin.connect();
      const inputs = await resolveInputTopics(this.admin, config);
      const inputEnds = await readInputEnds(this.admin, inputs);
      const count = await internalPartitionCount(
        this.admin,
        k.groupId,
        config.scale.partitions,
        // The main topic's partitions: read with the other topics' just above.
        inputs.byTopic([...inputEnds.keys()]).get(k.topic)?.size ?? 0,
      );
      const topic = await ensurePartialsTopic(this.admin, k.groupId, count);
      const labels = config.labels
        ? await DelayedLabels.topics({ ...config, labels: config.labels }, this.admin, count)
        : undefined;
      await this.producer.connect();
      return { inputs, inputEnds, partials: { topic, count }, labels };
    });
    if (this.stopping) return;
    // Every input partition's source: stage 2 closes a window once each has passed it.
    const sourcesOf = (ends: ReadonlyMap<number, number>) => [...ends.keys()].sort((a, b) => a - b);
    let knownInputs: readonly number[] = sourcesOf(inputEnds);

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
          partitions: partials.count,
          assigned: [],
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
    if (this.stopping) return;

    const wiring: StageWiring = {
      config,
      kafka: this.kafka,
      admin: this.admin,
      baselines,
      inputs,
      partials,
      labelsJoin: labels && { topic: labels.join, partitions: labels.joinPartitions },
      metrics,
      logger,
      tickMs,
      isStopping: () => this.stopping,
    };
    const ingest = (this.ingest = createIngestStage(wiring, {
      source: inputEventSource(inputs, this.registry, config.schemaRegistry, metrics),
      seek: (topic, partition, offset) =>
        this.consumer.seek({ topic, partition, offset: String(offset) }),
    }));
    const evaluate = (this.evaluate = createEvaluateStage(wiring, {
      sink,
      alerting,
      knownInputs: () => knownInputs,
      seek: (partition, offset) =>
        this.evaluator.seek({ topic: partials.topic, partition, offset: String(offset) }),
    }));
    if (config.input.topics.some((e) => 'pattern' in e)) {
      this.unreadTopics = new UnreadTopics(this.admin, config, metrics, logger);
    }

    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment;
      const assigned = inputs.sourcesOf(assignment);
      this.joined.ingest = true;
      ingest.onGroupJoin(assigned);
      metrics.partitionsAssigned.set(assigned.length);
      for (const t of inputs.topics) metrics.keepLag('ingest', t, assignment[t] ?? []);
      logger.info(
        {
          stage: 'ingest',
          assigned: inputs.topics.length === 1 ? assigned : assignment,
          partitions: knownInputs.length,
        },
        'joined consumer group',
      );
    });
    this.evaluator.on(this.evaluator.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[partials.topic] ?? [];
      this.joined.evaluate = true;
      evaluate.onGroupJoin(assigned);
      metrics.keepLag('evaluate', partials.topic, assigned);
      logger.info(
        { stage: 'evaluate', assigned, partitions: partials.count },
        'joined consumer group',
      );
      // Restored right away (not at the first batch): /healthz is ready only after it.
      void evaluate.restore().catch((err: unknown) => this.onBatchError(err));
    });
    // Batches of transaction markers only never reach eachBatch, but reading moved past them.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, offsetLag, highWatermark, lastOffset } = e.payload;
      if (batchSize !== 0) return;
      ingest.onMarkersRead(
        topic,
        partition,
        offsetLag === '0' ? Number(highWatermark) : Number(lastOffset) + 1,
      );
    });
    for (const consumer of [this.consumer, this.evaluator]) {
      consumer.on(consumer.events.CRASH, (e) => {
        if (this.stopping) return;
        logger.fatal(
          { err: e.payload.error },
          'Kafka consumer crashed; exiting so the supervisor restarts from committed offsets',
        );
        void this.shutdown(1);
      });
    }

    await this.consumer.connect();
    await this.evaluator.connect();
    await this.consumer.subscribe({ topics: [...inputs.topics], fromBeginning: k.fromBeginning });
    await this.evaluator.subscribe({ topics: [partials.topic], fromBeginning: true });
    if (this.stopping) return;
    const runStage = (
      consumer: Consumer,
      stage: { handleBatch: (p: EachBatchPayload) => Promise<void> },
      partitionsConsumedConcurrently = 1,
    ) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch: async (payload) => {
          if (this.failed) return;
          this.lastBatchAt = Date.now();
          try {
            await stage.handleBatch(payload);
          } catch (err) {
            this.onBatchError(err);
          }
        },
      });
    await runStage(this.consumer, ingest);
    // Stage 2's batches take turns, but each one's wait for InfluxDB, the alert log and its
    // commit (its tail) overlaps the next partitions' turns: one window end closes on every
    // partials partition at about the same time.
    await runStage(this.evaluator, evaluate, Math.min(partials.count, MAX_EVALUATE_TAILS));
    if (this.stopping) return;
    if (config.labels) {
      this.labels = await DelayedLabels.start({
        config: { ...config, labels: config.labels },
        kafka: this.kafka,
        partialsPartitions: partials.count,
        partialsTopic: partials.topic,
        writePoints: (points) => sink.write(points),
        metrics,
        logger,
        isStopping: () => this.stopping,
        onFatal: (err) => this.onBatchError(err),
      });
    }
    // Input may go silent: idleness, and the windows it closes, are checked on a timer too.
    this.idleTimer = setInterval(() => {
      if (this.failed || this.stopping) return;
      ingest.tick().catch((err: unknown) => this.onTickError(err));
    }, tickMs);
    // Partitions added to the input topic are waited for by stage 2 once known.
    this.partitionTimer = setInterval(() => {
      if (this.failed || this.stopping) return;
      readInputEnds(this.admin, inputs)
        .then((ends) => (knownInputs = sourcesOf(ends)))
        .catch((err: unknown) => logger.debug({ err }, 'reading the input partitions failed'));
      void this.unreadTopics?.check(inputs);
    }, 60_000);
    logger.info(
      {
        topics: inputs.topics,
        groupId: k.groupId,
        partials: partials.topic,
        partialsPartitions: partials.count,
      },
      'consuming',
    );
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
    clearInterval(this.partitionTimer);
    this.logger.info('stopping: finishing the current batch, then committing');
    const starting = this.starting;
    if (starting) {
      // A group join in progress ends with the consumers' disconnect; start-up then returns.
      await this.disconnectAll(['consumer', 'evaluator']);
      await starting.catch(() => undefined);
    }
    await this.disconnectAll();
    this.logger.info({ code: this.exitCode }, 'stopped');
    this.finish(this.exitCode);
    return this.exitCode;
  }

  /**
   * Stops what runs, in the order that keeps results exact: input first, then the work in hand
   * is settled and committed, then the clients and the HTTP server go. Each step's failure is
   * logged and raises the exit code; the remaining steps still run.
   */
  private async disconnectAll(only?: readonly string[]): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['consumer', () => this.consumer.disconnect()],
      ['ingest', () => this.ingest?.close() ?? Promise.resolve()],
      ['evaluator', () => this.evaluator.disconnect()],
      ['evaluate', () => this.evaluate?.settled() ?? Promise.resolve()],
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
        this.exitCode = Math.max(this.exitCode, 1);
        this.logger.error({ err, what }, 'error while stopping');
      }
    }
  }
}

/** The idle timer's period: a fraction of the idle timeout, between 250 ms and 5 s. */
export function idleTickMs(idleTimeoutMs: number): number {
  return Math.min(5_000, Math.max(250, Math.floor(idleTimeoutMs / 3)));
}
