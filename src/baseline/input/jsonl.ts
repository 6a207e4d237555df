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

/** A key's slot: its column's index among the wanted ones, or UNWANTED. */
const UNWANTED = -1;

/**
 * Every key seen, in first-seen order, kept across batches and passes so that columns() grows as
 * the file is read; the wanted ones are numbered, and every batch carries each of them known by
 * then. One map lookup per key of a record: unwanted keys cost nothing more, whatever they hold.
 */
class ColumnRegistry {
  /** Wanted keys by index. */
  readonly names: string[] = [];
  private readonly slots = new Map<string, number>();

  constructor(private readonly wanted: (name: string) => boolean) {}

  /** The wanted column index of `name`, or UNWANTED; registers a key seen for the first time. */
  slotOf(name: string): number {
    let j = this.slots.get(name);
    if (j === undefined) {
      j = this.wanted(name) ? this.names.push(name) - 1 : UNWANTED;
      this.slots.set(name, j);
    }
    return j;
  }

  /** All keys seen, wanted or not. */
  all(): string[] {
    return [...this.slots.keys()];
  }
}

/**
 * One batch being filled: the cells of each wanted column seen in it. A column lags behind when
 * records lack it; its nulls are filled in when it is next written and when the batch is taken,
 * so a batch costs its cells plus (wanted columns × rows), not (every key ever seen × rows).
 */
class BatchBuilder {
  private cells: (Cell[] | undefined)[] = [];
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
      const j = this.registry.slotOf(key);
      if (j === UNWANTED) continue;
      const value = record[key];
      // JSON.parse yields only these or objects/arrays; a nested value has no single meaning.
      if (value !== null && typeof value === 'object') {
        throw inputError(
          this.file,
          `line ${line}, column "${key}": nested values are not supported`,
        );
      }
      let column = this.cells[j];
      if (!column) {
        column = [];
        this.cells[j] = column;
      }
      padTo(column, row);
      column.push(value as Cell);
    }
    this.lines.push(line);
  }

  take(): TableBatch {
    const lines = this.lines;
    const rows = lines.length;
    // Wanted columns absent from the whole batch share one frozen array of nulls.
    let nulls: Cell[] | undefined;
    const columns = new Map<string, Cell[]>();
    this.registry.names.forEach((name, j) => {
      const column = this.cells[j];
      if (column) columns.set(name, padTo(column, rows));
      else columns.set(name, (nulls ??= Object.freeze(new Array<Cell>(rows).fill(null)) as Cell[]));
    });
    this.cells = [];
    this.lines = [];
    return { columns, rows, locate: (i) => `line ${lines[i] ?? '?'}` };
  }
}

/** Appends nulls to `column` until it holds `length` cells (the rows that lacked its key). */
function padTo(column: Cell[], length: number): Cell[] {
  while (column.length < length) column.push(null);
  return column;
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

/**
 * Opens a JSON Lines file: checks that its first non-blank line is a JSON object. Keys `wanted`
 * refuses are listed by columns() but neither checked nor carried by batches.
 */
export async function openJsonl(
  file: string,
  totalBytes: number,
  wanted: (name: string) => boolean = () => true,
): Promise<TableSource> {
  const registry = new ColumnRegistry(wanted);
  let first: JsonLine | undefined;
  for await (const line of nonBlankLines(file)) {
    first = line;
    break;
  }
  if (!first) throw inputError(file, 'empty file, expected one JSON object per line');
  // Seeds columns() before the first pass; values are checked when the pass reads them.
  for (const key of Object.keys(parseObject(file, first))) registry.slotOf(key);

  let stream: ReadStream | undefined;
  return {
    file,
    format: 'jsonl',
    textual: false,
    columns: () => registry.all(),
    batches: () =>
      jsonlBatches(file, registry, (s) => {
        stream = s;
      }),
    progress: () => ({ bytes: stream?.bytesRead ?? 0, totalBytes }),
  };
}
