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
const MAX_REASON_BYTES = 1_000;

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  return bytes
    .subarray(0, max)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** The dead letter without its body, for a body too large for the dead-letter topic. */
export function withoutValue(message: Message): Message {
  const size =
    message.value === null || message.value === undefined ? 0 : Buffer.byteLength(message.value);
  return {
    ...message,
    value: null,
    headers: {
      ...message.headers,
      'driftwatch-value-dropped': `too large for the dead-letter topic (${size} bytes)`,
    },
  };
}

/** The original message, untouched, with why it was rejected and where it came from. */
export function toDeadLetter(
  message: KafkaMessage,
  source: { topic: string; partition: number },
  failure: { code: string; reason: string },
): Message {
  const headers: IHeaders = { ...message.headers };
  headers[DLQ_HEADERS.code] = failure.code;
  headers[DLQ_HEADERS.reason] = truncateUtf8(failure.reason, MAX_REASON_BYTES);
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = message.offset;
  return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
}

/** Bytes per dead-letter send: half the broker's default message.max.bytes. */
export const DEAD_LETTER_CHUNK_BYTES = 512 * 1024;

function approximateSize(message: Message): number {
  let size = 64;
  if (message.value) size += Buffer.byteLength(message.value);
  if (message.key) size += Buffer.byteLength(message.key);
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    size += k.length + (typeof v === 'string' || Buffer.isBuffer(v) ? Buffer.byteLength(v) : 16);
  }
  return size;
}

/**
 * Messages per send at most: kafkajs 2.2.4 groups a send's messages by partition by copying the
 * partition's array for every message (quadratic in the send), which cost the delayed-labels
 * path about a quarter of its CPU with sends of a few thousand small join records
 * (`npm run bench`, labels on).
 */
export const MAX_SEND_MESSAGES = 500;

/**
 * Splits messages into consecutive groups of at most `maxBytes` (one message may exceed it) and
 * MAX_SEND_MESSAGES messages.
 */
export function chunkBySize(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = approximateSize(message);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= MAX_SEND_MESSAGES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
