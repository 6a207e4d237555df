import type { Kafka } from 'kafkajs';

export { createTopics, sendInChunks, toolingKafka } from '../../scripts/kafka-tools.js';

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
