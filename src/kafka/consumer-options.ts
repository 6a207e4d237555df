import type { ConsumerConfig } from 'kafkajs';
import type { Config } from '../config/schema.js';

/** kafkajs' default rebalance timeout, kept unless the session is longer. */
const DEFAULT_REBALANCE_TIMEOUT_MS = 60_000;

/**
 * The prediction consumer's kafkajs options, derived from kafka.*. kafkajs heartbeats between
 * batches (and when the pipeline asks), not in the background: kafka.maxBatchBytes bounds how
 * long a batch keeps the next heartbeat waiting, kafka.sessionTimeout how long it may.
 */
export function predictionConsumerOptions(kafka: Config['kafka']): ConsumerConfig {
  return {
    groupId: kafka.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: kafka.sessionTimeout,
    // A member learns of a rebalance at its next heartbeat, after the batch in hand: the group
    // must wait for it at least as long as it would wait for a silent member.
    rebalanceTimeout: Math.max(DEFAULT_REBALANCE_TIMEOUT_MS, kafka.sessionTimeout),
    // At least three heartbeats per session, so one lost heartbeat does not cost the membership.
    heartbeatInterval: Math.min(3_000, Math.floor(kafka.sessionTimeout / 3)),
    maxBytesPerPartition: kafka.maxBatchBytes,
    // A crash restarts the process, not the consumer: in-memory windows would otherwise count
    // re-delivered events twice. The supervisor restarts from committed offsets, which is exact.
    retry: { retries: 8, restartOnFailure: () => Promise.resolve(false) },
  };
}

/** Stage 2's consumer group: its own offsets over the partials topic. */
export function evaluateGroupId(groupId: string): string {
  return `${groupId}.evaluate`;
}

/** Records a partials record may reach (see partials/topic.ts): fetched whole. */
const PARTIALS_FETCH_BYTES = 16 * 1024 * 1024;

/** Stage 2's consumer: the same session rules, its own group, room for large partials. */
export function partialsConsumerOptions(kafka: Config['kafka']): ConsumerConfig {
  return {
    ...predictionConsumerOptions(kafka),
    groupId: evaluateGroupId(kafka.groupId),
    maxBytesPerPartition: Math.max(kafka.maxBatchBytes, PARTIALS_FETCH_BYTES),
    maxBytes: Math.max(kafka.maxBatchBytes, PARTIALS_FETCH_BYTES) * 2,
  };
}
