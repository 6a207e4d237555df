import type { BatchContext } from '../shared/batch-context.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import {
  evaluateWindow,
  SUMMARY_METHOD,
  type WindowPoint,
  type WindowDriftSettings,
} from '../drift/window-points.js';
import type { Window } from '../windows/window.js';
import { safeIso } from '../shared/untrusted-text.js';
import { TimeSlice } from '../shared/time-slice.js';
import { tagPreview, writeSkippingRefused } from '../sinks/influx-write.js';
import { baselineLabels } from '../baseline/baseline.js';

/** Points per InfluxDB request: a fleet's window end has thousands. */
const WRITE_CHUNK_POINTS = 500;

/** How many distinct unknown (model, version) pairs are logged by name; the rest only counted. */
const MAX_LOGGED_UNKNOWN_MODELS = 1_000;

export interface WindowEmitterDeps {
  drift: WindowDriftSettings;
  metrics: DaemonMetrics;
  logger: Logger;
  writeResults: (results: readonly WindowPoint[]) => Promise<void>;
}

/** Turns closed windows into durable drift points, waiting out outages of InfluxDB. */
export class WindowEmitter {
  private readonly deps: WindowEmitterDeps;
  private readonly unavailableLogged = new Set<string>();

  constructor(deps: WindowEmitterDeps) {
    this.deps = deps;
  }

  /** Counted per method; each distinct cause logged once (bounded). */
  private noteUnavailable(points: readonly WindowPoint[]): void {
    for (const p of points) {
      if (p.kind !== 'drift' || p.status !== 'unavailable') continue;
      this.deps.metrics.driftUnavailable.inc({ method: p.method });
      const key = `${p.model}\u0000${p.modelVersion}\u0000${p.feature}\u0000${p.method}\u0000${p.reason ?? ''}`;
      if (
        this.unavailableLogged.size < MAX_LOGGED_UNKNOWN_MODELS &&
        !this.unavailableLogged.has(key)
      ) {
        this.unavailableLogged.add(key);
        this.deps.logger.warn(
          {
            model: p.model,
            model_version: p.modelVersion,
            feature: p.feature,
            method: p.method,
            reason: p.reason,
          },
          'a drift method gave no result for this feature',
        );
      }
    }
  }

  /**
   * Evaluates closed windows and writes their points durably (InfluxDB acknowledged, outages
   * waited out); returns the points for the alert rules.
   */
  async emit(closed: readonly Window[], context: BatchContext): Promise<WindowPoint[]> {
    const points = await this.evaluate(closed, context);
    await this.write(closed, points, context);
    return points;
  }

  /** The closed windows' points, yielding between windows (the CPU part of `emit`). */
  async evaluate(closed: readonly Window[], context: BatchContext): Promise<WindowPoint[]> {
    if (closed.length === 0) return [];
    const results: WindowPoint[] = [];
    const slice = new TimeSlice();
    for (const w of closed) {
      for (const p of evaluateWindow(w, this.deps.drift)) results.push(p);
      // A watermark may close many models' windows at once: let heartbeats and I/O through.
      if (slice.due()) {
        await context.heartbeat();
        await slice.pause();
      }
    }
    this.noteUnavailable(results);
    return results;
  }

  /** Writes `evaluate`'s points of `closed` durably, then counts and logs the windows. */
  async write(
    closed: readonly Window[],
    results: readonly WindowPoint[],
    context: BatchContext,
  ): Promise<void> {
    const { metrics, logger } = this.deps;
    if (closed.length === 0) return;
    const slice = new TimeSlice();
    // In requests of WRITE_CHUNK_POINTS (turning points into line protocol is synchronous
    // work), all in flight at once: InfluxDB takes them in parallel, each retried on its own.
    const writes: Promise<number>[] = [];
    for (let at = 0; at < results.length; at += WRITE_CHUNK_POINTS) {
      writes.push(this.writeChunk(results.slice(at, at + WRITE_CHUNK_POINTS), context));
      if (slice.due()) await slice.pause();
    }
    for (const acknowledged of await Promise.all(writes)) metrics.pointsWritten.inc(acknowledged);
    const drifted = driftedFeatures(results);
    for (const w of closed) {
      const { model, modelVersion } = w;
      metrics.windowsEmitted.inc(baselineLabels(w.baseline));
      if (w.longCategories > 0) metrics.longCategoryValues.inc(w.longCategories);
      logger.info(
        {
          model,
          model_version: modelVersion,
          window_start: new Date(w.start).toISOString(),
          window_end: new Date(w.end).toISOString(),
          ...(w.tag === undefined ? {} : { window: w.tag }),
          events: w.events,
          ...(w.longCategories > 0 ? { long_category_values: w.longCategories } : {}),
          baseline: w.baseline.hash,
          ...(w.baseline.modelVersion === modelVersion
            ? {}
            : { baseline_version: w.baseline.modelVersion }),
          drifted: drifted.get(windowKey(model, modelVersion, w.start, w.end, w.tag)) ?? [],
        },
        'window emitted',
      );
    }
  }

  /** Returns how many points InfluxDB acknowledged (refused ones are counted, logged, skipped). */
  private async writeChunk(results: WindowPoint[], context: BatchContext): Promise<number> {
    const { metrics, logger } = this.deps;
    return writeSkippingRefused(results, {
      what: 'drift points',
      write: (batch) => this.deps.writeResults(batch),
      identify: (p) => ({
        model: tagPreview(p.model),
        model_version: tagPreview(p.modelVersion),
        feature: tagPreview(p.feature),
        method: p.kind === 'summary' ? SUMMARY_METHOD : p.method,
        window_end: safeIso(p.windowEnd),
      }),
      retry: {
        context,
        onFailure: (err, attempt, retryInMs) => {
          metrics.influxWriteFailures.inc();
          logger.error(
            { err, attempt, retryInMs },
            'writing drift points to InfluxDB failed; consumption waits and retries',
          );
        },
      },
      metrics,
      logger,
    });
  }
}

/** A base window, its hopping views and a count window may end together: start and tag too. */
const windowKey = (model: string, version: string, start: number, end: number, tag = '') =>
  `${model}\u0000${version}\u0000${start}\u0000${end}\u0000${tag}`;

/** The drifted features of each window (one pass: a window end may close hundreds). */
function driftedFeatures(points: readonly WindowPoint[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of points) {
    if (p.kind !== 'drift' || !p.drifted) continue;
    const key = windowKey(p.model, p.modelVersion, p.windowStart, p.windowEnd, p.windowTag);
    const list = out.get(key);
    if (list) list.push(p.feature);
    else out.set(key, [p.feature]);
  }
  return out;
}
