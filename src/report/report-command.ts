import { writeFileSync } from 'node:fs';
import { BaselineStore } from '../baseline/store.js';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { influxReaderOf } from '../sinks/influx-client.js';
import { queryReport, type ReportRange } from './report-query.js';
import { renderReport } from './render.js';

/** `driftwatch report`: one model version's drift over a range, as a self-contained HTML file. */
export async function writeReport(
  config: Config,
  range: ReportRange,
  out: string,
  now: number = Date.now(),
): Promise<{ bytes: number; modelVersion: string; features: number }> {
  if (!(range.from < range.to)) {
    throw new DriftwatchError('CLI_USAGE', '--from must be before --to');
  }
  const queried = await queryReport(
    {
      ...influxReaderOf(config),
      alertsMeasurement: config.alerts?.measurement ?? 'driftwatch_alerts',
    },
    range,
  );
  // The baseline of the points, if baselines.dir still holds it (a report may be of the past).
  const store = new BaselineStore(
    config.baselines.dir,
    { mode: 'reject' },
    config.baselines.maxFileSize,
  );
  await store.reload();
  const baseline = store
    .list()
    .find((b) => b.model === range.model && b.hash === queried.baselineHash);
  const html = renderReport({
    model: range.model,
    modelVersion: queried.modelVersion,
    from: range.from,
    to: range.to,
    generatedAt: now,
    baseline,
    baselineHash: queried.baselineHash,
    series: queried.series,
    distribution: queried.distribution,
    alerts: queried.alerts,
  });
  writeFileSync(out, html);
  return {
    bytes: Buffer.byteLength(html),
    modelVersion: queried.modelVersion,
    features: queried.series.size,
  };
}
