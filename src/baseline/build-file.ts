import { BaselineBuilder, type BuildOptions } from './build.js';
import type { Cell } from './cell.js';
import type { BaselineFileV2 } from './file-format.js';
import { openTable, sha256File } from './input/table.js';

export interface BuildProgress {
  rows: number;
  bytes: number;
  totalBytes: number;
}

/**
 * Builds a baseline from a CSV, JSON Lines or Parquet file, streaming it batch by batch:
 * memory holds the numeric cells and distinct categories, not the file. `exclude` drops
 * columns (labels, ids) when no explicit feature list is given.
 */
export async function buildBaselineFromFile(
  input: string,
  opts: BuildOptions & { exclude?: readonly string[] },
  onProgress?: (p: BuildProgress) => void,
): Promise<BaselineFileV2> {
  const [table, sha256] = await Promise.all([openTable(input), sha256File(input)]);
  const builder = new BaselineBuilder(opts, { file: input, format: table.format, sha256 });
  const exclude = opts.exclude ?? [];
  // CSV and Parquet name their columns up front: a wrong --features fails before any work.
  // JSON Lines reveal keys as they go, so their selection is checked at the end.
  const upfront = table.format !== 'jsonl';
  const fixed = upfront ? new Set(builder.selectColumns(table.columns(), exclude)) : undefined;
  const wanted = (name: string) =>
    fixed
      ? fixed.has(name)
      : opts.features
        ? opts.features.includes(name) || name === opts.prediction
        : !exclude.includes(name);
  let rows = 0;
  for await (const batch of table.batches()) {
    const columns = new Map<string, readonly Cell[]>();
    for (const [name, cells] of batch.columns) if (wanted(name)) columns.set(name, cells);
    builder.addRows(columns, batch.rows, table.textual, (i) => batch.locate(i));
    rows += batch.rows;
    onProgress?.({ rows, ...table.progress() });
  }
  if (!upfront) builder.selectColumns(builder.seenColumns(), exclude);
  return builder.finish();
}
