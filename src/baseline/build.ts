import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { contentSha256 } from './canonical.js';
import { interpretCategoricalCell, interpretCell, type Cell } from './cell.js';
import { ColumnProfile, MAX_DISTINCT_CATEGORIES } from './column-profile.js';
import { categoricalFeature, numericFeature } from './feature-stats.js';
import {
  BASELINE_FORMAT_VERSION,
  DEFAULT_TOP_K,
  REFERENCE_SAMPLE_SIZE,
  baselineFileV2Schema,
  type BaselineFileV2,
  type FeatureEntry,
} from './file-format.js';
import { ProfileSink } from './profile-sink.js';
import { TOOL_VERSION } from '../version.js';

export interface BuildOptions {
  model: string;
  modelVersion: string;
  /** Equal-frequency bins for numeric features (before tie collapsing). */
  bins?: number;
  /** Categories kept by name per categorical feature. */
  topK?: number;
  /** Largest reference sample per numeric feature. */
  sampleSize?: number;
  /** Only these columns (all by default). */
  features?: readonly string[];
  /** Columns to treat as categorical whatever their values look like. */
  categorical?: readonly string[];
  /** The column holding the model's output; it becomes a feature too. */
  prediction?: string;
  createdAt?: Date;
}

export interface SourceInfo {
  file: string;
  format: 'csv' | 'jsonl' | 'parquet' | 'memory';
  sha256: string | null;
}

/** Share of numbers above which the text cells of a column are data errors, not categories. */
const NUMERIC_MAJORITY = 0.5;

/**
 * Accumulates training rows column by column and turns them into a baseline file. Rows arrive
 * in batches (streaming readers) or all at once (in-memory columns); memory is the numeric
 * cells and the distinct categories, never the raw input.
 */
export class BaselineBuilder {
  private readonly opts: BuildOptions;
  private readonly source: SourceInfo;
  private readonly profiles = new Map<string, ColumnProfile>();
  private rows = 0;

  /** Errors name the input as the user gave it; the file records only its name. */
  private readonly displayPath: string;

  constructor(opts: BuildOptions, source: SourceInfo, displayPath = source.file) {
    this.opts = opts;
    this.source = source;
    this.displayPath = displayPath;
  }

  /** Wanted columns of the input, checked against what the file has. */
  selectColumns(available: readonly string[], exclude: readonly string[] = []): string[] {
    const wanted = this.opts.features ?? available.filter((c) => !exclude.includes(c));
    const extra = [this.opts.prediction, ...(this.opts.categorical ?? [])].filter(
      (c): c is string => c !== undefined,
    );
    const missing = [...wanted, ...extra].filter((c) => !available.includes(c));
    if (missing.length > 0) {
      throw this.error(
        `column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} not found; the input has ${available.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    // --prediction and --categorical name columns to read even when --features leaves them out.
    return [...new Set([...wanted, ...extra])];
  }

  /** Adds `count` rows: each column's cells, and `locate(i)` naming row i's place. */
  addRows(
    columns: ReadonlyMap<string, readonly Cell[]>,
    count: number,
    textual: boolean,
    locate: (i: number) => string,
  ): void {
    for (const [name, cells] of columns) {
      const profile = this.profile(name);
      const interpret = this.opts.categorical?.includes(name)
        ? interpretCategoricalCell
        : interpretCell;
      for (let i = 0; i < count; i++) {
        profile.add(interpret(cells[i], textual), locate, i);
      }
    }
    this.rows += count;
  }

  /**
   * Where TableSource.readCells puts a CSV's rows: `columns` are the file's, in order; the
   * `wanted` ones go into their profiles as addRows would put them, the others are skipped.
   */
  cellSink(columns: readonly string[], wanted: (name: string) => boolean): ProfileSink {
    const profiles = columns.map((name) => (wanted(name) ? this.profile(name) : undefined));
    const categorical = columns.map((name) => this.opts.categorical?.includes(name) === true);
    return new ProfileSink(profiles, categorical, (rows) => {
      this.rows += rows;
    });
  }

  private profile(name: string): ColumnProfile {
    let profile = this.profiles.get(name);
    if (!profile) {
      profile = new ColumnProfile(name);
      // A JSON Lines key first seen now was missing from every earlier row.
      profile.missing = this.rows;
      this.profiles.set(name, profile);
    }
    return profile;
  }

  /** The columns seen so far (JSON Lines: known only once read). */
  seenColumns(): string[] {
    return [...this.profiles.keys()];
  }

  /** The baseline of the rows so far (it sorts each profile's numbers in place, for the sort). */
  finish(): BaselineFileV2 {
    if (this.rows === 0) throw this.error('no data rows');
    const opts = this.opts;
    // fromEntries, not assignment: a column named like an Object.prototype key stays a key.
    // One scratch buffer for every column's sort, not 8 bytes per value per column of garbage.
    const largest = Math.max(0, ...[...this.profiles.values()].map((p) => p.numericCount));
    const scratch = new Uint32Array(2 * largest);
    const features: Record<string, FeatureEntry> = Object.fromEntries(
      [...this.profiles].map(([name, profile]) => [name, this.feature(profile, scratch)]),
    );
    const content: Omit<BaselineFileV2, 'content_sha256'> = {
      format_version: BASELINE_FORMAT_VERSION,
      model: opts.model,
      model_version: opts.modelVersion,
      created_at: (opts.createdAt ?? new Date()).toISOString(),
      tool: { name: 'driftwatch', version: TOOL_VERSION },
      source: { ...this.source, rows: this.rows },
      options: {
        bins: opts.bins ?? 10,
        top_k: opts.topK ?? DEFAULT_TOP_K,
        sample_size: opts.sampleSize ?? REFERENCE_SAMPLE_SIZE,
        features: opts.features ? [...opts.features] : null,
        categorical: [...(opts.categorical ?? [])],
        prediction: opts.prediction ?? null,
      },
      prediction: opts.prediction ?? null,
      features,
    };
    return { ...content, content_sha256: contentSha256(content) };
  }

  private feature(p: ColumnProfile, scratch: Uint32Array): FeatureEntry {
    const opts = this.opts;
    if (p.name === '__proto__') {
      throw this.error('a column named "__proto__" is not supported: rename it');
    }
    if (p.present === 0) {
      throw this.error(
        `column "${p.name}" has no values (all ${this.rows} rows missing); leave it out with --features`,
      );
    }
    const topK = opts.topK ?? DEFAULT_TOP_K;
    const asCategorical = () => {
      const all = p.allCategories();
      if (all === undefined) {
        throw this.error(
          `${p.overflowedAt ? `${p.overflowedAt}, ` : ''}column "${p.name}": more than ${MAX_DISTINCT_CATEGORIES.toLocaleString('en-US')} distinct values — an identifier, not a feature; leave it out with --features`,
        );
      }
      if (all.has('__proto__')) {
        throw this.error(`column "${p.name}": the category "__proto__" is not supported`);
      }
      return categoricalFeature(all, p.missing, topK);
    };
    if (opts.categorical?.includes(p.name)) return asCategorical();
    if (p.textualCount === 0) {
      return numericFeature(
        p.numericValues(),
        p.missing,
        {
          bins: opts.bins ?? 10,
          sampleSize: opts.sampleSize ?? REFERENCE_SAMPLE_SIZE,
        },
        scratch,
      );
    }
    const first = p.firstText;
    if (first && p.numericCount > NUMERIC_MAJORITY * p.present) {
      throw this.error(
        `${first.location}, column "${p.name}": "${first.value}" is not a number, but ${p.numericCount} of the column's ${p.present} values are; fix the value, or pass --categorical ${p.name} to treat the column as text (codes such as zip codes also need --categorical: read as numbers they lose their leading zeros)`,
      );
    }
    return asCategorical();
  }

