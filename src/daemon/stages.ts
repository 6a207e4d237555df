import type { Admin, Kafka } from 'kafkajs';
import type { BaselineStore } from '../baseline/store.js';
import type { Config } from '../config/schema.js';
import { driftSettingsFrom } from '../drift/window-points.js';
import { decodeCheckpoint } from '../evaluate/checkpoint.js';
import { EvaluateStage } from '../evaluate/evaluate-stage.js';
import { WindowEmitter } from '../evaluate/window-emitter.js';
import { IngestStage } from '../ingest/ingest-stage.js';
import type { InputTopics } from '../ingest/input-topics.js';
import { evaluateGroupId } from '../kafka/consumer-options.js';
import { readPartitionStarts } from '../kafka/kafka-io.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { EventSource } from '../prediction-log/event-source.js';
import type { InfluxSink } from '../sinks/influx.js';
import type { Alerting } from './alerting.js';
import { readInputEnds, readInputStarts } from './input-io.js';

/** What both stages are built from: the daemon's clients, settings and topics. */
export interface StageWiring {
  config: Config;
  kafka: Kafka;
  admin: Admin;
  baselines: BaselineStore;
  inputs: InputTopics;
  partials: { topic: string; count: number };
  /** `<groupId>.labels-join` when delayed labels are configured. */
  labelsJoin?: { topic: string; partitions: number } | undefined;
  metrics: DaemonMetrics;
  logger: Logger;
  /** The idle timer's period (idleTickMs). */
  tickMs: number;
  isStopping: () => boolean;
}

/** Stage 1 over the input topics: windows per input partition, handed on transactionally. */
export function createIngestStage(
  w: StageWiring,
  io: {
    source: EventSource;
    seek: (topic: string, partition: number, offset: number) => void;
  },
): IngestStage {
  const { config, inputs, partials, logger } = w;
  const k = config.kafka;
  return new IngestStage({
    kafka: w.kafka,
    topics: {
      consumerGroupId: k.groupId,
      partialsTopic: partials.topic,
      partialsPartitions: partials.count,
      partialsFormat: config.scale.partialsFormat,
      deadLetterTopic: k.deadLetterTopic,
      labelsJoinTopic: w.labelsJoin?.topic,
    },
    labelsJoin: w.labelsJoin && { ...w.labelsJoin, windowMs: config.windows.size },
    baselines: w.baselines,
    windows: {
      sizeMs: config.windows.size,
      additionalSizesMs: config.windows.additionalSizes,
      latenessMs: config.windows.allowedLateness,
      idleTimeoutMs: config.windows.idleTimeout,
      // A probe proves "nothing to read" only for a while: if probes stop (Kafka unreachable),
      // partitions stop counting as idle and windows wait instead of dropping events as late.
      probeMaxAgeMs: Math.max(config.windows.idleTimeout, 4 * w.tickMs),
    },
    maxFutureSkewMs: config.windows.maxFutureSkew,
    inputs,
    source: io.source,
    metrics: w.metrics,
    logger,
    readStarts: (assigned) => readInputStarts(w.admin, config, inputs, assigned, logger),
    readLogEnds: () => readInputEnds(w.admin, inputs),
    seek: io.seek,
    isStopping: w.isStopping,
  });
}

/** Stage 2 over the partials topic: merge, close, evaluate, write, alert. */
export function createEvaluateStage(
  w: StageWiring,
  io: {
    sink: InfluxSink;
    alerting: Alerting | undefined;
    /** Every input partition's source, as last read (partitions may be added). */
    knownInputs: () => readonly number[];
    seek: (partition: number, offset: number) => void;
  },
): EvaluateStage {
  const { config, partials, metrics, logger } = w;
  const { alerting, sink } = io;
  return new EvaluateStage({
    baselines: w.baselines,
    emitter: new WindowEmitter({
      drift: driftSettingsFrom(config.drift),
      metrics,
      logger,
      writeResults: (results) => sink.write(results),
    }),
    metrics,
    logger,
    inputPartitions: io.knownInputs,
    hopping: { baseMs: config.windows.size, sizesMs: config.windows.hopping },
    ...(config.windows.count
      ? {
          count: {
            baseMs: config.windows.size,
            events: config.windows.count.events,
            maxSpanMs: config.windows.count.maxSpan,
          },
        }
      : {}),
    readInputEnds: () => readInputEnds(w.admin, w.inputs),
    readStarts: async (assigned) => {
      const where = {
        groupId: evaluateGroupId(config.kafka.groupId),
        topic: partials.topic,
        fromBeginning: true,
      };
      const starts = await readPartitionStarts(w.admin, where, assigned, logger);
      return new Map(
        [...starts].map(([q, s]) => [
          q,
          { resumeAt: s.resumeAt, checkpoint: decodeCheckpoint(s.metadata) },
        ]),
      );
    },
    ...(alerting
      ? {
          assignAlerts: (partitions) => alerting.assign(partitions),
          onEmitted: (q, points, watermark, context) =>
            alerting.onWindows(q, points, watermark, context),
        }
      : {}),
    seek: io.seek,
    isStopping: w.isStopping,
  });
}
