import { HttpError } from '@influxdata/influxdb-client';

interface KafkaErrorLike {
  type?: unknown;
  name?: unknown;
}

/** Errors after which kafkajs rejoins the group when they escape a batch (see its runner). */
export function isRebalanceError(err: unknown): boolean {
  const type = (err as KafkaErrorLike | null)?.type;
  return (
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'NOT_COORDINATOR_FOR_GROUP' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'UNKNOWN_MEMBER_ID'
  );
}

export function isMessageTooLarge(err: unknown): boolean {
  const e = err as (KafkaErrorLike & { cause?: unknown }) | null;
  return (
    e?.type === 'MESSAGE_TOO_LARGE' ||
    (e?.cause !== undefined && e.cause !== e && isMessageTooLarge(e.cause))
  );
}

/**
 * InfluxDB refused the data itself (malformed, out of the bucket's retention, too large):
 * retrying cannot help. Auth errors and 5xx/429 are not permanent: an operator or time fixes them.
 */
export function isPermanentInfluxRejection(err: unknown): boolean {
  return (
    err instanceof HttpError &&
    (err.statusCode === 400 || err.statusCode === 413 || err.statusCode === 422)
  );
}

/** Never throws: formatting untrusted values (e.g. a timestamp far out of range) must be safe. */
export function safeIso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
