/**
 * The fast path of the CSV reader, for files without quoting: 1 MB blocks of whole lines decoded
 * at once, lines and fields cut with indexOf('\n') and indexOf(','), about 4× faster than
 * csv-parse (its per-byte state machine, a Buffer per field, an info object per record) with the
 * same records. It hands over to csv-parse (csv.ts) at the first block holding a `"` or a "\r"
 * that does not end a line, so everything it reads is plain: one record per non-blank line,
 * fields between commas, trimmed.
 *
 * What it reproduces of csv.ts's csv-parse configuration (bom, trim, skip_empty_lines, record
 * delimiters "\r\n" / "\n" / "\r", no column-count relaxing), for text without quotes or lone CRs:
 * - a UTF-8 BOM at the start of the file is dropped; a UTF-16LE one (FF FE) makes csv-parse
 *   switch encoding, so such a file goes to csv-parse whole;
 * - "\r\n" ends a line like "\n";
 * - trimming is String.prototype.trim(): csv-parse trims leading bytes that encode ECMAScript
 *   white space or line terminators (the same set) and trailing ones with trimEnd();
 * - a line that is empty or white space only (no comma) is skipped but counted;
 * - a record with another number of fields than the header is an error at its line.
 * tests/unit/baseline-csv-fast.test.ts checks all of it against csv-parse on random files.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DriftwatchError } from '../../errors.js';
import { BATCH_ROWS, inputError, reason, type Cell, type TableBatch } from './types.js';

/**
 * Settings, changed by tests only: `enabled: false` reads every file with csv-parse (the
 * reference the fast reader is compared with), a small `blockBytes` makes hand-overs mid-file.
 */
export const fastCsv = {
  enabled: true,
  /** Bytes read at a time: big enough that per-block costs vanish, about a batch of rows. */
  blockBytes: 1 << 20,
};

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** Rows gathered for the next batch, by column; either reader fills it, so batches go on. */
export class BatchRows {
  readonly names: readonly string[];
  cells: Cell[][];
  lines: number[] = [];

