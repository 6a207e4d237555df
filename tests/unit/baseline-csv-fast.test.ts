import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BatchRows, fastCsv, fastCsvBatches } from '../../src/baseline/input/csv-fast.js';
import { BATCH_ROWS, openTable, type TableBatch } from '../../src/baseline/input/table.js';
import { sfc32 } from '../../scripts/sfc32.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dw-csv-fast-'));
let files = 0;
function write(content: Buffer | string): string {
  const file = path.join(tmp, `f${files++}.csv`);
  writeFileSync(file, content);
  return file;
}

/** Everything a read gives: every batch's columns, cells and locations, or the error. */
type Outcome =
  | { batches: { columns: [string, unknown[]][]; where: string[] }[]; progress: unknown }
  | { error: { name: string; code: unknown; message: string } };

function describeBatch(batch: TableBatch) {
  const where = Array.from({ length: batch.rows }, (_, i) => batch.locate(i));
  return { columns: [...batch.columns].map(([name, cells]) => [name, [...cells]]), where } as {
    columns: [string, unknown[]][];
    where: string[];
  };
}

async function outcome(file: string, fast: boolean, blockBytes: number): Promise<Outcome> {
  const saved = { ...fastCsv };
  Object.assign(fastCsv, { enabled: fast, blockBytes });
  try {
    const table = await openTable(file);
    const batches = [];
    for await (const batch of table.batches()) batches.push(describeBatch(batch));
    return { batches, progress: table.progress() };
  } catch (err) {
    const e = err as { name: string; code: unknown; message: string };
    return { error: { name: e.name, code: e.code, message: e.message } };
  } finally {
    Object.assign(fastCsv, saved);
  }
}

/** Reads the file with csv-parse only, then with the fast reader: both must agree entirely. */
async function expectSame(file: string, blockBytes = 1 << 20): Promise<Outcome> {
  const reference = await outcome(file, false, blockBytes);
  const fast = await outcome(file, true, blockBytes);
  expect(fast).toEqual(reference);
  return fast;
}

// sfc32: a seeded PRNG, so a failure is reproducible from its seed.
function random(seed: number): () => number {
  const next = sfc32(seed);
  return () => next() / 4294967296;
}

// White space of every kind trim() knows (and two it does not: U+180E, U+200B), letters, digits.
const SPACES = [' ', '\t', '\v', '\f', '\u00a0', '\u2000', '\u2028', '\u3000', '\ufeff'];
const OTHERS = ['\u180e', '\u200b', '\u0085', 'é', '€', '😀', '\0'];
const PLAIN = 'abcXYZ0123456789.-+_';

interface Shape {
  /** Chance per row of a blank or white-space-only line, a CRLF, a quoted field, ... */
  blank: number;
  crlf: number;
  quoted: number;
  loneCr: number;
  badQuote: number;
  ragged: number;
  invalidUtf8: number;
}

