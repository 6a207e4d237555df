import type { Admin, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Silence } from '../../alert-engine/silence.js';
import { ensureInternalTopic } from '../kafka/internal-topics.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { decodeSilence, silenceMessage } from './silence-record.js';

/**
 * The silences topic: one partition (one order for every silence), compacted by silence id.
 * It is not routed like the alert log: every replica reads all of it, because a silence may
 * match models of any alert-log partition.
 */
export async function ensureSilencesTopic(admin: Admin, topic: string): Promise<void> {
  await ensureInternalTopic(admin, {
    topic,
    partitions: 1,
    configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    remedy: 'the silences topic has one partition; delete it (silences are lost) or recreate it',
  });
}

/** Appends one silence (new or changed); resolves once the brokers have it (acks all). */
export async function writeSilence(producer: Producer, topic: string, s: Silence): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [silenceMessage(s)] });
}

/**
 * Removes silences from the topic: a tombstone (null value) per id, which compaction keeps for
 * `delete.retention.ms` and then drops with the records before it. Idempotent: a second
 * tombstone for the same id (another replica's) changes nothing.
 */
export async function tombstoneSilences(
  producer: Producer,
  topic: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ key: id, value: null })) });
}

/** Every silence of the topic as it stands (the newest record per id); unreadable ones counted. */
export async function readSilences(
  kafka: Kafka,
  admin: Admin,
  topic: string,
): Promise<{ silences: Map<string, Silence>; unreadable: number }> {
  const silences = new Map<string, Silence>();
  let unreadable = 0;
  await readTopicToEnd(kafka, admin, topic, 'driftwatch-silences', (_p, m) => {
    if (applySilenceRecord(silences, m) === 'unreadable') unreadable++;
  });
  return { silences, unreadable };
}

/** Applies one record to the silences by id; tombstones remove. */
export function applySilenceRecord(
  silences: Map<string, Silence>,
  m: KafkaMessage,
): 'applied' | 'unreadable' {
  const key = m.key?.toString('utf8');
  if (m.value === null) {
    if (key !== undefined) silences.delete(key);
    return 'applied';
  }
  try {
    const s = decodeSilence(m.value);
    silences.set(s.id, s);
    return 'applied';
  } catch {
    return 'unreadable';
  }
}
