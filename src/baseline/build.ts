import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { standardDeviation } from 'simple-statistics';
import { quantileCuts, quantileSorted } from '../../detectors/index.js';
import { DriftwatchError } from '../errors.js';
import { categoryKey } from './baseline.js';
import {
  BASELINE_FORMAT,
  REFERENCE_SAMPLE_SIZE,
  baselineFileSchema,
  type BaselineFile,
} from './file-format.js';
import { formatIssues } from '../zod-issues.js';

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
type Present = string | number | boolean;

/** Cells read as missing, as pandas' read_csv does by default. */
const MISSING_TOKENS = new Set([
  '',
  'NA',
  'N/A',
  'NaN',
  'nan',
  'null',
  'NULL',
  'None',
  '#N/A',
  'n/a',
]);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** "01234" is a code (zip, account), not a number: its leading zero carries meaning. */
const LEADING_ZERO = /^[+-]?0\d/;

/** What a training cell means: missing, a boolean, a number, or text. */
function normalize(cell: Cell): Present | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'boolean') return cell;
  const text = cell.trim();
  if (MISSING_TOKENS.has(text)) return null;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (NUMBER.test(text) && !LEADING_ZERO.test(text)) {
    const n = Number(text);
    // "1e400" overflows to Infinity, which no bin or JSON file can hold: missing.
    return Number.isFinite(n) ? n : null;
  }
  return text;
}

/**
 * Cut points for a numeric feature with few distinct values: one bin per training value (cuts
 * half-way between neighbours) plus an empty bin beyond each end, so a value never seen in
 * training falls in the nearest value's bin, or, far outside the range, in an empty end bin.
 */
function discreteCuts(distinct: readonly number[]): number[] {
  const first = distinct[0] as number;
  const last = distinct[distinct.length - 1] as number;
  let gap = Infinity;
  for (let i = 1; i < distinct.length; i++) {
    gap = Math.min(gap, (distinct[i] as number) - (distinct[i - 1] as number));
  }
  if (gap === Infinity) gap = Math.max(Math.abs(first), 1);
  const cuts: number[] = [];
  const push = (c: number) => {
    // Half-way points can round onto a neighbour (adjacent doubles) or overflow (±1.7e308):
    // keep only finite, strictly ascending cuts, so every file we write is one we can load.
    if (Number.isFinite(c) && (cuts.length === 0 || c > (cuts[cuts.length - 1] as number)))
      cuts.push(c);
  };
  push(first - gap / 2);
  for (let i = 1; i < distinct.length; i++) {
    const a = distinct[i - 1] as number;
    const b = distinct[i] as number;
    const mid = a + (b - a) / 2;
    push(mid > a ? mid : b);
  }
  push(last + gap / 2);
  if (cuts.length === 0) cuts.push(first);
  return cuts;
}

function numericFeature(
  values: number[],
  bins: number,
  missing: number,
): BaselineFile['features'][string] {
  const sorted = Float64Array.from(values).sort();
  const distinct = [...new Set(sorted)];
  const cuts =
    distinct.length > MAX_DISCRETE_VALUES
      ? [...quantileCuts(sorted, bins)]
      : discreteCuts(distinct);
  const counts = new Float64Array(cuts.length + 1);
  let b = 0;
  for (const x of sorted) {
    while (b < cuts.length && x >= (cuts[b] as number)) b++;
    counts[b] = (counts[b] as number) + 1;
  }
  const std = standardDeviation(values);
  return {
    kind: 'numeric',
    cuts,
    proportions: [...counts].map((c) => c / sorted.length),
    count: sorted.length,
    missing,
    // Values near ±1.7e308 overflow the variance: no usable scale, the file omits it.
    ...(Number.isFinite(std) ? { std } : {}),
    sample: referenceSample(sorted),
  };
}

/**
 * All training values when they fit, else REFERENCE_SAMPLE_SIZE quantiles at the mid-points
 * (i + ½)/K: each stands for 1/K of the training mass, so the sample's ECDF is within 1/K of
 * the training ECDF everywhere, and KS against it is deterministic (no random subsample).
 */
function referenceSample(sorted: Float64Array): number[] {
  if (sorted.length <= REFERENCE_SAMPLE_SIZE) return [...sorted];
  const k = REFERENCE_SAMPLE_SIZE;
  return Array.from({ length: k }, (_, i) => quantileSorted(sorted, (i + 0.5) / k));
}

function categoricalFeature(values: Present[], missing: number): BaselineFile['features'][string] {
  const counts = new Map<string, number>();
  for (const v of values) {
    const key = categoryKey(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const proportions: Record<string, number> = {};
  for (const key of [...counts.keys()].sort())
    proportions[key] = (counts.get(key) as number) / values.length;
  return { kind: 'categorical', proportions, count: values.length, missing };
}

/**
 * Builds a baseline from training columns. Missing: null, undefined and the usual NA tokens.
 * A column of numbers is numeric (quantile bins, or per-value bins when it has at most
 * MAX_DISCRETE_VALUES distinct values); anything else — text, booleans, codes with leading
 * zeros — is categorical.
 */
export function buildBaseline(
  columns: Record<string, readonly Cell[]>,
  opts: BuildOptions,
): BaselineFile {
  const bins = opts.bins ?? 10;
  const features: BaselineFile['features'] = {};
  let rows = 0;
  for (const [name, cells] of Object.entries(columns)) {
    rows = Math.max(rows, cells.length);
    const present = cells.map(normalize).filter((c): c is Present => c !== null);
    if (present.length === 0) continue;
    const missing = cells.length - present.length;
    features[name] = present.every((c) => typeof c === 'number')
      ? numericFeature(present, bins, missing)
      : categoricalFeature(present, missing);
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
  const check = baselineFileSchema.safeParse(baseline);
  if (!check.success) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `refusing to write an invalid baseline ${file}:\n${formatIssues(check.error.issues)}`,
    );
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
  return file;
}
