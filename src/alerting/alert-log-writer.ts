import type { Message, Transaction } from 'kafkajs';
import { registerTransactionalId, type TransactionalProducer } from '../kafka/transactional-id.js';
import { chunkBySize, DEAD_LETTER_CHUNK_BYTES } from '../kafka/dead-letter.js';
import { isFencingError, isMessageTooLarge } from '../kafka/failures.js';

/** Bytes per send inside a transaction: half the broker's default message.max.bytes. */
export const ALERT_LOG_CHUNK_BYTES = DEAD_LETTER_CHUNK_BYTES;

/** What the writer needs of a kafkajs producer created with a transactionalId. */

/** Another daemon took over this writer's alert-log partition (same transactional id). */
export class AlertLogFenced extends Error {
  constructor(transactionalId: string, cause: unknown) {
    super(
      `another driftwatch daemon took over this alert-log partition (transactional id "${transactionalId}": same kafka.groupId, same partition): this one can no longer write to it`,
      { cause },
    );
    this.name = 'AlertLogFenced';
  }
}

/** One record the broker refuses even on its own (message.max.bytes): a bug, not an outage. */
export class AlertRecordTooLarge extends Error {
  readonly record: Message;
  readonly key: string;
  readonly bytes: number;

  constructor(record: Message, cause: unknown) {
    const key = record.key?.toString() ?? '';
    const bytes =
      record.value === null || record.value === undefined ? 0 : Buffer.byteLength(record.value);
    super(`alert-log record "${key}" (${bytes} bytes) is too large for the broker`, { cause });
    this.name = 'AlertRecordTooLarge';
    this.record = record;
    this.key = key;
    this.bytes = bytes;
  }
}

class ChunkTooLarge extends Error {
  constructor(
    readonly chunk: Message[],
    cause: unknown,
  ) {
    super('a send of the transaction was too large', { cause });
  }
}

/**
 * Appends each evaluation's records to one partition of the alert log (the one its id owns) in
 * one Kafka transaction, split into sends
 * that stay under the broker's message limit: consumers (read_committed, the kafkajs default)
 * see an evaluation whole or not at all. Taking over the transactional id fences an older
 * writer of the same id (the previous pod of a rolling deploy) and aborts its open
 * transaction, so whoever took over last is the only writer.
 */
export class AlertLogWriter {
  private readonly createProducer: () => TransactionalProducer;
  private readonly transactionalId: string;
  private readonly topic: string;
  private readonly partition: number;
  private readonly onRecordTooLarge: (err: AlertRecordTooLarge) => void;
  private producer: TransactionalProducer | undefined;
  private fenced: AlertLogFenced | undefined;

  constructor(deps: {
    createProducer: () => TransactionalProducer;
    transactionalId: string;
    topic: string;
    /** Every record goes here: the partition whose state this writer's owner holds. */
    partition: number;
    /** A record the broker refuses even alone was left out: a bug, to report loudly. */
    onRecordTooLarge: (err: AlertRecordTooLarge) => void;
  }) {
    this.createProducer = deps.createProducer;
    this.transactionalId = deps.transactionalId;
    this.topic = deps.topic;
    this.partition = deps.partition;
    this.onRecordTooLarge = deps.onRecordTooLarge;
  }

  /**
   * Registers the transactional id anew, with a new producer (this writer's previous one, if
   * any, is closed; call it between appends, not during one). The broker answers only once
   * every earlier transaction of the id, this writer's own included, is complete: an open one
   * aborted, and the commit or abort markers of all of them written to the log (acks=all). So
   * it fences every other writer of the id, and the log's last stable offset read after it lies
   * past everything the id ever committed (what the restore relies on, see restoreAlertLog).
   * A fenced writer stays fenced: this throws AlertLogFenced.
   */
  async takeOver(): Promise<void> {
    if (this.fenced) throw this.fenced;
    await this.discard();
    this.producer = await this.open();
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
  }

  private open(): Promise<TransactionalProducer> {
    return registerTransactionalId(this.createProducer());
  }

  /** A producer whose transaction state is unknown is replaced (re-registering the id). */
  private async discard(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private failure(err: unknown): unknown {
    if (err instanceof AlertLogFenced || !isFencingError(err)) return err;
    this.fenced = new AlertLogFenced(this.transactionalId, err);
    return this.fenced;
  }

  /**
   * Appends the records (in order) in one transaction. Throws AlertLogFenced once another
   * writer took over (for good: this writer never takes the id back); anything else may be
   * retried. A record the broker refuses even on its own cannot be written by retrying: it is
   * left out (onRecordTooLarge) and the others are written.
   */
  async append(messages: readonly Message[]): Promise<void> {
    let rest = [...messages];
    while (rest.length > 0) {
      try {
        await this.appendInChunks(rest, ALERT_LOG_CHUNK_BYTES);
        return;
      } catch (err) {
        if (!(err instanceof AlertRecordTooLarge)) throw err;
        rest = rest.filter((m) => m !== err.record);
        this.onRecordTooLarge(err);
      }
    }
  }

  private async appendInChunks(messages: Message[], chunkBytes: number): Promise<void> {
    if (this.fenced) throw this.fenced;
    let tx: Transaction;
    try {
      this.producer ??= await this.open();
      tx = await this.producer.transaction();
    } catch (err) {
      await this.discard();
      throw this.failure(err);
    }
    try {
      for (const chunk of chunkBySize(messages, chunkBytes)) {
        try {
          await tx.send({
            topic: this.topic,
            messages: chunk.map((m) => ({ ...m, partition: this.partition })),
            acks: -1,
          });
        } catch (err) {
          throw isMessageTooLarge(err) ? new ChunkTooLarge(chunk, err) : err;
        }
      }
      await tx.commit();
    } catch (err) {
      // After a failed commit kafkajs refuses to abort (the outcome is the broker's): the
      // next producer's registration completes or aborts it, and the records are written again.
      try {
        await tx.abort();
      } catch {
        await this.discard();
      }
      if (!(err instanceof ChunkTooLarge)) throw this.failure(err);
      const [first, ...others] = err.chunk;
      if (first !== undefined && others.length === 0)
        throw new AlertRecordTooLarge(first, err.cause);
      // The broker's limit is below the chunk size: every record in a send of its own.
      await this.appendInChunks(messages, 0);
    }
  }
}
