import type { Kafka, Producer } from 'kafkajs';

export type TransactionalProducer = Pick<Producer, 'connect' | 'disconnect' | 'transaction'>;

/**
 * Connects a transactional producer and registers its id before anything reads what the id's
 * earlier owners committed. kafkajs sends InitProducerId for the transactional id (a new epoch)
 * only on the first transaction, not on connect: until then an earlier owner that is still
 * alive (stalled past its session, or mid-commit in a rebalance) is not fenced, and its open
 * transaction may still commit after a new owner read the offsets. The broker answers the
 * registration only once every earlier transaction of the id is complete (an open one
 * aborted). An empty transaction ends without a request of its own. On failure the producer is
 * disconnected and the error thrown.
 */
export async function registerTransactionalId<P extends TransactionalProducer>(
  producer: P,
): Promise<P> {
  await producer.connect();
  try {
    await (await producer.transaction()).abort();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  return producer;
}

/** A transactional producer of driftwatch's (one request in flight, no topic auto-creation). */
export const transactionalProducer = (kafka: Kafka, transactionalId: string): Producer =>
  kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });

/** transactionalProducer, connected and its id registered (see registerTransactionalId). */
export const openTransactionalProducer = (kafka: Kafka, transactionalId: string) =>
  registerTransactionalId(transactionalProducer(kafka, transactionalId));

/**
 * One opened per item, all or none, then `use` with them: when an open or `use` fails, the ones
 * that opened are closed and the failure thrown (a retry then starts from none).
 */
export async function openAll<I, T extends { close(): Promise<void> }, R>(
  items: readonly I[],
  open: (item: I) => Promise<T>,
  use: (opened: T[]) => Promise<R>,
): Promise<R> {
  const settled = await Promise.allSettled(items.map(open));
  const opened = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return await use(opened);
  } catch (err) {
    await Promise.all(opened.map((o) => o.close().catch(() => undefined)));
    throw err;
  }
}
