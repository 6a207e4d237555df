import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { BaselineStore } from '../baseline/store.js';
import type { Config } from '../config/schema.js';
import type { EvaluateStage } from '../evaluate/evaluate-stage.js';
import type { IngestStage } from '../ingest/ingest-stage.js';
import { isRebalanceError } from '../kafka/failures.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { SchemaRegistryClient } from '../schema-registry/client.js';
import { StoppedWhileRetrying } from '../shared/retry.js';
import type { InfluxSink } from '../sinks/influx.js';
import type { Alerting } from './alerting.js';
import { inputEventSource, readInputEnds, UnreadTopics } from './input-io.js';
import type { KafkaSetup } from './services-setup.js';
import { createEvaluateStage, createIngestStage, type StageWiring } from './stages.js';

/** Stage-2 batches (one per partials partition) whose tails may be in flight at once. */
const MAX_EVALUATE_TAILS = 8;

/** The idle timer's period: a fraction of the idle timeout, between 250 ms and 5 s. */
export function idleTickMs(idleTimeoutMs: number): number {
  return Math.min(5_000, Math.max(250, Math.floor(idleTimeoutMs / 3)));
}

/** Every input partition's source, in order: stage 2 closes a window once each has passed it. */
const sourcesOf = (ends: ReadonlyMap<number, number>) => [...ends.keys()].sort((a, b) => a - b);

export interface StageRunnerDeps {
  config: Config;
  kafka: Kafka;
  admin: Admin;
  /** Stage 1's consumer (input topics) and stage 2's (partials); the daemon disconnects them. */
  consumers: { ingest: Consumer; evaluate: Consumer };
  setup: KafkaSetup;
  baselines: BaselineStore;
  registry: SchemaRegistryClient | undefined;
  sink: InfluxSink;
  alerting: Alerting | undefined;
  metrics: DaemonMetrics;
  logger: Logger;
  /** The daemon stops (or failed): waits and retries give up, timers skip, crashes are expected. */
  isStopping: () => boolean;
  /** A batch failed: batches still delivered are dropped (their offsets stay uncommitted). */
  hasFailed: () => boolean;
  /** What escaped a batch, a restore or an idle tick: the daemon's to judge (it may rethrow). */
  onBatchError: (err: unknown) => void;
  /** A consumer crashed and kafkajs does not restart it. */
  onCrash: (err: unknown, message: string) => void;
}

/**
 * The two stages on their consumer groups: stage 1 (`ingest`, the input topics) and stage 2
 * (`evaluate`, the partials topic) built from the set-up, their consumers' events wired (group
 * joins, marker-only batches, crashes), both groups joined and read (`run`), and the timers
 * beside them: idle ticks and input partitions added (`startTimers`). Stopping them, in the
 * order that keeps results exact, is the daemon's.
 */
export class StageRunner {
  readonly ingest: IngestStage;
  readonly evaluate: EvaluateStage;
  /** Whether each stage's group was joined (once is enough): /healthz. */
  readonly joined = { ingest: false, evaluate: false };
  /** When the last batch of either stage arrived: /healthz. */
  lastBatchAt: number | undefined;
  private readonly deps: StageRunnerDeps;
  private readonly tickMs: number;
  /** Every input partition's source, as last read (partitions may be added). */
  private knownInputs: readonly number[];
  private readonly unreadTopics: UnreadTopics | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private partitionTimer: NodeJS.Timeout | undefined;

  constructor(deps: StageRunnerDeps) {
    this.deps = deps;
    const { config, setup, consumers, metrics, logger } = deps;
    const { inputs, partials, labels } = setup;
    this.tickMs = idleTickMs(config.windows.idleTimeout);
    this.knownInputs = sourcesOf(setup.inputEnds);
    const wiring: StageWiring = {
      config,
      kafka: deps.kafka,
      admin: deps.admin,
      baselines: deps.baselines,
      inputs,
      partials,
      labelsJoin: labels && { topic: labels.join, partitions: labels.joinPartitions },
      metrics,
      logger,
      tickMs: this.tickMs,
      isStopping: deps.isStopping,
    };
    this.ingest = createIngestStage(wiring, {
      source: inputEventSource(inputs, deps.registry, config.schemaRegistry, metrics),
      seek: (topic, partition, offset) =>
        consumers.ingest.seek({ topic, partition, offset: String(offset) }),
    });
    this.evaluate = createEvaluateStage(wiring, {
      sink: deps.sink,
      alerting: deps.alerting,
      knownInputs: () => this.knownInputs,
      seek: (partition, offset) =>
        consumers.evaluate.seek({ topic: partials.topic, partition, offset: String(offset) }),
    });
    if (config.input.topics.some((e) => 'pattern' in e)) {
      this.unreadTopics = new UnreadTopics(deps.admin, config, metrics, logger);
    }
    this.wireEvents();
  }

