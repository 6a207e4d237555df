import { DriftwatchError } from '../../errors.js';

/** One cell as a reader gives it: raw text from CSV, typed values from JSONL and Parquet. */
export type Cell = string | number | boolean | null;

export type TableFormat = 'csv' | 'jsonl' | 'parquet';

/** What the caller wants read; everything else is skipped as cheaply as the format allows. */
export interface TableOptions {
  /**
   * The columns the caller will use (all by default). JSONL and Parquet neither check nor convert
   * the others, so an id beyond 2^53, an embedding list or an unreadable codec in an unwanted
   * column is no error; their batches carry wanted columns only. CSV may ignore it and hand over
   * every column: the caller filters batches anyway.
   */
  columns?: (name: string) => boolean;
}

export interface TableBatch {
  /**
   * Same length for every column; a column absent from a JSONL record gets null there. A JSONL
   * column first seen in a later batch is absent from the earlier ones: read that as all null.
   * Unwanted columns (TableOptions.columns) may be absent.
   */
  columns: ReadonlyMap<string, Cell[]>;
  rows: number;
  /**
   * Human location of row i of this batch for error messages: "line 12" (CSV/JSONL: the physical
   * line where the record starts, header = line 1 for CSV) or "row 12" (Parquet, 1-based).
   */
  locate(i: number): string;
}

export interface TableSource {
  file: string;
  format: TableFormat;
  /**
   * Every column name in file order, wanted or not (CSV header; JSONL: union of keys in
   * first-seen order, so what is known so far, and the final list once a pass has ended;
   * Parquet: schema), for telling a user which columns the input has.
   */
  columns(): readonly string[];
  /**
   * true for CSV: cells are raw text the caller interprets (NA tokens, numbers, booleans);
   * false for JSONL/Parquet: cells are already typed.
   */
  textual: boolean;
  /**
   * Batches of up to BATCH_ROWS rows, read lazily: memory is bounded by the batch (Parquet: by a
   * row group), not the file. Each call starts a new pass from the top of the file.
   */
  batches(): AsyncIterable<TableBatch>;
  /** Bytes read so far by the latest pass, and the file's size, for a progress bar. */
  progress(): { bytes: number; totalBytes: number };
  /**
   * CSV only: a pass like batches() that hands each cell to `sink` as the reader cuts it,
   * mostly as bytes, so a caller that interprets cells itself needs no string per cell.
   * Yields what sink.take() returns after every BATCH_ROWS rows and after the last ones.
   */
  readCells?<T>(sink: CellSink<T>): AsyncIterable<T>;
}

/**
 * Where a CSV reader puts the rows it reads, cell by cell, row by row; a reader calls take()
 * whenever `count` reaches BATCH_ROWS, and once more at the end if rows are left.
 */
export interface CellSink<T> {
  /**
   * Cell `column` (0-based, file order) of the row starting on physical line `line`: the bytes
   * buf[start, end), valid during the call only. Already trimmed as csv-parse trims: empty, or
   * starting and ending with an ASCII byte that is not white space (bytes in between may be
   * any UTF-8, or invalid UTF-8, which decodes to U+FFFD).
   */
  bytes(column: number, buf: Buffer, start: number, end: number, line: number): void;
  /**
   * The same for a cell that is a plain decimal (no white space), already read: `value` is
   * Number() of its text (±Infinity past the double range), the bytes are there for a column
   * that wants the text.
   */
  number(
    column: number,
    value: number,
    buf: Buffer,
    start: number,
    end: number,
    line: number,
  ): void;
  /** The same for a cell the reader had to decode (trimmed, as csv-parse gives it). */
  text(column: number, text: string, line: number): void;
  /** Every cell of the row starting on `line` has been given. */
  endRow(line: number): void;
  /** Rows ended since the last take(). */
  readonly count: number;
  take(): T;
}

/**
 * Rows per batch: large enough that per-batch costs (a Map, a few arrays) vanish, small enough
 * that 20 columns of cells stay around a megabyte.
 */
export const BATCH_ROWS = 8192;

/** Every reader error: the message starts with the file so a user knows which input to fix. */
export function inputError(file: string, message: string, cause?: unknown): DriftwatchError {
  return new DriftwatchError(
    'BASELINE_INPUT_INVALID',
    `${file}: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The message of anything thrown, for wrapping a library's error in ours. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
