import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** Header names on dead-lettered messages; documented in the README. */
export const DLQ_HEADERS = {
  code: 'driftwatch-error-code',
  reason: 'driftwatch-error-reason',
  topic: 'driftwatch-source-topic',
  partition: 'driftwatch-source-partition',
  offset: 'driftwatch-source-offset',
} as const;

/** Reasons are bounded so one huge validation report cannot blow up a header. */
const MAX_REASON_BYTES = 4_000;

/** The original message, untouched, with why it was rejected and where it came from. */
export function toDeadLetter(
  message: KafkaMessage,
  source: { topic: string; partition: number },
  failure: { code: string; reason: string },
): Message {
  const headers: IHeaders = { ...message.headers };
  headers[DLQ_HEADERS.code] = failure.code;
  headers[DLQ_HEADERS.reason] = failure.reason.slice(0, MAX_REASON_BYTES);
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = message.offset;
  return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
}
