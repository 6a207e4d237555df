/**
 * The fast path of the CSV reader, for files without quoting: 1 MB blocks of whole lines, cut
 * into lines and fields byte by byte (csv-lines.ts) and handed to a sink without a string per
 * cell — many times faster than csv-parse (its per-byte state machine, a Buffer per field, an
 * info object per record) with the same records. It hands over to csv-parse (csv.ts) at the
 * first block holding a `"` or a "\r" that does not end a line, so everything it reads is
 * plain: one record per non-blank line, fields between commas, trimmed.
 *
 * Besides what csv-lines.ts reproduces of the csv-parse configuration: a UTF-8 BOM at the start
 * of the file is dropped; a UTF-16LE one (FF FE) makes csv-parse switch encoding, so such a
 * file goes to csv-parse whole. tests/unit/baseline-csv-fast.test.ts checks all of it against
 * csv-parse on random files.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DriftwatchError } from '../../errors.js';
import { CsvLineScanner } from './csv-lines.js';
import { BATCH_ROWS, inputError, reason, type CellSink } from './types.js';

export { BatchRows } from './batch-rows.js';

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

/**
 * Where the fast reader stopped: csv-parse goes on from byte `offset` of the file, the start of
 * physical line `line`. Offset 0 (line 1) means the fast reader emitted nothing, header included.
 */
export interface HandOver {
  offset: number;
  line: number;
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
 * Reads the file from the top in blocks of whole lines into `sink`, yielding sink.take() each
 * time it holds BATCH_ROWS rows. Returns undefined at the end of the file (the last rows stay in
 * the sink), or where csv-parse must take over. The first record must be the header `names`.
 * `onRead` hears how far into the file the rows go, so that a progress bar reaches 100% with
 * the last batch, not a block (thousands of rows) before.
 */
export async function* fastCsvBatches<T>(
  file: string,
  names: readonly string[],
  sink: CellSink<T>,
  onRead: (bytes: number) => void,
): AsyncGenerator<T, HandOver | undefined> {
  if (!fastCsv.enabled) return { offset: 0, line: 1 };
  const scanner = new CsvLineScanner(file, names, sink);
  let handle: FileHandle | undefined;
  let buf = Buffer.allocUnsafe(fastCsv.blockBytes);
  /** File offset of buf[0], and bytes in buf. */
  let offset = 0;
  let filled = 0;
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
        return scanner.header
          ? { offset: 0, line: 1 }
          : { offset: offset + start, line: scanner.line };
      }
      for (let pos = start; pos < end;) {
        pos = scanner.scan(buf, pos, end);
        if (sink.count >= BATCH_ROWS) {
          onRead(offset + pos);
          yield sink.take();
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
