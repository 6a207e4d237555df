import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  BATCH_ROWS,
  inputError,
  reason,
  type Cell,
  type TableBatch,
  type TableSource,
} from './types.js';

interface JsonLine {
  text: string;
  line: number;
}

/** Non-blank lines with their physical line numbers, streamed; stopping closes the file. */
async function* nonBlankLines(
  file: string,
  onStream?: (s: ReadStream) => void,
): AsyncGenerator<JsonLine> {
  const input = createReadStream(file, { encoding: 'utf8' });
  onStream?.(input);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (let text of lines) {
      line++;
      // A BOM would make the first line invalid JSON; editors on Windows like to add one.
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      yield { text, line };
    }
  } catch (err) {
    throw inputError(file, `cannot read: ${reason(err)}`, err);
  } finally {
    lines.close();
    input.destroy();
  }
}

function parseObject(file: string, { text, line }: JsonLine): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw inputError(file, `line ${line}: not valid JSON (${reason(err)})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inputError(file, `line ${line}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The union of keys in first-seen order, kept across batches and passes so that columns() grows
 * as the file is read and every batch carries every column known by then.
 */
class ColumnRegistry {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  indexOf(name: string): number {
    let j = this.index.get(name);
    if (j === undefined) {
      j = this.names.length;
      this.names.push(name);
      this.index.set(name, j);
    }
    return j;
  }
}

/** One batch being filled: a cell array per known column, all of the same length. */
class BatchBuilder {
  private cells: Cell[][] = [];
  private lines: number[] = [];

  constructor(
    private readonly file: string,
    private readonly registry: ColumnRegistry,
  ) {}

  get rows(): number {
    return this.lines.length;
  }

  add(record: Record<string, unknown>, line: number): void {
    const row = this.lines.length;
    for (const key of Object.keys(record)) {
      const value = record[key];
      // JSON.parse yields only these or objects/arrays; a nested value has no single meaning.
      if (value !== null && typeof value === 'object') {
        throw inputError(
          this.file,
          `line ${line}, column "${key}": nested values are not supported`,
        );
      }
      this.column(this.registry.indexOf(key), row).push(value as Cell);
    }
    // Columns this record lacks (known from earlier records or batches) are missing here.
    for (let j = 0; j < this.registry.names.length; j++) {
      const column = this.column(j, row);
      if (column.length === row) column.push(null);
    }
    this.lines.push(line);
  }

  /** The column's cells, created null-filled up to `row` when first seen in this batch. */
  private column(j: number, row: number): Cell[] {
    let column = this.cells[j];
    if (!column) {
      column = new Array<Cell>(row).fill(null);
      this.cells[j] = column;
    }
    return column;
  }

  take(): TableBatch {
    const lines = this.lines;
    const columns = new Map(
      this.registry.names.map((name, j) => [name, this.column(j, lines.length)]),
    );
    this.cells = [];
    this.lines = [];
    return { columns, rows: lines.length, locate: (i) => `line ${lines[i] ?? '?'}` };
  }
}

async function* jsonlBatches(
  file: string,
  registry: ColumnRegistry,
  onStream: (s: ReadStream) => void,
): AsyncGenerator<TableBatch> {
  const builder = new BatchBuilder(file, registry);
  for await (const line of nonBlankLines(file, onStream)) {
    builder.add(parseObject(file, line), line.line);
    if (builder.rows === BATCH_ROWS) yield builder.take();
  }
  if (builder.rows > 0) yield builder.take();
}

/** Opens a JSON Lines file: checks that its first non-blank line is a JSON object. */
export async function openJsonl(file: string, totalBytes: number): Promise<TableSource> {
  const registry = new ColumnRegistry();
  let first: JsonLine | undefined;
  for await (const line of nonBlankLines(file)) {
    first = line;
    break;
  }
  if (!first) throw inputError(file, 'empty file, expected one JSON object per line');
  // Seeds columns() before the first pass; values are checked when the pass reads them.
  for (const key of Object.keys(parseObject(file, first))) registry.indexOf(key);

  let stream: ReadStream | undefined;
  return {
    file,
    format: 'jsonl',
    textual: false,
    columns: () => [...registry.names],
    batches: () =>
      jsonlBatches(file, registry, (s) => {
        stream = s;
      }),
    progress: () => ({ bytes: stream?.bytesRead ?? 0, totalBytes }),
  };
}
