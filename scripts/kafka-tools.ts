import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';

/** A quiet client for tooling (tests, demo, bench); the daemon logs through pino instead. */
export function toolingKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/** Creates topics and waits until each has a leader, so producing right after works. */
export async function createTopics(
  kafka: Kafka,
  topics: string[],
  partitions = 1,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, configEntries })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
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