  constructor(names: readonly string[]) {
    this.names = names;
    this.cells = names.map(() => []);
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

/**
 * Where the fast reader stopped: csv-parse goes on from byte `offset` of the file, the start of
 * physical line `line`. Offset 0 (line 1) means the fast reader emitted nothing, header included.
 */
export interface HandOver {
  offset: number;
  line: number;
}

/**
 * V8 makes a substring of 13 or more characters a view into its parent string: a cell kept by
 * the caller (a category) would keep its whole block alive. A flattened concatenation is a copy.
 */
function own(cell: string): string {
  return cell.length < 13 ? cell : (' ' + cell).slice(1);
}

/** Whether String.prototype.trim() could change a string starting or ending with this code. */
function maybeSpace(code: number): boolean {
  return code <= 32 || code >= 0xa0;
}

/** A line's fields, trimmed as csv-parse trims them. */
function trimmedFields(line: string): string[] {
  return line.split(',').map((field) => field.trim());
}

/** A block csv-parse must read: a quote, or a CR not followed by LF (a line break of its own). */
function needsCsvParse(buf: Buffer, start: number, end: number): boolean {
  const block = buf.subarray(start, end);
  if (block.indexOf(QUOTE) !== -1) return true;
  for (let i = block.indexOf(CR); i !== -1; i = block.indexOf(CR, i + 1)) {
    if (block[i + 1] !== LF) return true;
  }
  return false;
}

/**
 * Reads the file from the top in blocks of whole lines and fills `rows`, yielding each batch of
 * BATCH_ROWS rows. Returns undefined at the end of the file (the last rows stay in `rows`), or
 * where csv-parse must take over. The first record must be the header `names`. `onRead` hears
 * how far into the file the rows go, so that a progress bar reaches 100% with the last batch,
 * not a block (thousands of rows) before.
 */
export async function* fastCsvBatches(
  file: string,
  names: readonly string[],
  rows: BatchRows,
  onRead: (bytes: number) => void,
): AsyncGenerator<TableBatch, HandOver | undefined> {
  if (!fastCsv.enabled) return { offset: 0, line: 1 };
  const width = names.length;
  let handle: FileHandle | undefined;
  let buf = Buffer.allocUnsafe(fastCsv.blockBytes);
  /** File offset of buf[0], bytes in buf, and the physical line that starts at buf[0]. */
  let offset = 0;
  let filled = 0;
  let line = 1;
  let header = true;
  try {
    handle = await open(file, 'r');
    for (;;) {
      if (filled === buf.length) {
        // A line longer than a block: make room for the rest of it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, offset + filled);
      filled += bytesRead;
      const eof = bytesRead === 0;
      // Whole lines only, but all that is left at the end of the file.
      const end = eof ? filled : buf.lastIndexOf(LF, filled - 1) + 1;
      if (end === 0 && !eof) continue;

      let start = 0;
      if (offset === 0) {
        // csv-parse reads a file starting with FF FE as UTF-16LE.
        if (buf[0] === 0xff && buf[1] === 0xfe) return { offset: 0, line: 1 };
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      if (needsCsvParse(buf, start, end)) {
        // Before the header, nothing was emitted: csv-parse reads the file whole, as before.
        return header ? { offset: 0, line: 1 } : { offset: offset + start, line };
      }

      const text = buf.toString('utf8', start, end);
      let pos = 0;
      lines: while (pos < text.length) {
        const lf = text.indexOf('\n', pos);
        const stop = lf === -1 ? text.length : lf;
        // Every CR here ends a line (needsCsvParse): drop it.
        const lineEnd = stop > pos && text.charCodeAt(stop - 1) === CR ? stop - 1 : stop;
        const at = line;
        line++;
        const lineStart = pos;
        pos = stop + 1;
        if (lineEnd === lineStart) continue;
        if (header) {
          const fields = trimmedFields(text.slice(lineStart, lineEnd));
          if (fields.length === 1 && fields[0] === '') continue; // white space only
          header = false;
          if (fields.length !== width || fields.some((f, j) => f !== names[j])) {
            throw inputError(file, `line ${at}: the header changed while the file was being read`);
          }
          continue;
        }

        // Field by field, straight from the block: no line string, no array per line. A
        // record of the wrong width throws, so what it pushed before that never matters.
        const cells = rows.cells;
        let from = lineStart;
        for (let j = 0; ; j++) {
          let comma = text.indexOf(',', from);
          const last = comma === -1 || comma >= lineEnd;
          if (last) comma = lineEnd;
          let cell = text.slice(from, comma);
          const n = cell.length;
          if (n > 0 && (maybeSpace(cell.charCodeAt(0)) || maybeSpace(cell.charCodeAt(n - 1)))) {
            cell = cell.trim();
          }
          if (last && j === 0 && cell === '') continue lines; // white space only
          if (last !== (j === width - 1)) {
            const found = text.slice(lineStart, lineEnd).split(',').length;
            throw inputError(file, `line ${at}: expected ${width} fields, found ${found}`);
          }
          (cells[j] as Cell[]).push(own(cell));
          if (last) break;
          from = comma + 1;
        }
        rows.lines.push(at);
        if (rows.lines.length === BATCH_ROWS) {
          // Bytes up to the end of this line (exact for ASCII: one byte a character).
          onRead(
            offset + start + Math.floor(((end - start) * Math.min(pos, text.length)) / text.length),
          );
          yield rows.take();
        }
      }
      onRead(offset + end);

      if (eof) return undefined;
      buf.copy(buf, 0, end, filled);
      offset += end;
      filled -= end;
    }
  } catch (err) {
    if (err instanceof DriftwatchError) throw err;
    throw inputError(file, `cannot read: ${reason(err)}`, err);
  } finally {
    await handle?.close();
  }
}
