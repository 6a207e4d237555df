/**
 * The fast CSV reader's tokenizer: cuts lines and fields of a block of plain CSV (no quotes, no
 * lone CRs: csv-fast.ts checks each block first) byte by byte and hands every cell to a sink as
 * bytes, trimmed as csv-parse trims, so a reader of numbers never needs a string per cell.
 *
 * What it reproduces of csv.ts's csv-parse configuration (trim, skip_empty_lines, record
 * delimiters "\r\n" / "\n", no column-count relaxing), for text without quotes or lone CRs:
 * - "\r\n" ends a line like "\n" (the CR is white space at the end of the last field);
 * - trimming is String.prototype.trim(): csv-parse trims leading bytes that encode ECMAScript
 *   white space or line terminators (the same set) and trailing ones with trimEnd(). ASCII
 *   white space is trimmed here from the bytes; a field that then starts or ends with a
 *   non-ASCII byte (maybe U+00A0, U+2028, a BOM...) is decoded and trimmed as a string;
 * - a line that is empty or white space only (no comma) is skipped but counted;
 * - a record with another number of fields than the header is an error at its line.
 * Cutting at ASCII bytes decodes each field as decoding the whole block would: a comma or line
 * feed is never part of a UTF-8 sequence, and ends an invalid one (U+FFFD) the same way.
 */
import { scanDecimal, type DecimalEnd } from './decimal.js';
import { BATCH_ROWS, inputError, type CellSink } from './types.js';

const LF = 0x0a;
const COMMA = 0x2c;

/** ASCII white space as trim() knows it: TAB, LF, VT, FF, CR, space. */
function isAsciiSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

export class CsvLineScanner<T> {
  /** The physical line that starts at the next byte scanned (header = line 1). */
  line = 1;
  /** Until the header line (the first one not blank) has been read. */
  header = true;
  private readonly file: string;
  private readonly names: readonly string[];
  private readonly sink: CellSink<T>;
  private readonly decimal: DecimalEnd = { end: 0 };

  constructor(file: string, names: readonly string[], sink: CellSink<T>) {
    this.file = file;
    this.names = names;
    this.sink = sink;
  }

  /**
   * Reads the lines in buf[pos, end) into the sink, `end` being just after a line feed or the
   * end of the file, until the sink holds BATCH_ROWS rows; returns the offset after the last
   * line read (`end` when all were).
   */
  scan(buf: Buffer, pos: number, end: number): number {
    const sink = this.sink;
    const width = this.names.length;
    lines: while (pos < end) {
      const at = this.line++;
      if (this.header) {
        pos = this.readHeader(buf, pos, end, at);
        continue;
      }
      const lineStart = pos;
      let from = pos;
      for (let j = 0; ; j++) {
        // Most cells of a numeric file are a plain number up to the comma: read it as the
        // field is cut. Anything else (white space, text, a CR) is cut first, read after.
        const x = scanDecimal(buf, from, end, this.decimal);
        let i = from;
        let c = 0;
        if (x === x) {
          i = this.decimal.end;
          c = i < end ? (buf[i] as number) : LF;
          if (c === COMMA || c === LF) {
            const last = c === LF || i === end;
            if (last !== (j === width - 1)) this.widthError(buf, lineStart, end, at);
            sink.number(j, x, buf, from, i, at);
            if (last) {
              pos = i < end ? i + 1 : end;
              break;
            }
            from = i + 1;
            continue;
          }
        }
        while (i < end && (c = buf[i] as number) !== COMMA && c !== LF) i++;
        const last = i === end || c === LF;
        let s = from;
        let e = i;
        while (s < e && isAsciiSpace(buf[s] as number)) s++;
        while (e > s && isAsciiSpace(buf[e - 1] as number)) e--;
        let text: string | undefined;
        if (s < e && ((buf[s] as number) >= 0x80 || (buf[e - 1] as number) >= 0x80)) {
          text = buf.toString('utf8', s, e).trim();
        }
        if (last && j === 0 && (text === undefined ? s === e : text === '')) {
          pos = i < end ? i + 1 : end; // empty or white space only
          continue lines;
        }
        if (last !== (j === width - 1)) this.widthError(buf, lineStart, end, at);
        if (text === undefined) sink.bytes(j, buf, s, e, at);
        else sink.text(j, text, at);
        if (last) {
          pos = i < end ? i + 1 : end;
          break;
        }
        from = i + 1;
      }
      sink.endRow(at);
      if (sink.count >= BATCH_ROWS) return pos;
    }
    return pos;
  }

  /** The first line not blank must be the header read when the file was opened. */
  private readHeader(buf: Buffer, pos: number, end: number, at: number): number {
    const lf = buf.indexOf(LF, pos);
    const stop = lf === -1 || lf >= end ? end : lf;
    const fields = buf
      .toString('utf8', pos, stop)
      .split(',')
      .map((field) => field.trim());
    if (fields.length !== 1 || fields[0] !== '') {
      this.header = false;
      const names = this.names;
      if (fields.length !== names.length || fields.some((f, j) => f !== names[j])) {
        throw inputError(this.file, `line ${at}: the header changed while the file was being read`);
      }
    }
    return stop < end ? stop + 1 : end;
  }

  private widthError(buf: Buffer, lineStart: number, end: number, at: number): never {
    let found = 1;
    for (let i = lineStart; i < end && buf[i] !== LF; i++) if (buf[i] === COMMA) found++;
    throw inputError(this.file, `line ${at}: expected ${this.names.length} fields, found ${found}`);
  }
}
