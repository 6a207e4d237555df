import type { Producer } from 'kafkajs';
import type { Silence } from '../../alert-engine/silence.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { SilenceFeed } from './silence-feed.js';
import { tombstoneSilences } from './silences-topic.js';

/** How often a daemon looks for silences past their retention: they are few and not urgent. */
export const SWEEP_INTERVAL_MS = 60 * 60_000;

/**
 * Silences that ended more than `retentionMs` before wall-clock `now`: due a tombstone. Wall
 * clock, not event time: retention is about the topic's size and what `silence list` shows; a
 * replay of windows older than that no longer meets the silence (documented with the setting).
 */
export function silencesPastRetention(
  silences: Iterable<Silence>,
  now: number,
  retentionMs: number,
): Silence[] {
  return [...silences].filter((s) => s.endsAt + retentionMs <= now);
}

export interface SilenceSweeperDeps {
  feed: Pick<SilenceFeed, 'list' | 'forget'>;
  producer: Producer;
  topic: string;
  retentionMs: number;
  /**
   * Whether this replica sweeps now (the one holding alert-log partition 0): one replica is
   * enough, and two during a rebalance only write the same tombstones twice.
   */
  isSweeper: () => boolean;
  metrics: DaemonMetrics;
  logger: Logger;
  now?: () => number;
}

/**
 * Keeps the compacted silences topic from growing forever: every SWEEP_INTERVAL_MS (and at
 * start) the sweeping replica tombstones the silences past `alerts.silenceRetention`.
 */
export class SilenceSweeper {
  private readonly deps: SilenceSweeperDeps;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(deps: SilenceSweeperDeps) {
    this.deps = deps;
  }

  start(): void {
    this.timer = setInterval(() => this.trigger(), SWEEP_INTERVAL_MS);
    // Never what keeps a stopping process alive.
    this.timer.unref();
    this.trigger();
  }

  /** Waits for a sweep in flight, so the producer is not disconnected under it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep; the ids tombstoned. Failures are counted and logged, the next sweep retries. */
  async sweep(): Promise<string[]> {
    const { feed, producer, topic, retentionMs, metrics, logger } = this.deps;
    if (!this.deps.isSweeper()) return [];
    const now = (this.deps.now ?? Date.now)();
    const due = silencesPastRetention(feed.list(), now, retentionMs).map((s) => s.id);
    if (due.length === 0) return [];
    try {
      await tombstoneSilences(producer, topic, due);
    } catch (err) {
      metrics.silenceFailures.inc();
      logger.warn({ err, topic, silences: due.length }, 'tombstoning expired silences failed');
      return [];
    }
    // Here at once; the other replicas when they read the tombstones.
    feed.forget(due);
    logger.info({ topic, silences: due, retentionMs }, 'expired silences removed');
    return due;
  }

  /**
   * A sweep soon (in the background): at start and whenever this replica's alert-log
   * partitions change, since it may just have become the sweeper.
   */
  trigger(): void {
    if (this.timer === undefined) return;
    // One sweep at a time (a slow broker must not pile them up); one asked for meanwhile runs
    // after it, as the partitions may have changed since it looked.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
  }
}
