import type { Baseline } from '../baseline/baseline.js';
import type { BaselineStore } from '../baseline/store.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';

export function logBaselineLoaded(logger: Logger, b: Baseline): void {
  logger.info(
    { model: b.model, model_version: b.modelVersion, baseline: b.hash, file: b.file },
    'baseline loaded',
  );
}

/**
 * Rescans the baseline directory every `intervalMs`, so a baseline for a new model version is
 * used without a restart. A bad new file is logged and counted each time it changes, and
 * never stops the daemon: the baselines already loaded keep working.
 */
export function startBaselineReload(
  store: BaselineStore,
  intervalMs: number,
  logger: Logger,
  metrics: DaemonMetrics,
): () => void {
  metrics.baselinesLoaded.set(store.size);
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(() => {
    try {
      const report = store.reload();
      for (const b of report.added) logBaselineLoaded(logger, b);
      for (const { file, error } of report.failed) {
        metrics.baselineLoadFailures.inc();
        logger.error({ file, code: error.code, err: error.message }, 'baseline not loaded');
      }
      metrics.baselinesLoaded.set(store.size);
    } catch (err) {
      metrics.baselineLoadFailures.inc();
      logger.error({ err, dir: store.dir }, 'rescanning the baseline directory failed');
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
