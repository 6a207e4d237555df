import type { Message } from 'kafkajs';
import { encodePrediction, joinPartition, predictionKey } from '../labels/join-records.js';
import { MAX_ID_LENGTH } from '../labels/label-message.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';
import { readPrediction } from '../windows/window-quality.js';

/** Where stage 1 hands predictions to the delayed-label join (labels configured). */
export interface JoinTopic {
  topic: string;
  partitions: number;
  /** windows.size: a prediction's base window. */
  windowMs: number;
}

/**
 * The predictions of one input partition that go to `<groupId>.labels-join` (`p|<id>`, on
 * partition joinPartition(id)), committed in the partition's next transaction. Each is handed
 * on once: the commit metadata records the offset handed up to, and a replay from an earlier
 * committed offset (open windows) skips the events below it. Only events with an `id` whose
 * prediction the pairing can read; nothing is kept for the others.
 */
export class JoinFeed {
  private readonly target: JoinTopic;
  private records: Message[] = [];
  /** The next offset whose events are not handed on yet. */
  private handedTo: number;

  constructor(target: JoinTopic, from: number) {
    this.target = target;
    this.handedTo = from;
  }

  /** The offset the commit metadata records (events below it were handed on). */
  get readTo(): number {
    return this.handedTo;
  }

  get size(): number {
    return this.records.length;
  }

  /** An event a window took (offset: its message's). */
  add(log: PredictionLog, baselineHash: string, offset: number): void {
    const id = log.id;
    // An id longer than a label's may be could never be labelled (the re-key step refuses it).
    if (id === undefined || id.length === 0 || id.length > MAX_ID_LENGTH) return;
    if (offset < this.handedTo) return;
    const read = readPrediction(log.prediction);
    if (read === undefined) return;
    const size = this.target.windowMs;
    const windowStart = Math.floor(log.timestamp / size) * size;
    this.records.push({
      partition: joinPartition(id, this.target.partitions),
      key: predictionKey(id),
      value: encodePrediction({
        id,
        model: log.model,
        modelVersion: log.model_version,
        baselineHash,
        time: log.timestamp,
        windowStart,
        windowEnd: windowStart + size,
        ...read,
      }),
    });
  }

  /** The batch was read up to `next` (exclusive). */
  readUpTo(next: number): void {
    if (next > this.handedTo) this.handedTo = next;
  }

  /** The records to hand on in the next transaction. */
  take(): Message[] {
    const out = this.records;
    this.records = [];
    return out;
  }
}
