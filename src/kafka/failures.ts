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

/** kafkajs names PRODUCER_FENCED (90) only by its code; older request versions get 47. */
export function isFencingError(err: unknown): boolean {
  const e = err as { type?: unknown; message?: unknown; cause?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED') return true;
  if (typeof e.message === 'string' && /\bUnknown error code 90\b/.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== e && isFencingError(e.cause);
}
