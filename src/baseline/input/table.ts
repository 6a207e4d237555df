import { stat } from 'node:fs/promises';
import path from 'node:path';
import { openCsv } from './csv.js';
import { openJsonl } from './jsonl.js';
import { openParquet } from './parquet.js';
import {
  inputError,
  reason,
  type TableFormat,
  type TableOptions,
  type TableSource,
} from './types.js';

export { sha256File } from './sha256.js';
export { BATCH_ROWS } from './types.js';
export type { Cell, TableBatch, TableFormat, TableOptions, TableSource } from './types.js';

const EXTENSIONS: ReadonlyMap<string, TableFormat> = new Map([
  ['.csv', 'csv'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.json-lines', 'jsonl'],
  ['.parquet', 'parquet'],
]);

function formatOf(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS.get(ext);
  if (format) return format;
  const supported = [...EXTENSIONS.keys()].join(', ');
  throw inputError(
    file,
    `${ext ? `unknown extension "${ext}"` : 'no extension'}: supported are ${supported}`,
  );
}

/**
 * Opens a training-data file for streaming, picking the reader by extension unless `format` is
 * given. Problems visible without reading rows (no such file, no header, a corrupt Parquet footer)
 * are thrown here, so a build fails before its first batch; the rest surface from batches().
 * `opts.columns` names the wanted columns: JSONL and Parquet skip (and never refuse) the others.
 */
export async function openTable(
  file: string,
  format?: TableFormat,
  opts: TableOptions = {},
): Promise<TableSource> {
  const wanted = opts.columns ?? (() => true);
  const chosen = format ?? formatOf(file);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw inputError(file, `cannot read: ${reason(err)}`, err);
  }
  switch (chosen) {
    case 'csv':
      // Every column: CSV's cells are raw text with nothing to refuse, and the caller filters.
      return openCsv(file, size);
    case 'jsonl':
      return openJsonl(file, size, wanted);
    case 'parquet':
      return openParquet(file, size, wanted);
  }
}
