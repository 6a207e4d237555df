import type { Baseline } from '../baseline/baseline.js';
import { REFUSAL_REASONS } from '../baseline/file-read.js';
import { BaselineStore, type ReloadReport } from '../baseline/store.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';

export function logBaselineLoaded(logger: Logger, b: Baseline): void {
  logger.info(
    { model: b.model, model_version: b.modelVersion, baseline: b.hash, file: b.file },
    'baseline loaded',
  );
}

/** Logs and counts what a scan found; refused and failed files never stop the others. */
function reportScan(report: ReloadReport, logger: Logger, metrics: DaemonMetrics): void {
  for (const b of report.added) logBaselineLoaded(logger, b);
  for (const refusal of report.refused) {
    metrics.baselineFilesRefused.inc({ reason: refusal.reason });
    logger.warn(
      { file: refusal.file, code: refusal.code, reason: refusal.reason, ...refusal.detail },
      'baseline file refused',
    );
  }
  for (const { file, error } of report.failed) {
    metrics.baselineLoadFailures.inc();
    logger.error({ file, code: error.code, err: error.message }, 'baseline not loaded');
  }
}

/** The daemon's store of baselines.dir: its fallback (a mode, or one version) and size limit. */
export function baselineStoreOf(settings: Config['baselines']): BaselineStore {
  const { dir, fallback, maxFileSize } = settings;
  return new BaselineStore(
    dir,
    typeof fallback === 'string' ? { mode: fallback } : { mode: 'version', ...fallback },
    maxFileSize,
  );
}

/**
 * The start-up scan: an invalid baseline stops the daemon (bad configuration), a refused file
 * (a FIFO, a symlink out of the directory, one too large) is logged and counted, like later.
 */
export async function loadBaselinesAtStart(
  store: BaselineStore,
  logger: Logger,
  metrics: DaemonMetrics,
): Promise<void> {
  // Every reason shows in /metrics from the start, at 0.
  for (const reason of REFUSAL_REASONS) metrics.baselineFilesRefused.inc({ reason }, 0);
  const report = await store.reload();
  reportScan(report, logger, metrics);
  const first = report.failed[0];
  if (first) throw first.error;
  metrics.baselinesLoaded.set(store.size);
  if (store.size === 0) {
    logger.warn(
      { dir: store.dir },
      'no baselines found yet: events are not evaluated until one is added',
    );
  }
}

/**
 * Rescans the baseline directory every `intervalMs`, so a baseline for a new model version is
 * used without a restart. A bad new file is logged and counted each time it changes, and
 * never stops the daemon: the baselines already loaded keep working. A scan still running
 * when the next is due (a slow disk) is not doubled.
 */
export function startBaselineReload(
  store: BaselineStore,
  intervalMs: number,
  logger: Logger,
  metrics: DaemonMetrics,
): () => void {
  if (intervalMs <= 0) return () => undefined;
  let scanning = false;
  const timer = setInterval(() => {
    if (scanning) return;
    scanning = true;
    store
      .reload()
      .then(
        (report) => {
          reportScan(report, logger, metrics);
          metrics.baselinesLoaded.set(store.size);
        },
        (err: unknown) => {
          metrics.baselineLoadFailures.inc();
          logger.error({ err, dir: store.dir }, 'rescanning the baseline directory failed');
        },
      )
      .finally(() => (scanning = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
