import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { quantileCuts } from '../../detectors/index.js';
import { DriftwatchError } from '../errors.js';
import { categoryKey } from './baseline.js';
import { BASELINE_FORMAT, type BaselineFile } from './file-format.js';

/** Numeric columns with at most this many distinct values get per-value bins (as Evidently). */
export const MAX_DISCRETE_VALUES = 20;

export interface BuildOptions {
  model: string;
  modelVersion: string;
  /** Equal-frequency bins for numeric features (before tie collapsing). */
  bins?: number;
  sourceFile: string;
  createdAt?: Date;
}

type Cell = string | number | boolean | null | undefined;

/** Builds a baseline from training columns; a null, undefined or empty cell is missing. */
export function buildBaseline(
  columns: Record<string, readonly Cell[]>,
  opts: BuildOptions,
): BaselineFile {
  const bins = opts.bins ?? 10;
  const features: BaselineFile['features'] = {};
  let rows = 0;
  for (const [name, cells] of Object.entries(columns)) {
    rows = Math.max(rows, cells.length);
    const present = cells.filter(
      (c): c is string | number | boolean => c !== null && c !== undefined && c !== '',
    );
    if (present.length === 0) continue;
    const missing = cells.length - present.length;
    const numbers = present.map((c) =>
      typeof c === 'number' ? c : typeof c === 'string' ? Number(c) : NaN,
    );
    const allNumeric = numbers.every(Number.isFinite);
    const distinct = new Set<number | string>(allNumeric ? numbers : present.map(categoryKey));
    if (allNumeric && distinct.size > MAX_DISCRETE_VALUES) {
      const sorted = Float64Array.from(numbers).sort();
      const cuts = quantileCuts(sorted, bins);
      const counts = new Float64Array(cuts.length + 1);
      let b = 0;
      for (const x of sorted) {
        while (b < cuts.length && x >= (cuts[b] as number)) b++;
        counts[b] = (counts[b] as number) + 1;
      }
      features[name] = {
        kind: 'numeric',
        cuts: [...cuts],
        proportions: [...counts].map((c) => c / sorted.length),
        count: sorted.length,
        missing,
      };
    } else {
      const counts = new Map<string, number>();
      present.forEach((c, i) => {
        const key = allNumeric ? categoryKey(numbers[i] as number) : categoryKey(c);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      });
      const proportions: Record<string, number> = {};
      for (const key of [...counts.keys()].sort())
        proportions[key] = (counts.get(key) as number) / present.length;
      features[name] = { kind: 'categorical', proportions, count: present.length, missing };
    }
  }
  return {
    format: BASELINE_FORMAT,
    model: opts.model,
    model_version: opts.modelVersion,
    created_at: (opts.createdAt ?? new Date()).toISOString(),
    source: { file: opts.sourceFile, rows },
    features,
  };
}

/** Reads a CSV with a header row into columns; `exclude` drops e.g. label or id columns. */
export function readCsvColumns(
  file: string,
  exclude: readonly string[] = [],
): Record<string, string[]> {
  let records: Record<string, string>[];
  try {
    records = parseCsv(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new DriftwatchError('BASELINE_CSV_INVALID', `${file}: ${(err as Error).message}`);
  }
  const columns: Record<string, string[]> = {};
  const first = records[0];
  if (!first) throw new DriftwatchError('BASELINE_CSV_INVALID', `${file}: no data rows`);
  for (const name of Object.keys(first)) if (!exclude.includes(name)) columns[name] = [];
  for (const record of records) {
    for (const [name, column] of Object.entries(columns)) column.push(record[name] ?? '');
  }
  return columns;
}

/**
 * Writes `<dir>/<model>/<version>.json`. Baselines are immutable: an existing file is never
 * replaced, because drift points already written name its content hash.
 */
export function writeBaselineFile(dir: string, baseline: BaselineFile): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  const file = path.join(dir, safe(baseline.model), `${safe(baseline.model_version)}.json`);
  if (existsSync(file)) {
    throw new DriftwatchError(
      'BASELINE_DUPLICATE',
      `${file} already exists; baselines are immutable — build a new model_version instead`,
    );
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
  return file;
}
