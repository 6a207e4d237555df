import type { Admin } from 'kafkajs';
import type { Logger } from '../logger.js';

/**
 * Where each assigned partition of `topic` resumes for `groupId`: the committed offset (else
 * where the group starts: the log start or end, per `fromBeginning`), the metadata committed
 * with it, and the log end, so a partition with a backlog is never taken for idle before it
 * has delivered.
 */
export async function readPartitionStarts(
  admin: Admin,
  where: { groupId: string; topic: string; fromBeginning: boolean },
  assigned: readonly number[],
  logger: Logger,
): Promise<Map<number, { resumeAt: number; metadata: string | null; end: number }>> {
  const { groupId, topic, fromBeginning } = where;
  const [offsets, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const committed = new Map<number, { offset: number; metadata: string | null }>();
  for (const p of offsets[0]?.partitions ?? []) {
    if (Number(p.offset) >= 0) {
      committed.set(p.partition, { offset: Number(p.offset), metadata: p.metadata });
    }
  }
  const starts = new Map<number, { resumeAt: number; metadata: string | null; end: number }>();
  for (const partition of assigned) {
    const end = ends.find((e) => e.partition === partition);
    const low = Number(end?.low ?? 0);
    const high = Number(end?.high ?? 0);
    const c = committed.get(partition);
    let from = c?.offset;
    if (from !== undefined && from < low) {
      logger.error(
        { topic, partition, committed: from, logStart: low },
        'records between the committed offset and the log start were deleted by retention before they were read',
      );
      from = undefined;
    }
    starts.set(partition, {
      resumeAt: from ?? (fromBeginning ? low : high),
      metadata: from === undefined ? null : (c?.metadata ?? null),
      end: high,
    });
  }
  return starts;
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
