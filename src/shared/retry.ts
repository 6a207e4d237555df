/** Thrown when the daemon is asked to stop while an outage keeps a retry loop waiting. */
export class StoppedWhileRetrying extends Error {
  constructor(what: string, cause: unknown) {
    super(`stopped while ${what} was still failing`, { cause });
    this.name = 'StoppedWhileRetrying';
  }
}

export interface RetryOptions {
  what: string;
  onFailure: (err: unknown, attempt: number, delayMs: number) => void;
  /** Called between attempts, e.g. the Kafka heartbeat that keeps the group membership. */
  between?: () => Promise<void>;
  shouldStop: () => boolean;
  /** Errors retrying cannot fix; they are rethrown at once. */
  isPermanent?: (err: unknown) => boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Retries until success: an outage of a downstream service makes the daemon wait (consumption
 * is paused because the caller awaits this) rather than drop or reorder work.
 */
export async function retryUntilSuccess<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let delay = opts.initialDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.isPermanent?.(err)) throw err;
      if (opts.shouldStop()) throw new StoppedWhileRetrying(opts.what, err);
      opts.onFailure(err, attempt, delay);
      const until = Date.now() + delay;
      while (Date.now() < until && !opts.shouldStop()) {
        await new Promise((r) => setTimeout(r, Math.min(1_000, until - Date.now())));
        if (opts.between) await opts.between();
      }
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}
