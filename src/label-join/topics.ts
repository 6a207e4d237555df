import type { Admin } from 'kafkajs';
import { ensureInternalTopic } from '../kafka/internal-topics.js';

/** Past the horizon a record may still be read (a join restarting late, a slow writer). */
const SLACK_MS = 86_400_000;

/** How long the labels topics keep a record: the horizon and a day of slack. */
export const labelTopicRetentionMs = (horizonMs: number): number => horizonMs + SLACK_MS;
const REMEDY =
  'set labels.partitions (or scale.partitions) to its count, or delete the topic (pending predictions and tallies are lost)';

export const labelsJoinTopicFor = (groupId: string): string => `${groupId}.labels-join`;
export const labelQualityTopicFor = (groupId: string): string => `${groupId}.label-quality`;
/** Consumer groups: the re-key step, the join, the quality writer. */
export const labelsGroupFor = (groupId: string): string => `${groupId}.labels`;
export const joinGroupFor = (groupId: string): string => `${groupId}.labels-join`;
export const writerGroupFor = (groupId: string): string => `${groupId}.label-quality`;

/**
 * The two internal topics of delayed labels, compacted (latest record per key; tombstones
 * remove) and deleting past horizon + a day, so nothing outlives its use:
 * `<groupId>.labels-join` (J partitions, by id hash) and `<groupId>.label-quality` (the
 * partials' count, by model).
 */
export async function ensureLabelTopics(
  admin: Admin,
  groupId: string,
  counts: { join: number; quality: number },
  horizonMs: number,
): Promise<{ join: string; quality: string }> {
  const configEntries = [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(labelTopicRetentionMs(horizonMs)) },
    // Tombstones are kept a while: a join restoring meanwhile must see them.
    { name: 'delete.retention.ms', value: String(SLACK_MS) },
    // Compaction never cleans the active segment: hourly segments let matched ids go within
    // the hour rather than after Kafka's default week, so a restore reads what still waits.
    { name: 'segment.ms', value: String(3_600_000) },
  ];
  const join = labelsJoinTopicFor(groupId);
  const quality = labelQualityTopicFor(groupId);
  for (const [topic, partitions] of [
    [join, counts.join],
    [quality, counts.quality],
  ] as const) {
    await ensureInternalTopic(admin, {
      topic,
      partitions,
      configEntries,
      remedy: REMEDY,
      atLeast: ['retention.ms', 'delete.retention.ms'],
    });
  }
  return { join, quality };
}
