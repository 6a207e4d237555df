/**
 * Retry delays for notification delivery: exponential backoff with full jitter
 * (sleep = random(0, min(cap, base·2^(attempt-1)))), never earlier than the receiver's
 * `Retry-After` (itself capped, so a hostile or broken receiver can't park a message forever).
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** A delay in [0, min(capMs, baseMs·2^(attempt-1))]; `attempt` counts from 1. */
export function fullJitterDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** exponent);
  if (!(ceiling > 0)) return 0;
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(r * ceiling);
}

/**
 * A `Retry-After` header as milliseconds from `nowMs`: delta-seconds or an HTTP-date, clamped
 * at 0 (a date in the past means "now"). Undefined when absent or unparseable.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // HTTP-dates always name a weekday and "GMT"; requiring a letter keeps bare numbers with a
  // sign or a fraction (invalid delta-seconds) from being read as a year by Date.parse.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The delay before the next attempt: the jittered backoff, or Retry-After (≤ cap) if later. */
export function nextDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const jitter = fullJitterDelay(attempt, opts, random);
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jitter;
  return Math.max(Math.min(retryAfterMs, opts.capMs), jitter);
}
