import { createReadStream, type ReadStream } from 'node:fs';
import { CsvError, parse, type InfoRecord, type Options } from 'csv-parse';
import { DriftwatchError } from '../../errors.js';
import {
  BATCH_ROWS,
  inputError,
  reason,
  type Cell,
  type TableBatch,
  type TableSource,
} from './types.js';

/** One CSV record and the physical line it starts on (header = line 1). */
interface CsvRecord {
  fields: string[];
  line: number;
}

const PARSE_OPTIONS: Options = {
  // Excel and PowerShell write a UTF-8 BOM; unstripped it would become part of the first name.
  bom: true,
  trim: true,
  skip_empty_lines: true,
  // A short or long record is an error, never silently padded or cut.
  relax_column_count: false,
  // Any line ending, even mixed in one file: csv-parse otherwise picks the first one it meets and
  // counts a later "\r\n" as two lines, which would put every later line number off by one.
  record_delimiter: ['\r\n', '\n', '\r'],
};

/**
 * Turns csv-parse's line numbers into physical ones. csv-parse reports the line a record *ends*
 * on, and inside quotes it counts each "\r" and "\n" as a line, so "\r\n" in a quoted field counts
 * twice: we subtract what it over-counted in the records before.
 */
class LineTracker {
  private previousEnd = 0;
  private overCount = 0;

  /** The physical line where the record that csv-parse saw end on `end` starts. */
  start(end: number, fields: readonly unknown[]): number {
    // A record on the line right after the previous one is the common case, with no line break
    // inside to count; one after blank lines or holding a quoted break needs its breaks counted.
    if (end - this.previousEnd === 1) {
      this.previousEnd = end;
      return end - this.overCount;
    }
    const line = this.peek(end, fields);
    const { chars, breaks } = breaksIn(fields);
    this.overCount += chars - breaks;
    this.previousEnd = end;
    return line;
  }

  /** As start(), for a record that failed (no state change: nothing follows it). */
  peek(end: number, fields: readonly unknown[]): number {
    return end - breaksIn(fields).chars - this.overCount;
  }
}

/** Line-break characters (as csv-parse counts them) and physical line breaks in the fields. */
function breaksIn(fields: readonly unknown[]): { chars: number; breaks: number } {
  let chars = 0;
  let breaks = 0;
  for (const field of fields) {
    if (typeof field !== 'string' || !/[\r\n]/.test(field)) continue;
    chars += field.match(/[\r\n]/g)?.length ?? 0;
    breaks += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return { chars, breaks };
}

function csvError(
  file: string,
  err: unknown,
  headerLength: number | undefined,
  lines: LineTracker,
): Error {
  if (!(err instanceof CsvError)) return inputError(file, `cannot read: ${reason(err)}`, err);
  const end = typeof err.lines === 'number' ? err.lines : undefined;
  const fields = Array.isArray(err.record) ? (err.record as unknown[]) : undefined;
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && end && fields && headerLength) {
    // Reported at the line the record ends on; users look for where it starts.
    const line = lines.peek(end, fields);
    return inputError(
      file,
      `line ${line}: expected ${headerLength} fields, found ${fields.length}`,
      err,
    );
  }
  return inputError(file, `${end ? `line ${lines.peek(end, [])}: ` : ''}${err.message}`, err);
}

/** A pass over the file's records; `fail` turns whatever the pass threw into our error. */
interface CsvPass {
  records: AsyncIterable<CsvRecord>;
  fail(err: unknown): Error;
  close(): void;
}

/**
 * Starts streaming the file's records, header included, each with its starting line. Iterating
 * the parser directly (not through a generator of ours) keeps it at one await per record: at a
 * million rows a second layer cost as much as parsing.
 */
function csvPass(file: string, onStream?: (s: ReadStream) => void): CsvPass {
  let headerLength: number | undefined;
  const lines = new LineTracker();
  // Runs synchronously for each record as it is parsed, in order, so it sees the header even
  // when a bad record in the same chunk fails the stream before the header reaches us.
  const onRecord = (fields: string[], context: InfoRecord): CsvRecord => {
    headerLength ??= fields.length;
    return { fields, line: lines.start(context.lines, fields) };
  };
  const input = createReadStream(file);
  onStream?.(input);
  // csv-parse's types insist on_record returns a field array; at run time it pushes whatever
  // it returns, and we read the stream's items as CsvRecords.
  const parser = parse({
    ...PARSE_OPTIONS,
    on_record: onRecord as unknown as Options['on_record'],
  });
  // pipe() does not forward a read error (a directory, a vanished file): without this we'd hang.
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  return {
    records: parser as AsyncIterable<CsvRecord>,
    fail: (err) =>
      err instanceof DriftwatchError ? err : csvError(file, err, headerLength, lines),
    close: () => {
      input.destroy();
      parser.destroy();
    },
  };
}

/** The header must name every column once: a cell must never be attributed to the wrong one. */
function checkHeader(file: string, header: CsvRecord): string[] {
  const names = header.fields;
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') {
      // pandas' to_csv() with its default index=True writes exactly this.
      throw inputError(file, `line ${header.line}: column ${i + 1} has an empty name`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw inputError(
        file,
        `line ${header.line}: column "${name}" appears twice (columns ${first + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  });
  return names;
}

function batch(names: readonly string[], cells: Cell[][], lines: number[]): TableBatch {
  const columns = new Map(names.map((name, j) => [name, cells[j] as Cell[]]));
  return { columns, rows: lines.length, locate: (i) => `line ${lines[i] ?? '?'}` };
}

async function* csvBatches(
  file: string,
  names: readonly string[],
  onStream: (s: ReadStream) => void,
): AsyncGenerator<TableBatch> {
  let cells: Cell[][] = names.map(() => []);
  let lines: number[] = [];
  let header = true;
  const csv = csvPass(file, onStream);
  try {
    for await (const { fields, line } of csv.records) {
      if (header) {
        header = false;
        if (fields.length !== names.length || fields.some((f, j) => f !== names[j])) {
          throw inputError(file, `line ${line}: the header changed while the file was being read`);
        }
        continue;
      }
      // csv-parse has checked that every record has as many fields as the header.
      for (let j = 0; j < fields.length; j++) (cells[j] as Cell[]).push(fields[j] as string);
      lines.push(line);
      if (lines.length === BATCH_ROWS) {
        yield batch(names, cells, lines);
        cells = names.map(() => []);
        lines = [];
      }
    }
  } catch (err) {
    throw csv.fail(err);
  } finally {
    csv.close();
  }
  if (lines.length > 0) yield batch(names, cells, lines);
}

/** Opens a CSV file: reads its header and checks that at least one data row follows. */
export async function openCsv(file: string, totalBytes: number): Promise<TableSource> {
  const head: CsvRecord[] = [];
  const csv = csvPass(file);
  try {
    for await (const record of csv.records) {
      head.push(record);
      if (head.length === 2) break;
    }
  } catch (err) {
    throw csv.fail(err);
  } finally {
    csv.close();
  }
  const [header, firstRow] = head;
  if (!header) throw inputError(file, 'empty file, expected a header row');
  const names = checkHeader(file, header);
  if (!firstRow) throw inputError(file, 'no data rows (header only)');

  let stream: ReadStream | undefined;
  return {
    file,
    format: 'csv',
    textual: true,
    columns: () => names,
    batches: () =>
      csvBatches(file, names, (s) => {
        stream = s;
      }),
    progress: () => ({ bytes: stream?.bytesRead ?? 0, totalBytes }),
  };
}
