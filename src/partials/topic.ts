import type { Admin } from 'kafkajs';
import { ensureInternalTopic } from '../kafka/internal-topics.js';

/** Partials are needed until stage 2 committed past them: kept long enough to ride out outages. */
const PARTIALS_RETENTION_MS = 7 * 86_400_000;
/** A partial of many features against large reference samples can exceed the 1 MB default. */
const PARTIALS_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function partialsTopicFor(groupId: string): string {
  return `${groupId}.partials`;
}

export async function ensurePartialsTopic(
  admin: Admin,
  groupId: string,
  partitions: number,
): Promise<string> {
  const topic = partialsTopicFor(groupId);
  await ensureInternalTopic(admin, {
    topic,
    partitions,
    remedy:
      'set scale.partitions to its count, or use a new kafka.groupId (what the internal topics hold is then started anew)',
    configEntries: [
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'retention.ms', value: String(PARTIALS_RETENTION_MS) },
      { name: 'max.message.bytes', value: String(PARTIALS_MAX_MESSAGE_BYTES) },
    ],
  });
  return topic;
}

/**
 * The partition count of the internal topics: `scale.partitions`, else the existing partials
 * topic's, else the input topic's.
 */
export async function internalPartitionCount(
  admin: Admin,
  groupId: string,
  configured: number | undefined,
  inputPartitions: number,
): Promise<number> {
  if (configured !== undefined) return configured;
  const topic = partialsTopicFor(groupId);
  if ((await admin.listTopics()).includes(topic)) {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length ?? inputPartitions;
  }
  return inputPartitions;
}
