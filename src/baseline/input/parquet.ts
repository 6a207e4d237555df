import { open, type FileHandle } from 'node:fs/promises';
import {
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
  type AsyncBuffer,
  type DecodedArray,
  type FileMetaData,
  type SchemaElement,
} from 'hyparquet';
import {
  BATCH_ROWS,
  inputError,
  reason,
  type Cell,
  type TableBatch,
  type TableSource,
} from './types.js';

/**
 * Codecs hyparquet decodes by itself. Snappy is pyarrow's, pandas' and Spark's default; the others
 * need the hyparquet-compressors package, which we don't ship (yet).
 */
const READABLE_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY']);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextDecoder();

/** An AsyncBuffer over a local file that reads only the ranges asked for, and counts them. */
class FileBuffer implements AsyncBuffer {
  bytesRead = 0;
  private handle: Promise<FileHandle> | undefined;

  constructor(
    private readonly path: string,
    readonly byteLength: number,
  ) {}

  async slice(start: number, end = this.byteLength): Promise<ArrayBuffer> {
    this.handle ??= open(this.path, 'r');
    const fh = await this.handle;
    const out = new Uint8Array(Math.max(0, end - start));
    for (let filled = 0; filled < out.length;) {
      const { bytesRead } = await fh.read(out, filled, out.length - filled, start + filled);
      if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + filled}`);
      filled += bytesRead;
    }
    this.bytesRead += out.length;
    return out.buffer;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.then(
      (fh) => fh.close(),
      () => undefined,
    );
  }
}

/** How to read one column's values, decided once from its schema element. */
interface ColumnReader {
  name: string;
  /** ENUM is text stored as bytes without the UTF8 annotation hyparquet decodes on its own. */
  bytesAreText: boolean;
}

function unreadable(file: string, why: string, cause?: unknown): Error {
  return inputError(file, `not a readable Parquet file: ${why}`, cause);
}

/**
 * Readers for the wanted columns: flat, in codecs we can decompress, said up front before any row
 * is read. Unwanted columns are never read, so whatever they hold (lists, structs, ZSTD) is fine.
 */
function columnReaders(
  file: string,
  metadata: FileMetaData,
  wanted: (name: string) => boolean,
): ColumnReader[] {
  const readers: ColumnReader[] = [];
  for (const { element, children } of parquetSchema(metadata).children) {
    if (!wanted(element.name)) continue;
    if (children.length > 0 || element.repetition_type === 'REPEATED') {
      throw inputError(
        file,
        `column "${element.name}": nested values (struct, list, map) are not supported`,
      );
    }
    readers.push({ name: element.name, bytesAreText: isEnum(element) });
  }
  const read = new Set(readers.map((r) => r.name));
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta || !read.has(meta.path_in_schema[0] ?? '')) continue;
      if (!READABLE_CODECS.has(meta.codec)) {
        const column = meta.path_in_schema.join('.');
        throw unreadable(
          file,
          `column "${column}" is compressed with ${meta.codec}; driftwatch reads uncompressed and ` +
            'snappy Parquet (pyarrow\'s default): rewrite it with compression="snappy"',
        );
      }
    }
  }
  return readers;
}

function isEnum(element: SchemaElement): boolean {
  return element.converted_type === 'ENUM' || element.logical_type?.type === 'ENUM';
}

/** One value as a Cell: JSON-like types pass, the rest become what JSONL would have held. */
function toCell(file: string, column: ColumnReader, value: unknown, row: number): Cell {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      // INT64 decodes to BigInt; past 2^53 a double would silently round it.
      if (value > MAX_EXACT || value < -MAX_EXACT) {
        throw inputError(
          file,
          `row ${row}, column "${column.name}": integer ${value} is beyond ±2^53 and cannot be read exactly`,
        );
      }
      return Number(value);
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) {
          throw inputError(file, `row ${row}, column "${column.name}": timestamp out of range`);
        }
        return value.toISOString();
      }
      if (value instanceof Uint8Array) {
        if (column.bytesAreText) return utf8.decode(value);
        throw inputError(
          file,
          `row ${row}, column "${column.name}": binary values are not supported (no UTF8/STRING annotation)`,
        );
      }
      break;
  }
  throw inputError(file, `row ${row}, column "${column.name}": nested values are not supported`);
}

/** Cells [from, to) of a decoded column chunk whose first row is `firstRow` (1-based). */
function toCells(
  file: string,
  column: ColumnReader,
  data: DecodedArray,
  from: number,
  to: number,
  firstRow: number,
): Cell[] {
  const cells = new Array<Cell>(to - from);
  if (
    ArrayBuffer.isView(data) &&
    !(data instanceof BigInt64Array) &&
    !(data instanceof BigUint64Array)
  ) {
    // Required numeric columns come as number typed arrays: nothing to check or convert.
    for (let i = from; i < to; i++) cells[i - from] = data[i] as number;
    return cells;
  }
  for (let i = from; i < to; i++) {
    cells[i - from] = toCell(file, column, data[i] as unknown, firstRow + i - from);
  }
  return cells;
}

async function* parquetBatches(
  file: string,
  metadata: FileMetaData,
  readers: readonly ColumnReader[],
  buffer: FileBuffer,
): AsyncGenerator<TableBatch> {
  try {
    // utf8: false so that unannotated binary reaches toCell as bytes and is refused by name;
    // columns so that only wanted ones are planned, fetched and decoded.
    const options = { file: buffer, metadata, columns: readers.map((r) => r.name), utf8: false };
    const scan = await parquetScan(options).catch((err) => {
      throw unreadable(file, reason(err), err);
    });
    // A range is a row group: decoding one at a time bounds memory by the largest group.
    for (const { rowStart, rowEnd } of scan.ranges) {
      const decoded: DecodedArray[] = [];
      for (const { name } of readers) {
        try {
          decoded.push(await scan.readColumn({ column: name, rowStart, rowEnd }));
        } catch (err) {
          const rows = `rows ${rowStart + 1}-${rowEnd}`;
          throw unreadable(file, `${rows}, column "${name}": ${reason(err)}`, err);
        }
      }
      for (let start = rowStart; start < rowEnd; start += BATCH_ROWS) {
        const end = Math.min(start + BATCH_ROWS, rowEnd);
        const columns = new Map(
          readers.map((column, j) => [
            column.name,
            toCells(
              file,
              column,
              decoded[j] as DecodedArray,
              start - rowStart,
              end - rowStart,
              start + 1,
            ),
          ]),
        );
        yield { columns, rows: end - start, locate: (i) => `row ${start + i + 1}` };
      }
    }
  } finally {
    await buffer.close();
  }
}

/**
 * Opens a Parquet file: reads its footer (schema, row groups) but no data. Columns `wanted`
 * refuses are listed by columns() but neither checked nor read.
 */
export async function openParquet(
  file: string,
  totalBytes: number,
  wanted: (name: string) => boolean = () => true,
): Promise<TableSource> {
  const footer = new FileBuffer(file, totalBytes);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(footer);
  } catch (err) {
    throw unreadable(file, totalBytes === 0 ? 'the file is empty' : reason(err), err);
  } finally {
    await footer.close();
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const readers = columnReaders(file, metadata, wanted);
  if (metadata.num_rows === 0n) throw inputError(file, 'no data rows');

  let buffer: FileBuffer | undefined;
  return {
    file,
    format: 'parquet',
    textual: false,
    columns: () => [...names],
    batches: () => {
      buffer = new FileBuffer(file, totalBytes);
      return parquetBatches(file, metadata, readers, buffer);
    },
    progress: () => ({ bytes: buffer?.bytesRead ?? 0, totalBytes }),
  };
}
