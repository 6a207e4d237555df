import { createReadStream, type ReadStream } from 'node:fs';
import { CsvError, parse, type InfoRecord, type Options } from 'csv-parse';
import { DriftwatchError } from '../../errors.js';
import { BatchRows } from './batch-rows.js';
import { fastCsvBatches, type HandOver } from './csv-fast.js';
import { BATCH_ROWS, inputError, reason, type CellSink, type TableSource } from './types.js';

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
  /** Physical lines before the first one csv-parse sees (a pass that starts mid-file). */
  private readonly before: number;

  constructor(before = 0) {
    this.before = before;
  }

  /** The physical line where the record that csv-parse saw end on `end` starts. */
  start(end: number, fields: readonly unknown[]): number {
    // A record on the line right after the previous one is the common case, with no line break
    // inside to count; one after blank lines or holding a quoted break needs its breaks counted.
    if (end - this.previousEnd === 1) {
      this.previousEnd = end;
      return end - this.overCount + this.before;
    }
    const line = this.peek(end, fields);
    const { chars, breaks } = breaksIn(fields);
    this.overCount += chars - breaks;
    this.previousEnd = end;
    return line;
  }

  /** As start(), for a record that failed (no state change: nothing follows it). */
  peek(end: number, fields: readonly unknown[]): number {
    return end - breaksIn(fields).chars - this.overCount + this.before;
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
  before: number,
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
  return inputError(
    file,
    `${end ? `line ${lines.peek(end, [])}: ` : ''}${rebase(err.message, before)}`,
    err,
  );
}

/**
 * csv-parse's message with its own line count ("at line 3", "on line 3", always the first
 * mention, ahead of any quoted field) moved by `before` lines, for a pass that starts mid-file:
 * the message is then the one a pass over the whole file gives.
 */
function rebase(message: string, before: number): string {
  if (before === 0) return message;
  return message.replace(/\b(at|on) line (\d+)/, (_, word: string, n: string) => {
    return `${word} line ${Number(n) + before}`;
  });
}

/** A pass over the file's records; `fail` turns whatever the pass threw into our error. */
interface CsvPass {
  records: AsyncIterable<CsvRecord>;
  fail(err: unknown): Error;
  close(): void;
}

/**
 * Where a pass starts: the top of the file (offset 0: header included), or the start of a line
 * after the header, which the fast reader handed over, with the header's width.
 */
interface PassStart extends HandOver {
  width: number;
}

/**
 * Starts streaming the file's records, each with its starting line: from the top, header
 * included, or from `from`. Iterating the parser directly (not through a generator of ours)
 * keeps it at one await per record: at a million rows a second layer cost as much as parsing.
 */
function csvPass(file: string, from?: PassStart, onStream?: (s: ReadStream) => void): CsvPass {
  const midFile = from !== undefined && from.offset > 0;
  const before = midFile ? from.line - 1 : 0;
  let headerLength = midFile ? from.width : undefined;
  const lines = new LineTracker(before);
  // Runs synchronously for each record as it is parsed, in order, so it sees the header even
  // when a bad record in the same chunk fails the stream before the header reaches us.
  const onRecord = (fields: string[], context: InfoRecord): CsvRecord => {
    headerLength ??= fields.length;
    const line = lines.start(context.lines, fields);
    if (midFile && fields.length !== headerLength) {
      // csv-parse's own check (see the options) would compare with this pass's first record.
      throw inputError(
        file,
        `line ${line}: expected ${headerLength} fields, found ${fields.length}`,
      );
    }
    return { fields, line };
  };
  const input = createReadStream(file, midFile ? { start: from.offset } : undefined);
  onStream?.(input);
  // csv-parse's types insist on_record returns a field array; at run time it pushes whatever
  // it returns, and we read the stream's items as CsvRecords.
  const parser = parse({
    ...PARSE_OPTIONS,
    // Mid-file: no BOM to look for (a U+FEFF opening the line is a character, trimmed as white
    // space, as from the top), and the field count is checked against the header by onRecord.
    ...(midFile ? { bom: false, relax_column_count: true } : {}),
    on_record: onRecord as unknown as Options['on_record'],
  });
  // pipe() does not forward a read error (a directory, a vanished file): without this we'd hang.
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  return {
    records: parser as AsyncIterable<CsvRecord>,
    fail: (err) =>
      err instanceof DriftwatchError ? err : csvError(file, err, headerLength, lines, before),
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

/**
 * Reads a file's rows with the fast reader (csv-fast.ts) as long as the file is free of quotes and
 * lone CRs, then with csv-parse: from the top if the fast reader found one before the end of the
 * header (in the first block, typically), else from the start of the block where it found one,
 * into the same sink. So at most the first block is read twice, csv-parse reads only from the
 * block that needs it on, and line numbers and messages are those of a csv-parse pass over the
 * whole file, which tests/unit/baseline-csv-fast.test.ts checks on random files.
 */
async function* csvBatches<T>(
  file: string,
  names: readonly string[],
  sink: CellSink<T>,
  onProgress: (bytes: () => number) => void,
): AsyncGenerator<T> {
  let bytes = 0;
  onProgress(() => bytes);
  const handOver = yield* fastCsvBatches(file, names, sink, (read) => {
    bytes = read;
  });
  if (handOver) {
    const { offset } = handOver;
    yield* parsedBatches(file, names, sink, handOver, (s) =>
      onProgress(() => offset + s.bytesRead),
    );
  }
  if (sink.count > 0) yield sink.take();
}

/** The rows of a csv-parse pass from `from` into `sink`, yielding each full batch. */
async function* parsedBatches<T>(
  file: string,
  names: readonly string[],
  sink: CellSink<T>,
  from: HandOver,
  onStream: (s: ReadStream) => void,
): AsyncGenerator<T> {
  let header = from.offset === 0;
  const csv = csvPass(file, { ...from, width: names.length }, onStream);
  try {
    for await (const { fields, line } of csv.records) {
      if (header) {
        header = false;
        if (fields.length !== names.length || fields.some((f, j) => f !== names[j])) {
          throw inputError(file, `line ${line}: the header changed while the file was being read`);
        }
        continue;
      }
      // csv-parse (or onRecord) has checked that every record has as many fields as the header.
      for (let j = 0; j < fields.length; j++) sink.text(j, fields[j] as string, line);
      sink.endRow(line);
      if (sink.count >= BATCH_ROWS) yield sink.take();
    }
  } catch (err) {
    throw csv.fail(err);
  } finally {
    csv.close();
  }
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

  let bytesRead = () => 0;
  const onProgress = (read: () => number) => {
    bytesRead = read;
  };
  return {
    file,
    format: 'csv',
    textual: true,
    columns: () => names,
    batches: () => csvBatches(file, names, new BatchRows(names), onProgress),
    readCells: (sink) => csvBatches(file, names, sink, onProgress),
    progress: () => ({ bytes: bytesRead(), totalBytes }),
  };
}
