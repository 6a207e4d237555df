import type { Admin, Message, Producer } from 'kafkajs';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import { chunkBySize, DEAD_LETTER_CHUNK_BYTES, withoutValue } from './dead-letter.js';
import { isMessageTooLarge } from './failures.js';
import { decodeCommitMetadata } from './offset-metadata.js';
import type { PartitionPosition } from '../windows/partition-clocks.js';
import type { GroupState } from './pipeline.js';

type KafkaSettings = Config['kafka'];

/**
 * Sends in chunks well under the broker's default 1 MB message limit (a fetched batch of
 * garbage plus its reason headers can exceed it). A single message too large even alone is
 * sent without its body, keeping the headers (reason, source offset) as evidence.
 */
export async function sendDeadLetters(
  producer: Producer,
  topic: string,
  messages: Message[],
): Promise<void> {
  for (const chunk of chunkBySize(messages, DEAD_LETTER_CHUNK_BYTES)) {
    try {
      await producer.send({ topic, messages: chunk, acks: -1 });
    } catch (err) {
      if (!isMessageTooLarge(err)) throw err;
      for (const message of chunk) {
        try {
          await producer.send({ topic, messages: [message], acks: -1 });
        } catch (single) {
          if (!isMessageTooLarge(single)) throw single;
          await producer.send({ topic, messages: [withoutValue(message)], acks: -1 });
        }
      }
    }
  }
}

/**
 * Runs the first calls to the cluster (connecting, checking topics). Whatever kafkajs reports
 * there (refused, unresolvable, not a Kafka broker, out of retries) means kafka.brokers cannot
 * be used: one line naming the key, instead of a kafkajs stack trace.
 */
export async function reachKafka<T>(
  brokers: readonly string[],
  first: () => Promise<T>,
): Promise<T> {
  try {
    return await first();
  } catch (err) {
    if (err instanceof DriftwatchError) throw err;
    throw new DriftwatchError(
      'KAFKA_CONNECT_FAILED',
      `cannot use the Kafka cluster at kafka.brokers ${brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** The prediction and dead-letter topics must exist; returns the prediction topic's partitions. */
export async function checkTopics(admin: Admin, kafka: KafkaSettings): Promise<number[]> {
  const { topic, deadLetterTopic, brokers } = kafka;
  const existing = new Set(await admin.listTopics());
  const missing = [topic, deadLetterTopic].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new DriftwatchError(
      'KAFKA_TOPIC_MISSING',
      `Kafka topic(s) ${missing.map((t) => `"${t}"`).join(', ')} do not exist on ${brokers.join(',')}: create them (kafka.topic, kafka.deadLetterTopic)`,
    );
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.map((p) => p.partitionId).sort((a, b) => a - b) ?? [];
}

/**
 * What the group committed (offsets, and the watermark in their metadata) and, per assigned
 * partition, where reading resumes and where the log ends — so a partition with a backlog is
 * never taken for idle before it has delivered.
 */
export async function readGroupState(
  admin: Admin,
  kafka: KafkaSettings,
  assigned: readonly number[],
  logger: Logger,
): Promise<GroupState> {
  const { groupId, topic, fromBeginning } = kafka;
  const [offsets, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  let watermark: number | undefined;
  const committed = new Map<number, number>();
  for (const p of offsets[0]?.partitions ?? []) {
    const w = decodeCommitMetadata(p.metadata);
    if (w !== undefined && (watermark === undefined || w > watermark)) watermark = w;
    if (Number(p.offset) >= 0) committed.set(p.partition, Number(p.offset));
  }
  const resumeAt = new Map<number, number>();
  const uncommitted = new Set<number>();
  const positions = new Map<number, PartitionPosition>();
  for (const partition of assigned) {
    const end = ends.find((e) => e.partition === partition);
    const low = Number(end?.low ?? 0);
    const high = Number(end?.high ?? 0);
    let from = committed.get(partition);
    if (from !== undefined && from < low) {
      logger.error(
        { partition, committed: from, logStart: low },
        'events between the committed offset and the log start were deleted by retention before they were read',
      );
      from = undefined;
    }
    if (from === undefined) {
      uncommitted.add(partition);
      from = fromBeginning ? low : high;
    }
    resumeAt.set(partition, from);
    positions.set(partition, { readTo: from, end: high });
  }
  return {
    watermark,
    resumeAt,
    uncommitted,
    positions,
    partitions: ends.map((e) => e.partition).sort((a, b) => a - b),
  };
}

/**
 * Log end offsets (high watermarks) of the topic's partitions: the lag probe behind the idle
 * rule. An open transaction's records count as something still to read, and a committed one's
 * marker is passed once the consumer reads over it (PartitionClocks.markRead).
 */
export async function readLogEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  const ends = await admin.fetchTopicOffsets(topic);
  return new Map(ends.map((e) => [e.partition, Number(e.high)]));
}
