import type { SourceProgress } from '../partials/codec.js';
import type { PartitionPosition } from '../windows/partition-clocks.js';
import type { Windower } from '../windows/windower.js';
import type { Message } from 'kafkajs';
import { encodeCommitMetadata } from '../kafka/offset-metadata.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import type { PartitionOutbox, PartitionOutput } from './partition-outbox.js';
import type { JoinFeed } from './join-feed.js';

/**
 * How often a partition commits when nothing but its offset moved (no closed window, dead
 * letter or progress to hand on): what a crash may have to re-read, against a transaction per
 * batch.
 */
export const OFFSET_COMMIT_INTERVAL_MS = 1_000;

/** Where an input partition resumes after a join, as the group committed it. */
export interface PartitionStart {
  /** Next offset to read: the committed offset, else where the group starts. */
  resumeAt: number;
  /** The partition's watermark committed with the offset (metadata), if any. */
  watermark: number | undefined;
  /** Delayed labels: the offset up to which predictions went to the join (commit metadata). */
  labelsTo?: number | undefined;
  position: PartitionPosition;
}

/**
 * Stage 1's state for one input partition between two joins: its windows (partials: they see
 * only this partition's events), its event-time clock, its outbox, and what stage 2 was told.
 * Everything here is rebuilt from the committed offset and watermark after every join.
 */
export class IngestPartition {
  readonly partition: number;
  readonly windower: Windower;
  readonly outbox: PartitionOutbox;
  private readonly windowSizeMs: number;
  /** How long an idle claim holds (the lag probe's validity). */
  private readonly claimMs: number;
  readonly resume: ResumeGate;
  /** Predictions handed to the delayed-label join (labels configured). */
  readonly joinFeed: JoinFeed | undefined;
  lastProcessed: number | undefined;
  /** Another member owns the partition now: nothing more is processed until the next join. */
  fenced = false;
  /** What the last output handed on (see handedOn). */
  private handedOffset: number | undefined;
  private handedMetadata: string | undefined;
  private handedOnAt = -Infinity;
  /** The transaction of the last output, until it is committed (or failed). */
  inFlight: Promise<void> | undefined;
  /** The last progress stage 2 was sent (undefined: none since the join). */
  private announced: SourceProgress | undefined;

  constructor(
    partition: number,
    windower: Windower,
    outbox: PartitionOutbox,
    start: PartitionStart,
    windowSizeMs: number,
    claimMs: number,
    joinFeed?: JoinFeed,
  ) {
    this.joinFeed = joinFeed;
    this.partition = partition;
    this.windower = windower;
    this.outbox = outbox;
    this.resume = new ResumeGate(start.resumeAt);
    this.windowSizeMs = windowSizeMs;
    this.claimMs = claimMs;
  }

  /**
   * What this partition hands on now: windows its watermark passed (and, once it is idle,
   * every window it holds), new dead letters, its progress when stage 2 needs to hear it, and
   * the offset to commit. Undefined when nothing changed.
   */
  nextOutput(deadLetters: readonly Message[], now: number): PartitionOutput | undefined {
    const { windower, partition } = this;
    let partials = windower.takeClosed();
    const idle = windower.isIdle(partition);
    if (idle) partials = partials.concat(windower.takeAll());
    const watermark = windower.closedUpTo;
    const progress: SourceProgress = {
      source: partition,
      watermark,
      idle,
      idleUntil: idle ? windower.idleUntil(partition) : 0,
    };
    if (idle) progress.idleEnd = windower.idleEnd(partition);
    const announce = this.needsAnnouncing(progress, now);
    const processed =
      this.lastProcessed === undefined ? undefined : new Map([[partition, this.lastProcessed]]);
    const offset =
      windower.committableOffsets(processed ?? new Map()).get(partition) ??
      this.handedOffset ??
      this.resume.pending;
    if (offset === undefined) return undefined;
    const feed = this.joinFeed;
    const metadata = encodeCommitMetadata(watermark, feed?.readTo);
    // Predictions for the join wait like a moved offset does (their offset is in the metadata).
    if (partials.length === 0 && deadLetters.length === 0 && !announce) {
      const unchanged = offset === this.handedOffset && metadata === this.handedMetadata;
      // Only the offset moved: one transaction per OFFSET_COMMIT_INTERVAL_MS at most (each
      // costs several broker round trips); a crash meanwhile re-reads a little more.
      if (unchanged || now - this.handedOnAt < OFFSET_COMMIT_INTERVAL_MS) return undefined;
    }
    return {
      partials,
      deadLetters,
      joinRecords: feed?.take() ?? [],
      progress: announce ? progress : undefined,
      offset,
      metadata,
    };
  }

  /**
   * The output went to the outbox at `now` (its transaction may still be in flight: the next
   * output is computed against it; were it to fail for good, the partition is fenced or the
   * daemon stops, and a join rebuilds all of this from what Kafka committed).
   */
  handedOn(out: PartitionOutput, now: number): void {
    this.handedOnAt = now;
    this.handedOffset = out.offset;
    this.handedMetadata = out.metadata;
    if (out.progress) this.announced = out.progress;
  }

  /**
   * Stage 2 hears of a partition when its watermark enters another window (that is all window
   * closing depends on), when it turns idle or busy, and before an idle claim runs out.
   */
  private needsAnnouncing(p: SourceProgress, now: number): boolean {
    const last = this.announced;
    if (last === undefined) return true;
    if (p.idle !== last.idle) return true;
    // Stage 2 stops trusting a claim once the log grows past its end: a claim made after
    // reading more (e.g. messages that only went to the dead-letter topic) must reach it.
    if (p.idle && p.idleEnd !== last.idleEnd) return true;
    // An idle claim is renewed once half of its validity is gone (and a fresher probe exists).
    if (p.idle && p.idleUntil > last.idleUntil && last.idleUntil - now < this.claimMs / 2) {
      return true;
    }
    return this.boundary(p.watermark) !== this.boundary(last.watermark);
  }

  private boundary(watermark: number): number {
    return Number.isFinite(watermark) ? Math.floor(watermark / this.windowSizeMs) : watermark;
  }
}
