import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../logger.js';

/**
 * Where a partition must resume after a join: the offset its group committed. kafkajs fetches
 * from the offsets it read at the join, which may be behind (a fenced predecessor committed
 * since) or, with several brokers, ahead (a batch resolved into the new generation).
 */
export class ResumeGate {
  private resumeAt: number | undefined;
  private seeked = false;

  constructor(resumeAt: number) {
    this.resumeAt = resumeAt;
  }

  /** Until the first usable batch: the offset reading resumes at. */
  get pending(): number | undefined {
    return this.resumeAt;
  }

  /**
   * The index of the batch's first message to process; undefined when the batch must be
   * dropped because it was fetched past the resume offset (then it seeks back, once).
   * Messages before the resume offset were committed already and are skipped.
   */
  firstUsableIndex(
    payload: EachBatchPayload,
    seek: (partition: number, offset: number) => void,
    logger: Logger,
  ): number | undefined {
    const resumeAt = this.resumeAt;
    if (resumeAt === undefined) return 0;
    const { partition, messages } = payload.batch;
    const fetchedFrom = Number(
      (payload.batch as { fetchedOffset?: string }).fetchedOffset ?? resumeAt,
    );
    if (fetchedFrom > resumeAt && !this.seeked) {
      logger.warn(
        { topic: payload.batch.topic, partition, fetchedFrom, resumeAt },
        'batch fetched past the resume offset; seeking back',
      );
      this.seeked = true;
      seek(partition, resumeAt);
      return undefined;
    }
    this.resumeAt = undefined;
    const index = messages.findIndex((m) => Number(m.offset) >= resumeAt);
    return index === -1 ? messages.length : index;
  }
}
