import path from 'node:path';
import { BaselineBuilder, type BuildOptions } from './build.js';
import type { Cell } from './cell.js';
import type { BaselineFileV2 } from './file-format.js';
import { openTable, sha256File } from './input/table.js';

export interface BuildProgress {
  rows: number;
  bytes: number;
  totalBytes: number;
}

type FileBuildOptions = BuildOptions & { exclude?: readonly string[] };

/**
 * The columns a build reads, the same for every format: the --features (with the columns
 * --prediction and --categorical name), or else every column but the --exclude ones; the
 * --prediction column is read whatever --exclude says.
 */
function wantedColumns(opts: FileBuildOptions): (name: string) => boolean {
  const features = opts.features && new Set([...opts.features, ...(opts.categorical ?? [])]);
  const exclude = new Set(opts.exclude ?? []);
  const prediction = opts.prediction;
  return (name) => name === prediction || (features ? features.has(name) : !exclude.has(name));
}

/**
 * Builds a baseline from a CSV, JSON Lines or Parquet file, streaming it batch by batch:
 * memory holds the numeric cells and distinct categories, not the file. `exclude` drops
 * columns (labels, ids) when no explicit feature list is given. Unwanted columns are not even
 * read where the format allows (JSON Lines, Parquet), so an id beyond 2^53 or an embedding
 * column is no obstacle once excluded.
 */
export async function buildBaselineFromFile(
  input: string,
  opts: FileBuildOptions,
  onProgress?: (p: BuildProgress) => void,
): Promise<BaselineFileV2> {
  const wanted = wantedColumns(opts);
  const [table, sha256] = await Promise.all([
    openTable(input, undefined, { columns: wanted }),
    sha256File(input),
  ]);
  const source = { file: path.basename(input), format: table.format, sha256 };
  const builder = new BaselineBuilder(opts, source, input);
  const exclude = opts.exclude ?? [];
  // CSV and Parquet name their columns up front: a wrong --features fails before any work.
  // JSON Lines reveal keys as they go, so their selection is checked at the end, against every
  // key seen (wanted or not), which is also what the "not found" message lists.
  const upfront = table.format !== 'jsonl';
  if (upfront) builder.selectColumns(table.columns(), exclude);
  if (table.readCells) {
    // CSV: cells go from the reader's bytes into the profiles, no string per cell.
    const sink = builder.cellSink(table.columns(), wanted);
    let first = true;
    for await (const rows of table.readCells(sink)) {
      const progress = table.progress();
      if (first) sink.expect(progress.bytes / progress.totalBytes);
      first = false;
      onProgress?.({ rows, ...progress });
    }
  } else {
    let rows = 0;
    for await (const batch of table.batches()) {
      // A reader may hand over unwanted columns too (TableOptions.columns).
      const columns = new Map<string, readonly Cell[]>();
      for (const [name, cells] of batch.columns) if (wanted(name)) columns.set(name, cells);
      builder.addRows(columns, batch.rows, table.textual, (i) => batch.locate(i));
      rows += batch.rows;
      onProgress?.({ rows, ...table.progress() });
    }
  }
  if (!upfront) builder.selectColumns(table.columns(), exclude);
  return builder.finish();
}
