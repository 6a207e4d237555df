import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'driftwatch-tests', brokers, logLevel: logLevel.NOTHING });
}

export async function createTopics(admin: Admin, topics: string[], partitions = 1): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
    waitForLeaders: true,
  });
}

/** Reads every message currently in a topic (from the beginning) with a throwaway group. */
export async function readAll(kafka: Kafka, topic: string, expected: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const messages: { value: string | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v?.toString() ?? '';
      messages.push({ value: message.value?.toString() ?? null, headers });
      return Promise.resolve();
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (messages.length < expected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return messages;
}

/** Produces in chunks that stay under the broker's default 1 MB request limit. */
export async function sendInChunks(
  producer: Producer,
  topic: string,
  messages: Message[],
  chunk = 1_000,
): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({ topic, messages: messages.slice(i, i + chunk) });
  }
}