  private error(message: string): DriftwatchError {
    return new DriftwatchError('BASELINE_INPUT_INVALID', `${this.displayPath}: ${message}`);
  }
}

/** A baseline from columns in memory (tests, scripts); text cells are read as from CSV. */
export function buildBaseline(
  columns: Record<string, readonly Cell[]>,
  opts: BuildOptions & { sourceFile: string },
): BaselineFileV2 {
  const builder = new BaselineBuilder(opts, {
    file: opts.sourceFile,
    format: 'memory',
    sha256: null,
  });
  const names = builder.selectColumns(Object.keys(columns));
  const rows = Math.max(0, ...names.map((n) => columns[n]?.length ?? 0));
  const selected = new Map(names.map((n) => [n, columns[n] ?? []]));
  builder.addRows(selected, rows, true, (i) => `row ${i + 1}`);
  return builder.finish();
}

/** Model and version strings become path segments: anything but [A-Za-z0-9._-] is replaced. */
export function safeSegment(s: string): string {
  const safe = s.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '.' || safe === '..' ? safe.replace(/\./g, '_') : safe;
}

/**
 * Writes `<dir>/<model>/<version>.json` atomically (temporary file, then rename), so a failed
 * build never leaves a partial baseline. Baselines are immutable: an existing file is never
 * replaced, because drift points already written name its content hash.
 */
export function writeBaselineFile(dir: string, baseline: BaselineFileV2): string {
  const file = path.join(
    dir,
    safeSegment(baseline.model),
    `${safeSegment(baseline.model_version)}.json`,
  );
  const duplicate = () =>
    new DriftwatchError(
      'BASELINE_DUPLICATE',
      `${file} already exists; baselines are immutable — build a new model_version instead`,
    );
  // Checked first to fail before any work; the link below is what makes it race-free.
  if (existsSync(file)) throw duplicate();
  const check = baselineFileV2Schema.safeParse(baseline);
  if (!check.success) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `refusing to write an invalid baseline ${file}:\n${formatIssues(check.error.issues)}`,
    );
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeFileSync(fd, `${JSON.stringify(baseline, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // link, not rename: it fails if a concurrent build got there first, never replacing it.
    linkSync(temp, file);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? duplicate() : err;
  } finally {
    rmSync(temp, { force: true });
  }
  return file;
}