/** A random CSV (as bytes), with the oddities `shape` asks for. */
function randomCsv(rnd: () => number, rows: number, shape: Partial<Shape>): Buffer {
  const s: Shape = {
    blank: 0,
    crlf: 0,
    quoted: 0,
    loneCr: 0,
    badQuote: 0,
    ragged: 0,
    invalidUtf8: 0,
    ...shape,
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const width = 1 + Math.floor(rnd() * 5);
  const cell = (): string => {
    const r = rnd();
    if (r < 0.15) return '';
    let text = '';
    const n = r < 0.9 ? 1 + Math.floor(rnd() * 8) : 13 + Math.floor(rnd() * 30);
    for (let i = 0; i < n; i++) {
      const k = rnd();
      text += k < 0.8 ? pick([...PLAIN]) : k < 0.93 ? pick(SPACES) : pick(OTHERS);
    }
    if (rnd() < 0.2) text = pick(SPACES) + text;
    if (rnd() < 0.2) text += pick(SPACES) + pick(SPACES);
    return text;
  };
  const parts: Buffer[] = [];
  const text = (t: string) => parts.push(Buffer.from(t, 'utf8'));
  const eol = () => text(rnd() < s.crlf ? '\r\n' : '\n');
  if (rnd() < 0.3) text('\ufeff');
  if (rnd() < 0.1) eol(); // blank lines before the header
  text(Array.from({ length: width }, (_, j) => ` c${j} `).join(','));
  for (let i = 0; i < rows; i++) {
    eol();
    if (rnd() < s.blank) {
      text(rnd() < 0.5 ? '' : pick(SPACES) + pick(SPACES));
      continue;
    }
    const n = rnd() < s.ragged ? width + (rnd() < 0.5 ? 1 : -1) : width;
    const fields = Array.from({ length: Math.max(n, 1) }, cell);
    if (rnd() < s.quoted) {
      const inner = pick(['a,b', 'x\ny', 'x\r\ny', 'q""q', '', ' sp ']);
      fields[Math.floor(rnd() * fields.length)] = `"${inner}"`;
    }
    if (rnd() < s.badQuote) fields[0] = 'a"b';
    if (rnd() < s.loneCr) fields[0] = `${fields[0] ?? ''}\r`;
    text(fields.join(','));
    if (rnd() < s.invalidUtf8) {
      parts.push(
        Buffer.from(pick([[0xff], [0xe2, 0x80], [0xc3], [0x80, 0x80], [0xed, 0xa0, 0x80]])),
      );
    }
  }
  if (rnd() < 0.7) eol();
  if (rnd() < 0.1) text('  ');
  return Buffer.concat(parts);
}

afterEach(() => {
  fastCsv.enabled = true;
  fastCsv.blockBytes = 1 << 20;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fast CSV reader', () => {
  it('reads random files exactly as csv-parse does: cells, batches, lines, errors', async () => {
    const shapes: Partial<Shape>[] = [
      {},
      { crlf: 0.5, blank: 0.1 },
      { crlf: 1, blank: 0.3 },
      { quoted: 0.02, crlf: 0.3, blank: 0.05 },
      { loneCr: 0.02 },
      { badQuote: 0.02 },
      { ragged: 0.02, blank: 0.1 },
      { ragged: 0.1, blank: 0.3, crlf: 0.5 },
      { invalidUtf8: 0.1, crlf: 0.2 },
    ];
    let fastOk = 0;
    // CSV_FAST_SEEDS=20000 for a longer search.
    const seeds = Number(process.env.CSV_FAST_SEEDS ?? 630);
    for (let seed = 1; seed <= seeds; seed++) {
      const rnd = random(seed);
      const shape = shapes[seed % shapes.length] ?? {};
      const file = write(randomCsv(rnd, Math.floor(rnd() * 60), shape));
      // Tiny blocks: lines across reads, hand-overs to csv-parse anywhere in the file.
      const blockBytes = [1, 7, 64, 300, 1 << 20][seed % 5] ?? 64;
      const result = await expectSame(file, blockBytes).catch((err: unknown) => {
        throw new Error(`seed ${seed}, block ${blockBytes}: ${String(err)}`);
      });
      if ('batches' in result) fastOk++;
    }
    // Most files are readable: the comparison is not only of errors.
    expect(fastOk).toBeGreaterThan(seeds / 2);
  });

  it('agrees with csv-parse on edge cases', async () => {
    const cases = [
      'a\n,x\n',
      'a\n \t\n1\n',
      'a\n1\n , \n',
      'a\n1\n\u00a0\n2',
      'a,b\n,\n , \n1\n',
      'a,b\n1,2,\n',
      'a,b\n1\n',
      'a,b\n\n\n1,2\n\n',
      '\n\na,b\n1,2',
      '\ufeff\ufeffa,b\n1,2',
      '\ufeff\n\ufeff\na\n\ufeff1\ufeff\n',
      'a,b\r\n1,2\r',
      'a,b\n1,2\r3,4\n',
      'a,b\n1,2\r\r\n',
      'a ,b\n1,2\n',
      'a,a \n1,2\n',
      'a,b\n1,2\n\u2028\n\u180e,x\n',
      'a,b\n"1",2\n',
      'a,b\n1,2\n"3,4\n',
      'a,b\n1,2\n3,"4"x\n',
    ];
    for (const content of cases) {
      for (const blockBytes of [1, 1 << 20]) {
        await expectSame(write(content), blockBytes).catch((err: unknown) => {
          throw new Error(`${JSON.stringify(content)}, block ${blockBytes}: ${String(err)}`);
        });
      }
    }
  });

  it('keeps batches of BATCH_ROWS across a hand-over to csv-parse, early or late', async () => {
    // Over 1 MB: with the default block size too, a late quote is a hand-over mid-file.
    const lines = ['id,x,label,note'];
    for (let i = 0; i < 3 * BATCH_ROWS; i++) {
      lines.push(`${i}, ${(i * 0.37).toFixed(2)} ,c${i % 7},a note longer than 13: ${i}`);
    }
    const plain = lines.join('\r\n') + '\r\n';
    expect(plain.length).toBeGreaterThan(1 << 20);
    const quoted = (row: number) => {
      const copy = [...lines];
      copy[row] = `${row - 1},"${row}.5",quoted,"a, b"`;
      return copy.join('\n') + '\n';
    };
    const late = quoted(3 * BATCH_ROWS);
    for (const content of [plain, quoted(3), quoted(BATCH_ROWS + 5), late]) {
      const file = write(content);
      for (const blockBytes of [4096, 1 << 20]) {
        const result = await expectSame(file, blockBytes);
        if (!('batches' in result)) throw new Error('expected batches');
        expect(result.batches.map((b) => b.where.length)).toEqual([
          BATCH_ROWS,
          BATCH_ROWS,
          BATCH_ROWS,
        ]);
        expect(result.batches[2]?.where.at(-1)).toBe(`line ${3 * BATCH_ROWS + 1}`);
      }
    }
    // The late quote is in the second block: the first one went the fast way.
    const rows = new BatchRows(['id', 'x', 'label', 'note']);
    const run = fastCsvBatches(write(late), rows.names, rows, () => {});
    let next = await run.next();
    while (!next.done) next = await run.next();
    expect(next.value).toMatchObject({ line: expect.any(Number) as number });
    expect(next.value?.offset).toBeGreaterThan(0);
  });

  it('reports progress up to the rows batched, reaching the whole file with the last batch', async () => {
    const lines = ['id,x'];
    for (let i = 0; i < 5 * BATCH_ROWS + 7; i++) lines.push(`${i},${i % 13}`);
    const file = write(lines.join('\n'));
    const table = await openTable(file);
    const seen: number[] = [];
    for await (const batch of table.batches()) {
      const { bytes, totalBytes } = table.progress();
      // Exact for ASCII: the bytes of the header and the rows so far, line breaks included.
      const upTo = lines.slice(0, 1 + seen.length * BATCH_ROWS + batch.rows).join('\n').length;
      expect(bytes).toBe(Math.min(upTo + 1, totalBytes));
      seen.push(bytes);
    }
    expect(seen).toHaveLength(6);
    expect(seen.at(-1)).toBe(table.progress().totalBytes);
  });

  it('hands over at the block holding the first quote, with its offset and line', async () => {
    const head = 'a,b\n1,2\r\n\n3,4\n';
    const file = write(`${head}5,"6"\n7,8\n`);
    const names = ['a', 'b'];
    const run = async (blockBytes: number) => {
      fastCsv.blockBytes = blockBytes;
      const rows = new BatchRows(names);
      const it = fastCsvBatches(file, names, rows, () => {});
      let next = await it.next();
      while (!next.done) next = await it.next();
      return { handOver: next.value, lines: rows.lines };
    };
    // Blocks of whole lines: the quote's line is a block of its own.
    expect(await run(1)).toEqual({
      handOver: { offset: Buffer.byteLength(head), line: 5 },
      lines: [2, 4],
    });
    // One block for everything: the header is in it, so csv-parse reads the file whole.
    expect(await run(1 << 20)).toEqual({ handOver: { offset: 0, line: 1 }, lines: [] });
  });

  it('rebases csv-parse line numbers in its own messages after a mid-file hand-over', async () => {
    const rows = ['a,b', ...Array.from({ length: 500 }, (_, i) => `${i},x`)];
    for (const bad of ['1,x"y', '1,"open', '"a"b,2', '1,2,3', '1', '"1",2,3']) {
      const file = write([...rows, ...rows.slice(1, 100), bad, '2,z'].join('\n') + '\n');
      const result = await expectSame(file, 256);
      // Line 601 (602: the unclosed quote runs to the end), in csv-parse's words too.
      const message = 'error' in result ? result.error.message : '';
      expect(message).toMatch(/: line 60[12]: /);
      for (const [, n] of message.matchAll(/\b(?:at|on) line (\d+)/g))
        expect(Number(n)).toBeGreaterThan(600);
    }
  });

  it('reads a CSV with a UTF-8 BOM, CRLF, padding and blank lines like csv-parse', async () => {
    const file = write('\ufeff a , b \r\n\r\n 1 ,\t2\u00a0\r\n  \r\n,\r\n3,4');
    const result = await expectSame(file);
    expect(result).toMatchObject({
      batches: [
        {
          columns: [
            ['a', ['1', '', '3']],
            ['b', ['2', '', '4']],
          ],
          where: ['line 3', 'line 5', 'line 6'],
        },
      ],
      progress: { bytes: 34, totalBytes: 34 },
    });
    // UTF-16LE (a BOM csv-parse switches encoding on) goes to csv-parse whole.
    await expectSame(write(Buffer.from('\ufeffa,b\n1,2\n', 'utf16le')));
  });
});
