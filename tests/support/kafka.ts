import type { Kafka, Producer } from 'kafkajs';
import { createTopics, toolingKafka } from '../../scripts/kafka-tools.js';

export { createTopics, sendInChunks, toolingKafka } from '../../scripts/kafka-tools.js';

/** A tests' Kafka client with the given topics created, and a connected producer. */
export async function testKafka(
  brokers: string[],
  topics: string[],
  partitions?: number,
): Promise<{ kafka: Kafka; producer: Producer }> {
  const kafka = toolingKafka(brokers, 'driftwatch-tests');
  await createTopics(kafka, topics, partitions);
  const producer = kafka.producer();
  await producer.connect();
  return { kafka, producer };
}

/** Reads every message currently in a topic (from the beginning) with a throwaway group. */
export async function readAll(kafka: Kafka, topic: string, expected: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const messages: { key: string | null; value: string | null; headers: Record<string, string> }[] =
    [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v?.toString() ?? '';
      messages.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers,
      });
      return Promise.resolve();
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (messages.length < expected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return messages;
}

/** Waits until a receiver's consumer group has committed the whole alert log. */
export async function receiverCaughtUp(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      // Every partition of the alert log, up to its end.
      const at = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
      if (ends.every((e) => (at.get(e.partition) ?? -1) >= Number(e.high))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${groupId} did not commit the end of ${topic} in time`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until a consumer group is stable with `members` members: work produced after this is
 * shared by all of them (on a topic already full, the first member to join could do it all).
 */
export async function groupFormed(
  kafka: Kafka,
  groupId: string,
  members: number,
  timeoutMs = 90_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      seen = `${group?.state ?? 'none'} with ${group?.members.length ?? 0} members`;
      if (group?.state === 'Stable' && group.members.length === members) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`group ${groupId} did not become stable with ${members} members: ${seen}`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * One event at `at` on every partition of `topic`: each partition's watermark passes the
 * windows before it, so they close (the event itself opens a window that stays open).
 */
export async function closeWindowsBefore(
  producer: Producer,
  topic: string,
  partitions: number,
  model: { model: string; modelVersion: string },
  at: number,
): Promise<void> {
  const value = JSON.stringify({
    model: model.model,
    model_version: model.modelVersion,
    timestamp: new Date(at).toISOString(),
    features: { a: 0, b: 0, country: 'DE' },
  });
  await producer.send({
    topic,
    messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value })),
  });
}
