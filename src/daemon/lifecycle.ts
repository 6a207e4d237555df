/**
 * Where the daemon is in its life: one state, changed only by the transitions of
 * `DaemonLifecycle`.
 *
 *   starting ──► running ──► stopping ──► stopped
 *       │           │            │
 *       └───────────┴────────────┴──────► failed
 *
 * - starting: serving HTTP, loading baselines and rules, reaching the services, joining the
 *   groups. A stop requested meanwhile makes start-up give up at its next step.
 * - running: both stages consume.
 * - stopping: a graceful stop, requested (exit code 0) or after a consumer or a receiver crashed
 *   (exit code 1): the batches in hand finish and commit, then everything disconnects in order.
 * - failed: a batch failed (also during start-up or a graceful stop). The stop runs on as from
 *   stopping, but no further batch is handled: a restart resumes from the committed offsets.
 *   The daemon ends here, exit code 1.
 * - stopped: everything disconnected.
 */
export type DaemonPhase = 'starting' | 'running' | 'stopping' | 'failed' | 'stopped';

/** The daemon's phase and its exit code (0 until something goes wrong; the worst one wins). */
export class DaemonLifecycle {
  private current: DaemonPhase = 'starting';
  private code = 0;

  get phase(): DaemonPhase {
    return this.current;
  }

  /** Stopping, failed or stopped: whatever waits or retries gives up. */
  get stopping(): boolean {
    return this.current !== 'starting' && this.current !== 'running';
  }

  get exitCode(): number {
    return this.code;
  }

  /** starting → running, once start-up returned; a stop that came first stays. */
  started(): void {
    if (this.current === 'starting') this.current = 'running';
  }

  /**
   * starting | running → `to`: true when this begins the stop. A stop under way only takes the
   * worse exit code (a batch failing during a graceful stop must not exit 0), and a failure
   * turns a graceful stop into a failed one.
   */
  stop(code: number, to: 'stopping' | 'failed' = 'stopping'): boolean {
    this.raise(code);
    if (!this.stopping) {
      this.current = to;
      return true;
    }
    if (this.current === 'stopping') this.current = to;
    return false;
  }

  /** stopping → stopped, once everything disconnected (failed stays failed). */
  stopped(): void {
    if (this.current === 'stopping') this.current = 'stopped';
  }

  /** A step of the stop failed: the exit code is at least `code`. */
  raise(code: number): void {
    this.code = Math.max(this.code, code);
  }
}
