import type { Kafka, Message, Producer } from 'kafkajs';
import { isFencingError } from '../kafka/failures.js';
import { openTransactionalProducer } from '../kafka/transactional-id.js';
import { chunkBySize, DEAD_LETTER_CHUNK_BYTES, withoutValue } from '../kafka/dead-letter.js';
import {
  encodePartial,
  encodeProgress,
  type PartialsFormat,
  type SourceProgress,
} from '../partials/codec.js';
import { routeModel } from '../partials/route.js';
import { TimeSlice } from '../shared/time-slice.js';
import type { Window } from '../windows/window.js';
import type { InputPartition } from './input-topics.js';

/** What one input partition hands on in one step, committed together with its offset. */
export interface PartitionOutput {
  /** Final partial windows of this partition (each becomes one record on the partials topic). */
  partials: readonly Window[];
  deadLetters: readonly Message[];
  /** Predictions for the delayed-label join (`p|<id>` on `<groupId>.labels-join`). */
  joinRecords: readonly Message[];
  /** The partition's progress, sent to every partials partition; undefined: unchanged. */
  progress: SourceProgress | undefined;
  /** The input offset to commit and its metadata (the partition's watermark). */
  offset: number;
  metadata: string;
}

export interface OutboxTopics {
  consumerGroupId: string;
  partialsTopic: string;
  partialsPartitions: number;
  /** scale.partialsFormat: 1 while older replicas that read only format 1 still run. */
  partialsFormat: PartialsFormat;
  deadLetterTopic: string;
  /** `<groupId>.labels-join`, when delayed labels are configured. */
  labelsJoinTopic?: string | undefined;
}

/** Another member took the partition over (its transactional id was initialised elsewhere). */
export class PartitionFenced extends Error {
  constructor(
    readonly input: InputPartition,
    cause: unknown,
  ) {
    super(`input partition ${input.topic}/${input.partition} was taken over by another member`, {
      cause,
    });
    this.name = 'PartitionFenced';
  }
}

/** Bytes per send inside the transaction: under the broker's default message.max.bytes. */
const SEND_BYTES = DEAD_LETTER_CHUNK_BYTES;

/**
 * The transactional producer of one input partition (transactional id `<group>.ingest.<p>` for
 * the main topic, `<group>.ingest.<topic>.<p>` for a further one).
 * Each step's partials, dead letters, progress and input offset are one Kafka transaction:
 * stage 2 (read_committed) sees them all or none, and a crash replays the step from the
 * committed offset, producing the same records again. Initialising the id fences a previous
 * owner of the partition (a zombie after a rebalance) and completes its open transaction, so
 * the committed offset read afterwards is final.
 */
export class PartitionOutbox {
  /** The input partition's source number (InputTopics). */
  readonly source: number;
  readonly input: InputPartition;
  private readonly producer: Producer;
  private readonly topics: OutboxTopics;

  private constructor(
    source: number,
    input: InputPartition,
    producer: Producer,
    topics: OutboxTopics,
  ) {
    this.source = source;
    this.input = input;
    this.producer = producer;
    this.topics = topics;
  }

  static async open(
    kafka: Kafka,
    source: number,
    input: InputPartition,
    topics: OutboxTopics,
  ): Promise<PartitionOutbox> {
    // The main topic's id is unchanged since before several topics existed: it still fences
    // a replica of an earlier release.
    const id =
      source === input.partition
        ? `${topics.consumerGroupId}.ingest.${input.partition}`
        : `${topics.consumerGroupId}.ingest.${input.topic}.${input.partition}`;
    // Registered before the stage reads where the partition resumes: a previous owner still
    // alive is fenced and its open transaction completed first.
    const producer = await openTransactionalProducer(kafka, id);
    return new PartitionOutbox(source, input, producer, topics);
  }

  /** Writes one step; throws PartitionFenced when another member owns the partition now. */
  async commit(out: PartitionOutput): Promise<void> {
    const { topics, source, input } = this;
    const records = await partialsRecords(
      out,
      source,
      topics.partialsPartitions,
      topics.partialsFormat,
    );
    const tx = await this.producer.transaction();
    try {
      for (const chunk of chunkBySize(records, SEND_BYTES)) {
        await tx.send({ topic: topics.partialsTopic, messages: chunk, acks: -1 });
      }
      // A dead letter too large on its own travels without its body (headers keep the evidence).
      const letters = out.deadLetters.map((m) =>
        messageBytes(m) > SEND_BYTES ? withoutValue(m) : m,
      );
      for (const chunk of chunkBySize(letters, SEND_BYTES)) {
        await tx.send({ topic: topics.deadLetterTopic, messages: chunk, acks: -1 });
      }
      if (out.joinRecords.length > 0 && topics.labelsJoinTopic !== undefined) {
        for (const chunk of chunkBySize([...out.joinRecords], SEND_BYTES)) {
          await tx.send({ topic: topics.labelsJoinTopic, messages: chunk, acks: -1 });
        }
      }
      // kafkajs passes `metadata` through, though its types do not list it.
      const partitions = [
        { partition: input.partition, offset: String(out.offset), metadata: out.metadata },
      ];
      await tx.sendOffsets({
        consumerGroupId: topics.consumerGroupId,
        topics: [{ topic: input.topic, partitions }],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      if (isFencingError(err)) throw new PartitionFenced(input, err);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

function messageBytes(m: Message): number {
  return m.value === null || m.value === undefined ? 0 : Buffer.byteLength(m.value);
}

/**
 * Partials go to their model's partition; the progress record to every partition, after the
 * partials: stage 2 reads a partition in order, so it has a source's partials of a window
 * before the progress that says the source passed the window's end.
 */
async function partialsRecords(
  out: PartitionOutput,
  source: number,
  partitions: number,
  format: PartialsFormat,
): Promise<Message[]> {
  // One watermark can finish every model's window at once: encoding them takes a while.
  const slice = new TimeSlice();
  const records: Message[] = [];
  for (const w of out.partials) {
    await slice.yieldIfDue();
    records.push({
      partition: routeModel(w.model, partitions),
      key: w.model,
      value: encodePartial(w, source, format),
    });
  }
  if (out.progress) {
    const value = encodeProgress([out.progress], format);
    for (let q = 0; q < partitions; q++) records.push({ partition: q, key: null, value });
  }
  return records;
}
