import type { Kafka, Message, Producer } from 'kafkajs';
import { openTransactionalProducer } from '../kafka/transactional-id.js';
import { chunkBySize, DEAD_LETTER_CHUNK_BYTES } from '../kafka/dead-letter.js';
import { isFencingError } from '../kafka/failures.js';

/** Another member owns the partition now (its transactional id was initialised elsewhere). */
export class PartitionTaken extends Error {
  constructor(
    readonly transactionalId: string,
    cause: unknown,
  ) {
    super(`transactional id ${transactionalId} was taken over by another member`, { cause });
    this.name = 'PartitionTaken';
  }
}

export interface ConsumedUpTo {
  groupId: string;
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: number;
  metadata?: string;
}

/**
 * The transactional producer of one consumed partition of a delayed-labels step: what a batch
 * produces and the consumer offset after it commit together (consume-transform-produce), so a
 * crash replays the batch and a label counts once. Opening it fences a previous owner and
 * completes its open transaction before the committed offset is read.
 */
export class PartitionTx {
  private readonly producer: Producer;
  readonly transactionalId: string;

  private constructor(producer: Producer, transactionalId: string) {
    this.producer = producer;
    this.transactionalId = transactionalId;
  }

  static async open(kafka: Kafka, transactionalId: string): Promise<PartitionTx> {
    const producer = await openTransactionalProducer(kafka, transactionalId);
    return new PartitionTx(producer, transactionalId);
  }

  async commit(
    sends: ReadonlyArray<{ topic: string; messages: Message[] }>,
    consumed: ConsumedUpTo,
  ): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      for (const { topic, messages } of sends) {
        for (const chunk of chunkBySize(messages, DEAD_LETTER_CHUNK_BYTES)) {
          await tx.send({ topic, messages: chunk, acks: -1 });
        }
      }
      const partition = {
        partition: consumed.partition,
        offset: String(consumed.offset),
        ...(consumed.metadata === undefined ? {} : { metadata: consumed.metadata }),
      };
      await tx.sendOffsets({
        consumerGroupId: consumed.groupId,
        topics: [{ topic: consumed.topic, partitions: [partition] }],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      if (isFencingError(err)) throw new PartitionTaken(this.transactionalId, err);
      throw err;
    }
  }

  /**
   * Commits a transaction of one tombstone of `key` (a key no reader uses) on `partition` of
   * `topic` and returns its offset: every transaction this id's earlier owners committed lies
   * before it.
   */
  async mark(topic: string, partition: number, key: string): Promise<number> {
    const tx = await this.producer.transaction();
    try {
      const [sent] = await tx.send({
        topic,
        messages: [{ partition, key, value: null }],
        acks: -1,
      });
      await tx.commit();
      const offset = Number(sent?.baseOffset);
      if (!Number.isSafeInteger(offset)) throw new Error(`no offset for the marker on ${topic}`);
      return offset;
    } catch (err) {
      await tx.abort().catch(() => undefined);
      if (isFencingError(err)) throw new PartitionTaken(this.transactionalId, err);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
