import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { baselineIdentity, toBaseline, type Baseline } from './baseline.js';
import { contentSha256 } from './canonical.js';
import { baselineSchemaFor, type BaselineFile } from './file-format.js';

/** What to do with an event whose (model, model_version) has no baseline. */
export type BaselineFallback =
  { mode: 'drop' } | { mode: 'reject' } | { mode: 'newest' } | { mode: 'version'; version: string };

export interface ReloadReport {
  added: Baseline[];
  /** New files that could not be used, with why (the daemon logs them and goes on). */
  failed: { file: string; error: DriftwatchError }[];
}

const key = (model: string, modelVersion: string) => `${model}\u0000${modelVersion}`;

/**
 * Baselines by (model, model_version), read from a directory. Lookups are by the model and
 * version recorded *inside* each file, never by building a path from an event's strings, so
 * an untrusted name like "../../etc/passwd" cannot reach the filesystem. `reload()` picks up
 * files added later (a new model version) without a restart; loaded baselines are immutable.
 */
export class BaselineStore {
  readonly dir: string;
  private readonly fallback: BaselineFallback;
  private readonly byKey = new Map<string, Baseline>();
  /** model → its baselines, newest first (created_at, then version). */
  private readonly byModel = new Map<string, Baseline[]>();
  /** file → "size:mtime" when it was read, so a rescan reads only new or changed files. */
  private readonly seen = new Map<string, string>();
  /** Bumped whenever a baseline is added: cached fallback decisions are then stale. */
  generation = 0;

  constructor(dir: string, fallback: BaselineFallback = { mode: 'drop' }) {
    this.dir = dir;
    this.fallback = fallback;
  }

  /** Loads every `*.json` under `dir` (recursively); any invalid file stops start-up. */
  static loadDir(dir: string, fallback?: BaselineFallback): BaselineStore {
    const store = new BaselineStore(dir, fallback);
    const report = store.reload();
    const first = report.failed[0];
    if (first) throw first.error;
    return store;
  }

  get(model: string, modelVersion: string): Baseline | undefined {
    return this.byKey.get(key(model, modelVersion));
  }

  /** The baseline for an event: its own version's, else the configured fallback's. */
  resolve(model: string, modelVersion: string): Baseline | undefined {
    const exact = this.get(model, modelVersion);
    if (exact || this.fallback.mode === 'reject' || this.fallback.mode === 'drop') return exact;
    if (this.fallback.mode === 'newest') return this.byModel.get(model)?.[0];
    return this.get(model, this.fallback.version);
  }

  /** Whether events without a baseline go to the dead-letter topic (else counted, dropped). */
  get rejectsUnknown(): boolean {
    return this.fallback.mode !== 'drop';
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): Baseline[] {
    return [...this.byKey.values()];
  }

  /** Reads files not seen before; a bad new file is reported, never half-loaded. */
  reload(): ReloadReport {
    const report: ReloadReport = { added: [], failed: [] };
    for (const file of listJsonFiles(this.dir)) {
      let stamp: string;
      try {
        const st = statSync(file);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        continue; // removed between listing and stat: the next scan will not list it
      }
      if (this.seen.get(file) === stamp) continue;
      this.seen.set(file, stamp);
      try {
        const baseline = loadBaselineFile(file);
        const k = key(baseline.model, baseline.modelVersion);
        const previous = this.byKey.get(k);
        if (previous && previous.hash === baseline.hash) continue;
        if (previous) {
          throw new DriftwatchError(
            'BASELINE_DUPLICATE',
            `two baselines for model "${baseline.model}" version "${baseline.modelVersion}": ${previous.file} and ${file}; baselines are immutable, keep one`,
          );
        }
        this.add(baseline);
        report.added.push(baseline);
      } catch (err) {
        if (!(err instanceof DriftwatchError)) throw err;
        report.failed.push({ file, error: err });
      }
    }
    return report;
  }

  private add(baseline: Baseline): void {
    this.byKey.set(key(baseline.model, baseline.modelVersion), baseline);
    const versions = this.byModel.get(baseline.model) ?? [];
    versions.push(baseline);
    versions.sort(
      (a, b) =>
        Date.parse(b.createdAt) - Date.parse(a.createdAt) ||
        b.modelVersion.localeCompare(a.modelVersion, 'en', { numeric: true }),
    );
    this.byModel.set(baseline.model, versions);
    this.generation++;
  }
}

export function loadBaselineFile(file: string): Baseline {
  const { parsed, hash } = readBaselineFile(file);
  return toBaseline(parsed, hash, file);
}

/** Reads, validates (schema and, for format 2, the content hash) and identifies a file. */
export function readBaselineFile(file: string): { parsed: BaselineFile; hash: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new DriftwatchError('BASELINE_INVALID', `${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file}: not valid JSON: ${(err as Error).message}`,
    );
  }
  const result = baselineSchemaFor(json).safeParse(json);
  if (!result.success) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file} is not a valid baseline:\n${formatIssues(result.error.issues)}`,
    );
  }
  const parsed = result.data;
  if ('content_sha256' in parsed && contentSha256(parsed) !== parsed.content_sha256) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file}: content_sha256 does not match the content — the file was changed after it was built; rebuild it instead of editing`,
    );
  }
  return { parsed, hash: baselineIdentity(parsed, bytes) };
}

const TEMP_FILE = /\.json\.tmp-\d+-\d+$/;

function listJsonFiles(dir: string, depth = 0): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `cannot read baselines.dir ${dir}: ${(err as Error).message}`,
    );
  }
  const files: string[] = [];
  for (const name of entries) {
    // Temporary files of a build in progress (see writeBaselineFile) are not baselines yet,
    // and the committed schema is not one either.
    if (TEMP_FILE.test(name) || name === 'baseline.schema.json') continue;
    const full = path.join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      continue; // removed since the listing
    }
    // Layout is <model>/<version>.json; a bounded depth also stops symlink loops.
    if (isDir) {
      if (depth < 4) files.push(...listJsonFiles(full, depth + 1));
    } else if (name.endsWith('.json')) files.push(full);
  }
  return files;
}