  /** Ready once both stages joined and stage 2 restored its state (alert state included). */
  get ready(): boolean {
    return this.joined.ingest && this.evaluate.ready;
  }

  private wireEvents(): void {
    const { setup, metrics, logger } = this.deps;
    const { ingest: consumer, evaluate: evaluator } = this.deps.consumers;
    const { inputs, partials } = setup;
    const { ingest, evaluate } = this;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
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
          partitions: this.knownInputs.length,
        },
        'joined consumer group',
      );
    });
    evaluator.on(evaluator.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[partials.topic] ?? [];
      this.joined.evaluate = true;
      evaluate.onGroupJoin(assigned);
      metrics.keepLag('evaluate', partials.topic, assigned);
      logger.info(
        { stage: 'evaluate', assigned, partitions: partials.count },
        'joined consumer group',
      );
      // Restored right away (not at the first batch): /healthz is ready only after it.
      void evaluate.restore().catch((err: unknown) => this.deps.onBatchError(err));
    });
    // Batches of transaction markers only never reach eachBatch, but reading moved past them.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, offsetLag, highWatermark, lastOffset } = e.payload;
      if (batchSize !== 0) return;
      ingest.onMarkersRead(
        topic,
        partition,
        offsetLag === '0' ? Number(highWatermark) : Number(lastOffset) + 1,
      );
    });
    for (const c of [consumer, evaluator]) {
      c.on(c.events.CRASH, (e) => {
        this.deps.onCrash(
          e.payload.error,
          'Kafka consumer crashed; exiting so the supervisor restarts from committed offsets',
        );
      });
    }
  }

  /** Connects and subscribes both consumers, then runs stage 1, then stage 2 (each joins). */
  async run(): Promise<void> {
    const { config, setup, isStopping } = this.deps;
    const { ingest: consumer, evaluate: evaluator } = this.deps.consumers;
    await consumer.connect();
    await evaluator.connect();
    await consumer.subscribe({
      topics: [...setup.inputs.topics],
      fromBeginning: config.kafka.fromBeginning,
    });
    await evaluator.subscribe({ topics: [setup.partials.topic], fromBeginning: true });
    if (isStopping()) return;
    await this.runStage(consumer, this.ingest);
    // Stage 2's batches take turns, but each one's wait for InfluxDB, the alert log and its
    // commit (its tail) overlaps the next partitions' turns: one window end closes on every
    // partials partition at about the same time.
    await this.runStage(
      evaluator,
      this.evaluate,
      Math.min(setup.partials.count, MAX_EVALUATE_TAILS),
    );
  }

  private runStage(
    consumer: Consumer,
    stage: { handleBatch: (p: EachBatchPayload) => Promise<void> },
    partitionsConsumedConcurrently = 1,
  ): Promise<void> {
    return consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: async (payload) => {
        if (this.deps.hasFailed()) return;
        this.lastBatchAt = Date.now();
        try {
          await stage.handleBatch(payload);
        } catch (err) {
          this.deps.onBatchError(err);
        }
      },
    });
  }

  /** The timers beside the consumers, until `stopTimers`; each skips its turn while stopping. */
  startTimers(): void {
    const { admin, setup, logger, isStopping } = this.deps;
    // Input may go silent: idleness, and the windows it closes, are checked on a timer too.
    this.idleTimer = setInterval(() => {
      if (isStopping()) return;
      this.ingest.tick().catch((err: unknown) => this.onTickError(err));
    }, this.tickMs);
    // Partitions added to the input topic are waited for by stage 2 once known.
    this.partitionTimer = setInterval(() => {
      if (isStopping()) return;
      readInputEnds(admin, setup.inputs)
        .then((ends) => (this.knownInputs = sourcesOf(ends)))
        .catch((err: unknown) => logger.debug({ err }, 'reading the input partitions failed'));
      void this.unreadTopics?.check(setup.inputs);
    }, 60_000);
  }

  stopTimers(): void {
    clearInterval(this.idleTimer);
    clearInterval(this.partitionTimer);
  }

  /** Like a batch error, except that a rebalance is kafkajs' to handle (the next batch resets). */
  private onTickError(err: unknown): void {
    if (err instanceof StoppedWhileRetrying) return this.deps.onBatchError(err);
    if (isRebalanceError(err)) {
      this.deps.logger.debug({ err }, 'idle tick interrupted by a rebalance');
      return;
    }
    this.deps.onBatchError(err);
  }
}
