import { expect } from 'vitest';
import type { DriftRow, RawPoint } from './influx.js';

/** What users compare across runs: per window end, feature and method, the numbers. */
export const resultLines = (rows: DriftRow[]) =>
  rows.map(
    (r) =>
      `${r.time} ${r.model}@${r.model_version} ${r.feature} ${r.method} n=${r.n} missing=${r.missing} statistic=${r.statistic} p=${r.p_value} drifted=${r.drifted}`,
  );

/** Rows of one run missing from the other, both ways: a readable diff when runs differ. */
export function expectSameResults(actual: DriftRow[], expected: DriftRow[]): void {
  expectSameLines(resultLines(actual), resultLines(expected));
}

/** Two runs' lines equal, with what is missing and extra on each side listed first. */
function expectSameLines(a: string[], e: string[]): void {
  expect({
    missing: e.filter((x) => !a.includes(x)),
    extra: a.filter((x) => !e.includes(x)),
  }).toEqual({ missing: [], extra: [] });
  expect(a).toEqual(e);
}

/** A field value as text that tells apart every distinct double (and -0 from 0). */
function exact(value: number | string | boolean): string {
  if (typeof value !== 'number') return JSON.stringify(value);
  // String(x) is the shortest text that parses back to exactly x: last bits are not hidden.
  return Object.is(value, -0) ? '-0' : String(value);
}

/** One line per (point, field): window end, every tag, the field and its exact value. */
export const pointLines = (points: RawPoint[]) =>
  points.flatMap((p) =>
    Object.keys(p.fields)
      .sort()
      .map((f) => `${p.key} ${f}=${exact(p.fields[f] as number | string | boolean)}`),
  );

/**
 * Bit-identical results: the same points (no window missing, none extra) with every field,
 * summary mean/std included, equal to the last bit.
 */
export function expectIdenticalPoints(actual: RawPoint[], expected: RawPoint[]): void {
  expectSameLines(pointLines(actual), pointLines(expected));
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
