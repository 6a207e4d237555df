import type { EachBatchPayload } from 'kafkajs';

/**
 * Awaits `work` while heartbeating on an interval, so a slow endpoint (up to its timeout) or
 * a dead-letter produce waiting out an outage does not cost the group membership. Heartbeat
 * errors are left to the commit after it (a rebalance makes kafkajs redeliver).
 */
export async function heartbeating<T>(
  payload: EachBatchPayload,
  work: Promise<T>,
  everyMs: number,
): Promise<T> {
  const timer = setInterval(() => {
    payload.heartbeat().catch(() => undefined);
  }, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

export interface SleepControl {
  now: () => number;
  isStopping: () => boolean;
  /** Receives the function that cuts the current wait short (undefined once it is over). */
  setWake: (wake: (() => void) | undefined) => void;
}

/** Waits, heartbeating; false when stopping or the group rebalanced (redelivered later). */
export async function sleepHeartbeating(
  ms: number,
  payload: EachBatchPayload,
  { now, isStopping, setWake }: SleepControl,
): Promise<boolean> {
  const until = now() + ms;
  while (now() < until) {
    if (isStopping() || !payload.isRunning() || payload.isStale()) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(1_000, Math.max(0, until - now())));
      setWake(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    setWake(undefined);
    try {
      await payload.heartbeat();
    } catch {
      return false;
    }
  }
  return !isStopping();
}
