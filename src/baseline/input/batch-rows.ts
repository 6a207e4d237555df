import type { Cell, CellSink, TableBatch } from './types.js';

/**
 * The sink behind TableSource.batches() for CSV: rows gathered by column as strings, taken as
 * a batch of at most BATCH_ROWS rows; either CSV reader fills it, so batches go on across a
 * hand-over from the fast reader to csv-parse.
 */
export class BatchRows implements CellSink<TableBatch> {
  readonly names: readonly string[];
  cells: Cell[][];
  lines: number[] = [];

  constructor(names: readonly string[]) {
    this.names = names;
    this.cells = names.map(() => []);
  }

  bytes(column: number, buf: Buffer, start: number, end: number): void {
    (this.cells[column] as Cell[]).push(buf.toString('utf8', start, end));
  }

  number(column: number, _value: number, buf: Buffer, start: number, end: number): void {
    this.bytes(column, buf, start, end);
  }

  text(column: number, text: string): void {
    (this.cells[column] as Cell[]).push(text);
  }

  endRow(line: number): void {
    this.lines.push(line);
  }

  get count(): number {
    return this.lines.length;
  }

  /** The rows gathered so far as a batch; starts a new one. */
  take(): TableBatch {
    const { names, cells, lines } = this;
    this.cells = names.map(() => []);
    this.lines = [];
    const columns = new Map(names.map((name, j) => [name, cells[j] as Cell[]]));
    return { columns, rows: lines.length, locate: (i) => `line ${lines[i] ?? '?'}` };
  }
}
