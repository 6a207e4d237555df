import { DriftwatchError } from '../errors.js';
import { toBaseline, type Baseline } from './baseline.js';
import { BaselineFileRefused, readBoundedFile, type RefusalReason } from './file-read.js';
import { DEFAULT_BASELINE_FILE_SIZE } from './limits.js';
import { parseBaselineBytes } from './load-file.js';
import { scanBaselineDir } from './scan.js';

/** What to do with an event whose (model, model_version) has no baseline. */
export type BaselineFallback =
  { mode: 'drop' } | { mode: 'reject' } | { mode: 'newest' } | { mode: 'version'; version: string };

export interface ReloadReport {
  added: Baseline[];
  /** New files that could not be used, with why (the daemon logs them and goes on). */
  failed: { file: string; error: DriftwatchError }[];
  /**
   * Files not read for what they are (a FIFO, a symlink out, too large): each (file, reason)
   * once, until the file is gone or read. The others keep working, even at start-up.
   */
  refused: BaselineFileRefused[];
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
  /** file → its stamp when it was read, so a rescan reads only new or changed files. */
  private readonly seen = new Map<string, string>();
  /** file → why it was last refused, so each refusal is reported once. */
  private readonly refused = new Map<string, RefusalReason>();
  private readonly maxFileSize: number;
  private pending: Promise<unknown> = Promise.resolve();
  /** Bumped whenever a baseline is added: cached fallback decisions are then stale. */
  generation = 0;

  constructor(
    dir: string,
    fallback: BaselineFallback = { mode: 'drop' },
    maxFileSize = DEFAULT_BASELINE_FILE_SIZE,
  ) {
    this.dir = dir;
    this.fallback = fallback;
    this.maxFileSize = maxFileSize;
  }

  /**
   * Loads every `*.json` under `dir` (recursively); any invalid file throws. Refused files
   * are left out (the daemon reports them through `reload()` itself).
   */
  static async loadDir(
    dir: string,
    fallback?: BaselineFallback,
    maxFileSize?: number,
  ): Promise<BaselineStore> {
    const store = new BaselineStore(dir, fallback, maxFileSize);
    const report = await store.reload();
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

  /**
   * Reads files not seen before; a bad new file is reported, never half-loaded. Nothing here
   * blocks the event loop, and nothing is read that is not a regular file within the limit.
   * Calls made while one runs wait for it: two scans never share the bookkeeping.
   */
  reload(): Promise<ReloadReport> {
    const next = this.pending.then(() => this.scanOnce());
    this.pending = next.catch(() => undefined);
    return next;
  }

  private async scanOnce(): Promise<ReloadReport> {
    const report: ReloadReport = { added: [], failed: [], refused: [] };
    const scan = await scanBaselineDir(this.dir);
    const listed = new Set([...scan.files, ...scan.refused].map((f) => f.file));
    for (const file of this.refused.keys()) if (!listed.has(file)) this.refused.delete(file);
    for (const refusal of scan.refused) this.refuse(refusal, report);
    for (const { file, open, stamp } of scan.files) {
      if (this.seen.get(file) === stamp) continue;
      this.seen.set(file, stamp);
      try {
        const bytes = await readBoundedFile(open, this.maxFileSize, 'scanned');
        const { parsed, hash } = parseBaselineBytes(bytes, file);
        this.refused.delete(file);
        this.admit(toBaseline(parsed, hash, file), report);
      } catch (err) {
        if (err instanceof BaselineFileRefused) {
          const detail = open === file ? err.detail : { ...err.detail, target: open };
          this.refuse(new BaselineFileRefused(file, err.reason, detail), report);
        } else if (err instanceof DriftwatchError) report.failed.push({ file, error: err });
        else throw err;
      }
    }
    return report;
  }

  private refuse(refusal: BaselineFileRefused, report: ReloadReport): void {
    // Not remembered as seen: once it is a regular file again, it is read.
    this.seen.delete(refusal.file);
    if (this.refused.get(refusal.file) === refusal.reason) return;
    this.refused.set(refusal.file, refusal.reason);
    report.refused.push(refusal);
  }

  private admit(baseline: Baseline, report: ReloadReport): void {
    const previous = this.byKey.get(key(baseline.model, baseline.modelVersion));
    if (previous && previous.hash === baseline.hash) return;
    if (previous) {
      throw new DriftwatchError(
        'BASELINE_DUPLICATE',
        `two baselines for model "${baseline.model}" version "${baseline.modelVersion}": ${previous.file} and ${baseline.file}; baselines are immutable, keep one`,
      );
    }
    this.add(baseline);
    report.added.push(baseline);
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
