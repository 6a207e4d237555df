import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads every record of a topic from its start to the end it has now (the high watermark of
 * each partition when called), through a throwaway consumer group (`<groupPrefix>-<uuid>`)
 * that is deleted afterwards. Returns at once when the topic holds nothing. `onMessage` is
 * called in offset order per partition and must not throw.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  groupPrefix: string,
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const pending = new Map<number, number>();
  for (const p of offsets) {
    if (Number(p.high) > Number(p.low)) pending.set(p.partition, Number(p.high));
  }
  if (pending.size === 0) return;
  const ends = new Map(pending);
  const groupId = `${groupPrefix}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const high = ends.get(batch.partition);
        if (high === undefined) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset >= high) break;
          onMessage(batch.partition, m);
          if (offset >= high - 1) {
            pending.delete(batch.partition);
            if (pending.size === 0) done();
          }
        }
        await payload.heartbeat();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
