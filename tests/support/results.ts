import { expect } from 'vitest';
import type { DriftRow } from './influx.js';

/** What users compare across runs: per window end, feature and method, the numbers. */
export const resultLines = (rows: DriftRow[]) =>
  rows.map(
    (r) =>
      `${r.time} ${r.model}@${r.model_version} ${r.feature} ${r.method} n=${r.n} missing=${r.missing} statistic=${r.statistic} p=${r.p_value} drifted=${r.drifted}`,
  );

/** Rows of one run missing from the other, both ways: a readable diff when runs differ. */
export function expectSameResults(actual: DriftRow[], expected: DriftRow[]): void {
  const a = resultLines(actual);
  const e = resultLines(expected);
  expect({
    missing: e.filter((x) => !a.includes(x)),
    extra: a.filter((x) => !e.includes(x)),
  }).toEqual({ missing: [], extra: [] });
  expect(a).toEqual(e);
}

/** A metric's value summed over its label sets in a /metrics text (0 when absent). */
export function metricTotal(metrics: string, name: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
