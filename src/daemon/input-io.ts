import type { Admin } from 'kafkajs';
import { alertTopicsFor } from '../alerting/alert-log.js';
import { partialsTopicFor } from '../partials/topic.js';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { InputTopics } from '../ingest/input-topics.js';
import type { PartitionStart } from '../ingest/ingest-partition.js';
import { readLogEnds, readPartitionStarts } from '../kafka/kafka-io.js';
import { decodeCommitMetadata, decodeLabelsTo } from '../kafka/offset-metadata.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { eventSourceFor, routeByTopic, type EventSource } from '../prediction-log/event-source.js';
import { jsonPayloadDecoder, type PayloadDecoder } from '../prediction-log/payload-decoder.js';
import { SchemaRegistryDecoder } from '../prediction-log/registry/registry-decoder.js';
import type { SchemaRegistryClient } from '../schema-registry/client.js';

/** driftwatch's own topics: never read as input, whatever a pattern matches. */
function internalTopics(config: Config): (topic: string) => boolean {
  const { groupId, deadLetterTopic } = config.kafka;
  // The alert topics' default names too: alerting may be switched on later.
  const alerts = alertTopicsFor(groupId, config.alerts ?? { retention: 0 });
  const named = new Set([
    deadLetterTopic,
    partialsTopicFor(groupId),
    alerts.topic,
    alerts.deadLetterTopic,
    alerts.silencesTopic,
  ]);
  return (t) => named.has(t);
}

/**
 * The input topics as they stand on the broker: the main topic, the named further topics and
 * those a pattern matches now. Named topics and the dead-letter topic must exist.
 */
export async function resolveInputTopics(admin: Admin, config: Config): Promise<InputTopics> {
  const { topic, deadLetterTopic, brokers } = config.kafka;
  const existing = await admin.listTopics();
  const present = new Set(existing);
  const named = [...InputTopics.named(topic, config.input), deadLetterTopic];
  const missing = [...new Set(named)].filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new DriftwatchError(
      'KAFKA_TOPIC_MISSING',
      `Kafka topic(s) ${missing.map((t) => `"${t}"`).join(', ')} do not exist on ${brokers.join(',')}: create them (kafka.topic, kafka.deadLetterTopic, input.topics)`,
    );
  }
  return InputTopics.resolve(topic, config.input, existing, internalTopics(config));
}

/** Topics a pattern matches now that the daemon does not read (created after it started). */
export async function unreadInputTopics(
  admin: Admin,
  config: Config,
  inputs: InputTopics,
): Promise<string[]> {
  return inputs.unread(config.input, await admin.listTopics(), internalTopics(config));
}

/** Log end offsets of every input partition, by source. */
export async function readInputEnds(
  admin: Admin,
  inputs: InputTopics,
): Promise<Map<number, number>> {
  const perTopic = await Promise.all(inputs.topics.map((t) => readLogEnds(admin, t)));
  const ends = new Map<number, number>();
  perTopic.forEach((topicEnds, i) => {
    const topic = inputs.topics[i] as string;
    for (const [p, end] of topicEnds) ends.set(inputs.sourceOf(topic, p), end);
  });
  return ends;
}

/** Where each assigned source resumes, as stage 1's group committed it. */
export async function readInputStarts(
  admin: Admin,
  config: Config,
  inputs: InputTopics,
  assigned: readonly number[],
  logger: Logger,
): Promise<Map<number, PartitionStart>> {
  const { groupId, fromBeginning } = config.kafka;
  const starts = new Map<number, PartitionStart>();
  for (const [topic, sources] of inputs.byTopic(assigned)) {
    const where = { groupId, topic, fromBeginning };
    const read = await readPartitionStarts(admin, where, [...sources.keys()], logger);
    for (const [p, s] of read) {
      starts.set(sources.get(p) as number, {
        resumeAt: s.resumeAt,
        watermark: decodeCommitMetadata(s.metadata),
        labelsTo: decodeLabelsTo(s.metadata),
        position: { readTo: s.resumeAt, end: s.end },
      });
    }
  }
  return starts;
}

/**
 * How each input topic's messages become events: its mapping over its format's decoder (JSON,
 * or the Confluent wire format with the registry's schemas, one cache for every topic).
 */
export function inputEventSource(
  inputs: InputTopics,
  registry: SchemaRegistryClient | undefined,
  settings: Config['schemaRegistry'],
  metrics: DaemonMetrics,
): EventSource {
  let decoder: PayloadDecoder | undefined;
  if (registry) {
    const d = new SchemaRegistryDecoder(registry, settings?.cacheSize ?? 1);
    metrics.cachedSchemas = () => d.cachedSchemas;
    decoder = d;
  }
  return routeByTopic(
    new Map(
      inputs.topics.map((t) => {
        const input = inputs.inputOf(t);
        const fromRegistry = input.format === 'schema-registry' && decoder;
        return [t, eventSourceFor(input, fromRegistry ? decoder : jsonPayloadDecoder)];
      }),
    ),
  );
}

/**
 * kafkajs subscribes once, at the start: a topic created later that a pattern matches is read
 * after a restart. Said once per topic, and counted, so the gap is never silent.
 */
export class UnreadTopics {
  private readonly noted = new Set<string>();

  constructor(
    private readonly admin: Admin,
    private readonly config: Config,
    private readonly metrics: DaemonMetrics,
    private readonly logger: Logger,
  ) {}

  async check(inputs: InputTopics): Promise<void> {
    try {
      const unread = await unreadInputTopics(this.admin, this.config, inputs);
      this.metrics.inputTopicsUnread.set(unread.length);
      for (const topic of unread) {
        if (this.noted.has(topic)) continue;
        this.noted.add(topic);
        this.logger.warn(
          { topic, code: 'INPUT_TOPIC_UNREAD' },
          'a topic matching an input.topics pattern was created after the start; restart the daemon to read it',
        );
      }
    } catch (err) {
      this.logger.debug({ err }, 'listing topics for input.topics patterns failed');
    }
  }
}
