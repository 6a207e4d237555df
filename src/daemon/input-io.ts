import type { Admin } from 'kafkajs';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { InputTopics } from '../ingest/input-topics.js';
import type { PartitionStart } from '../ingest/ingest-partition.js';
import { readLogEnds, readPartitionStarts } from '../kafka/kafka-io.js';
import { decodeCommitMetadata } from '../kafka/offset-metadata.js';
import type { Logger } from '../logger.js';

/** driftwatch's own topics: never read as input, whatever a pattern matches. */
function internalTopics(config: Config): (topic: string) => boolean {
  const { groupId, deadLetterTopic } = config.kafka;
  const named = new Set([deadLetterTopic]);
  if (config.alerts?.topic) named.add(config.alerts.topic);
  if (config.alerts?.deadLetterTopic) named.add(config.alerts.deadLetterTopic);
  return (t) => named.has(t) || t.startsWith(`${groupId}.`);
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
        position: { readTo: s.resumeAt, end: s.end },
      });
    }
  }
  return starts;
}
