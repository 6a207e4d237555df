import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads every record of a topic from its start to the end it has now, through a throwaway
 * consumer group (`<groupPrefix>-<uuid>`) that is deleted afterwards. Returns at once when the
 * topic holds nothing. `onMessage` is called in offset order per partition and must not throw.
 *
 * Read committed, as kafkajs consumers and admins are by default: committed transactions only,
 * and "the end" is each partition's last stable offset when called. A transaction whose commit
 * already returned can still lie past it (its markers are written after the commit returns);
 * a caller that must see it takes over its transactional id first (see restoreAlertLog). For
 * topics written without transactions the end is the high watermark.
 *
 * With `only`, just those partitions are read (the others are paused at their first batch).
 */
export async function readTopicToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  groupPrefix: string,
  onMessage: (partition: number, message: KafkaMessage) => void,
  only?: readonly number[],
): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const pending = new Map<number, number>();
  for (const p of offsets) {
    if (only !== undefined && !only.includes(p.partition)) continue;
    if (Number(p.high) > Number(p.low)) pending.set(p.partition, Number(p.high));
  }
  if (pending.size === 0) return;
  const ends = new Map(pending);
  const groupId = `${groupPrefix}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // A partition is read once a batch reached its end. The last offsets may hold no message a
  // batch hands over (transaction markers, aborted records): the batch's last offset covers
  // them, and kafkajs reports batches of nothing but those only through this event (emitted
  // after eachBatch for the others).
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const high = pending.get(payload.partition);
    if (high === undefined || Number(payload.lastOffset) < high - 1) return;
    pending.delete(payload.partition);
    if (pending.size === 0) done();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const high = ends.get(batch.partition);
        if (high === undefined) {
          // Not to be read (or empty when the read began): no more fetches for it.
          if (only !== undefined) payload.pause();
          return;
        }
        for (const m of batch.messages) {
          if (Number(m.offset) >= high) break;
          onMessage(batch.partition, m);
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
