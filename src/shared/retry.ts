import type { BatchContext } from './batch-context.js';

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
  /** Heartbeats between attempts (keeping the group membership); gives up once stopping. */
  context: BatchContext;
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
      if (opts.context.stopping) throw new StoppedWhileRetrying(opts.what, err);
      opts.onFailure(err, attempt, delay);
      const until = Date.now() + delay;
      while (Date.now() < until && !opts.context.stopping) {
        await new Promise((r) => setTimeout(r, Math.min(1_000, until - Date.now())));
        await opts.context.heartbeat();
      }
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}
