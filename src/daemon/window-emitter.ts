import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import {
  evaluateWindow,
  SUMMARY_METHOD,
  type WindowPoint,
  type WindowDriftSettings,
} from '../windows/evaluate.js';
import type { Windower } from '../windows/windower.js';
import type { Baseline } from '../baseline/baseline.js';
import { safeIso } from './failures.js';
import { tagPreview, writeSkippingRefused } from './influx-write.js';

/** How many distinct unknown (model, version) pairs are logged by name; the rest only counted. */
const MAX_LOGGED_UNKNOWN_MODELS = 1_000;

export interface WindowEmitterDeps {
  windower: Windower;
  drift: WindowDriftSettings;
  metrics: DaemonMetrics;
  logger: Logger;
  writeResults: (results: readonly WindowPoint[]) => Promise<void>;
  /** Alert rules over the emitted points; durable before it resolves (see Alerting). */
  onEmitted?: (
    results: readonly WindowPoint[],
    watermark: number,
    heartbeat: () => Promise<void>,
  ) => Promise<void>;
  isStopping: () => boolean;
}

/** Turns closed windows into durable drift points, waiting out outages of InfluxDB. */
export class WindowEmitter {
  private readonly deps: WindowEmitterDeps;
  private readonly unknownModels = new Set<string>();
  private readonly unavailableLogged = new Set<string>();

  constructor(deps: WindowEmitterDeps) {
    this.deps = deps;
  }

  /**
   * An event for a window already emitted. Labelled by the baseline, never by the event: under
   * `baselines.fallback` made-up versions would otherwise grow the label sets without bound.
   */
  noteLate(model: string, modelVersion: string): void {
    const baseline = this.deps.windower.baselineOf(model, modelVersion);
    // The window's entry (and so its baseline) exists whenever add() answers 'late'.
    this.deps.metrics.eventsLate.inc(baseline ? baselineLabels(baseline) : {});
  }

  /** Counted without labels (model names in messages are unbounded), logged once per pair. */
  noteWithoutBaseline(model: string, modelVersion: string, rejected: boolean): void {
    this.deps.metrics.eventsWithoutBaseline.inc();
    const key = `${model}\u0000${modelVersion}`;
    if (this.unknownModels.size < MAX_LOGGED_UNKNOWN_MODELS && !this.unknownModels.has(key)) {
      this.unknownModels.add(key);
      this.deps.logger.warn(
        { model, model_version: modelVersion },
        rejected
          ? 'events of a model version without a baseline go to the dead-letter topic'
          : 'events of a model version without a baseline are counted and dropped (baselines.fallback: drop)',
      );
    }
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

  async emitClosed(heartbeat: () => Promise<void>): Promise<void> {
    const { windower, metrics, logger } = this.deps;
    const closed = windower.takeClosed();
    // The watermark may move while the points are written (a lag probe lands): what is told to
    // the alert rules, and committed, is where these windows were closed.
    const watermark = windower.closedUpTo;
    metrics.openWindows.set(windower.openWindowCount);
    metrics.watermark.set(Number.isFinite(watermark) ? watermark / 1000 : 0);
    if (closed.length === 0) {
      // Event time moved on: group timers and stale-data alerts still run.
      await this.deps.onEmitted?.([], watermark, heartbeat);
      return;
    }
    const results: WindowPoint[] = [];
    for (const w of closed) {
      results.push(...evaluateWindow(w, this.deps.drift));
      // Exact statistics of many features can take a while: let heartbeats and I/O through.
      await heartbeat();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.noteUnavailable(results);
    metrics.pointsWritten.inc(await this.write(results, heartbeat));
    await this.deps.onEmitted?.(results, watermark, heartbeat);
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
          events: w.events,
          ...(w.longCategories > 0 ? { long_category_values: w.longCategories } : {}),
          baseline: w.baseline.hash,
          ...(w.baseline.modelVersion === modelVersion
            ? {}
            : { baseline_version: w.baseline.modelVersion }),
          drifted: results
            .filter(
              (r) =>
                r.windowEnd === w.end &&
                r.model === model &&
                r.modelVersion === modelVersion &&
                r.kind === 'drift' &&
                r.drifted,
            )
            .map((r) => r.feature),
        },
        'window emitted',
      );
    }
  }

  /** Returns how many points InfluxDB acknowledged (refused ones are counted, logged, skipped). */
  private async write(results: WindowPoint[], heartbeat: () => Promise<void>): Promise<number> {
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
        between: heartbeat,
        shouldStop: this.deps.isStopping,
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

/** Metric labels of a series: the baseline's model and version, bounded by the baselines loaded. */
function baselineLabels(baseline: Baseline): { model: string; model_version: string } {
  return { model: baseline.model, model_version: baseline.modelVersion };
}
