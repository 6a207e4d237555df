import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BATCH_ROWS,
  openTable,
  sha256File,
  type Cell,
  type TableBatch,
  type TableSource,
} from '../../src/baseline/input/table.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/baselines');
const fixture = (name: string) => path.join(fixtures, name);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-input-'));
const COLUMNS = ['amount', 'age', 'country', 'is_new', 'zip', 'score'];

/** All rows of a table as objects, plus where each came from. */
async function readAll(table: TableSource) {
  const rows: Record<string, Cell>[] = [];
  const where: string[] = [];
  const batches: TableBatch[] = [];
  for await (const batch of table.batches()) {
    batches.push(batch);
    for (let i = 0; i < batch.rows; i++) {
      const row: Record<string, Cell> = {};
      for (const [name, cells] of batch.columns) row[name] = cells[i] as Cell;
      rows.push(row);
      where.push(batch.locate(i));
    }
  }
  return { rows, where, batches };
}

async function readFile(file: string) {
  return readAll(await openTable(file));
}

/** The error a file gives, whether at open or while reading its batches. */
async function errorOf(file: string): Promise<unknown> {
  try {
    await readFile(file);
  } catch (err) {
    return err;
  }
  throw new Error(`${file} read without error`);
}

function expectInputError(err: unknown, message: string) {
  expect(err).toMatchObject({ name: 'DriftwatchError', code: 'BASELINE_INPUT_INVALID', message });
}

describe('baseline input readers', () => {
  it('read the same 200 rows from CSV, JSON Lines and Parquet', async () => {
    const csv = await openTable(fixture('train.csv'));
    const jsonl = await openTable(fixture('train.jsonl'));
    const parquet = await openTable(fixture('train.parquet'));
    expect([csv.textual, jsonl.textual, parquet.textual]).toEqual([true, false, false]);
    expect([csv.format, jsonl.format, parquet.format]).toEqual(['csv', 'jsonl', 'parquet']);

    const [fromCsv, fromJsonl, fromParquet] = await Promise.all([
      readAll(csv),
      readAll(jsonl),
      readAll(parquet),
    ]);
    for (const table of [csv, jsonl, parquet]) expect(table.columns()).toEqual(COLUMNS);
    expect(fromJsonl.rows).toHaveLength(200);
    // Typed formats agree exactly, nulls, integers, booleans and leading-zero codes included.
    expect(fromParquet.rows).toEqual(fromJsonl.rows);
    expect(fromJsonl.rows[5]?.amount).toBeNull();
    expect(fromJsonl.rows[17]?.country).toBeNull();
    expect(fromJsonl.rows[0]).toMatchObject({ age: 26, is_new: true, zip: '01234' });

    // CSV stays raw text; interpreting it is the builder's job, so only check it is that text.
    expect(fromCsv.rows).toHaveLength(200);
    fromCsv.rows.forEach((row, i) => {
      for (const name of COLUMNS) {
        const [text, typed] = [row[name], fromJsonl.rows[i]?.[name]];
        const at = `row ${i + 1}, ${name}`;
        // Python writes 39.0 where JavaScript would write 39: compare numbers as numbers.
        if (typeof typed === 'number') expect(Number(text), at).toBe(typed);
        else expect(text, at).toBe(typed === null ? '' : String(typed));
      }
    });

    // Lines for text formats (CSV's header is line 1), 1-based rows for Parquet.
    expect([fromCsv.where[0], fromCsv.where[199]]).toEqual(['line 2', 'line 201']);
    expect([fromJsonl.where[0], fromJsonl.where[199]]).toEqual(['line 1', 'line 200']);
    // train.parquet has 64-row groups: row 65 starts the second one.
    expect([fromParquet.where[64], fromParquet.where[199]]).toEqual(['row 65', 'row 200']);
    expect(parquet.progress().bytes).toBeGreaterThan(0);
    expect(csv.progress()).toEqual({ bytes: 6104, totalBytes: 6104 });
  });

  it('streams a large CSV in bounded batches', async () => {
    const file = path.join(tmp(), 'big.csv');
    const lines = ['id,x,label'];
    for (let i = 0; i < 50_000; i++) lines.push(`${i},${(i * 0.37).toFixed(2)},c${i % 7}`);
    writeFileSync(file, lines.join('\n') + '\n');

    const { rows, where, batches } = await readFile(file);
    expect(rows).toHaveLength(50_000);
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(50_000 / BATCH_ROWS));
    for (const batch of batches) {
      expect(batch.rows).toBeLessThanOrEqual(BATCH_ROWS);
      for (const cells of batch.columns.values()) expect(cells).toHaveLength(batch.rows);
    }
    expect(rows[49_999]).toEqual({ id: '49999', x: '18499.63', label: 'c5' });
    expect(where[49_999]).toBe('line 50001');
  });

  it('locates CSV records after quoted line breaks and blank lines', async () => {
    const file = path.join(tmp(), 'quoted.csv');
    // Line endings mixed on purpose, and a quoted "\r\n" that csv-parse counts as two lines.
    writeFileSync(file, 'a,b\n1,"two\nlines"\n2,z\n\n3, w \r\n"4",""\n5,"x\r\ny"\r\n6,end\n');
    const { rows, where } = await readFile(file);
    expect(rows).toEqual([
      { a: '1', b: 'two\nlines' },
      { a: '2', b: 'z' },
      { a: '3', b: 'w' },
      { a: '4', b: '' },
      { a: '5', b: 'x\r\ny' },
      { a: '6', b: 'end' },
    ]);
    expect(where).toEqual(['line 2', 'line 4', 'line 6', 'line 7', 'line 8', 'line 10']);
  });

  it('gives JSON Lines columns in first-seen order, null where a record lacks one', async () => {
    const file = path.join(tmp(), 'sparse.jsonl');
    writeFileSync(file, '{"a": 1}\n\n{"b": "x", "a": 2}\r\n{"c": true}\n');
    const table = await openTable(file);
    expect(table.columns()).toEqual(['a']);
    const { rows, where } = await readAll(table);
    expect(table.columns()).toEqual(['a', 'b', 'c']);
    expect(rows).toEqual([
      { a: 1, b: null, c: null },
      { a: 2, b: 'x', c: null },
      { a: null, b: null, c: true },
    ]);
    expect(where).toEqual(['line 1', 'line 3', 'line 4']);
  });

  it('names the file, line and column of every bad CSV', async () => {
    const f = fixture;
    expectInputError(
      await errorOf(f('empty.csv')),
      `${f('empty.csv')}: empty file, expected a header row`,
    );
    expectInputError(
      await errorOf(f('header-only.csv')),
      `${f('header-only.csv')}: no data rows (header only)`,
    );
    expectInputError(
      await errorOf(f('ragged.csv')),
      `${f('ragged.csv')}: line 5: expected 6 fields, found 7`,
    );
    // A non-number in a numeric column is the builder's to judge: the reader hands over the text.
    const { rows, where } = await readFile(f('bad-number.csv'));
    expect([rows[5]?.amount, where[5]]).toEqual(['abc', 'line 7']);

    const dir = tmp();
    const write = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const ragged = write('ragged-quoted.csv', 'a,b\r\n1,"x\r\ny"\r\n"x\r\ny",2,3\r\n');
    expectInputError(await errorOf(ragged), `${ragged}: line 4: expected 2 fields, found 3`);
    const index = write('index.csv', ',a,b\n0,1,2\n');
    expectInputError(await errorOf(index), `${index}: line 1: column 1 has an empty name`);
    const twice = write('twice.csv', 'a,b,a\n1,2,3\n');
    expectInputError(
      await errorOf(twice),
      `${twice}: line 1: column "a" appears twice (columns 1 and 3)`,
    );
    const blank = write('blank.csv', '\n\n');
    expectInputError(await errorOf(blank), `${blank}: empty file, expected a header row`);
  });

  it('names the file, line and column of every bad JSON Lines file', async () => {
    const f = fixture;
    expectInputError(
      await errorOf(f('nested.jsonl')),
      `${f('nested.jsonl')}: line 3, column "country": nested values are not supported`,
    );
    expectInputError(
      await errorOf(f('not-object.jsonl')),
      `${f('not-object.jsonl')}: line 2: not a JSON object`,
    );
    const dir = tmp();
    const broken = path.join(dir, 'broken.jsonl');
    writeFileSync(broken, '{"a": 1}\n{"a": \n');
    expect(await errorOf(broken)).toMatchObject({
      code: 'BASELINE_INPUT_INVALID',
      message: expect.stringMatching(/^.*broken\.jsonl: line 2: not valid JSON \(/) as string,
    });
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n \n');
    expectInputError(
      await errorOf(empty),
      `${empty}: empty file, expected one JSON object per line`,
    );
  });

  it('names the file, row and column of every bad Parquet file', async () => {
    const f = fixture;
    expect(await errorOf(f('corrupt.parquet'))).toMatchObject({
      code: 'BASELINE_INPUT_INVALID',
      message: expect.stringContaining(
        `${f('corrupt.parquet')}: not a readable Parquet file: `,
      ) as string,
    });
    expectInputError(
      await errorOf(f('big-int.parquet')),
      `${f('big-int.parquet')}: row 3, column "id": integer 9007199254740993 is beyond ±2^53 and cannot be read exactly`,
    );
    expectInputError(
      await errorOf(f('binary.parquet')),
      `${f('binary.parquet')}: row 1, column "blob": binary values are not supported (no UTF8/STRING annotation)`,
    );
    expectInputError(
      await errorOf(f('nested.parquet')),
      `${f('nested.parquet')}: column "point": nested values (struct, list, map) are not supported`,
    );
    expect(await errorOf(f('zstd.parquet'))).toMatchObject({
      code: 'BASELINE_INPUT_INVALID',
      message: expect.stringContaining(
        `${f('zstd.parquet')}: not a readable Parquet file: column "amount" is compressed with ZSTD`,
      ) as string,
    });
    const empty = path.join(tmp(), 'empty.parquet');
    writeFileSync(empty, '');
    expectInputError(
      await errorOf(empty),
      `${empty}: not a readable Parquet file: the file is empty`,
    );
  });

  it('picks the reader by extension, or refuses naming the supported ones', async () => {
    const dir = tmp();
    const txt = path.join(dir, 'train.txt');
    writeFileSync(txt, readFileSync(fixture('train.csv')));
    expectInputError(
      await errorOf(txt),
      `${txt}: unknown extension ".txt": supported are .csv, .jsonl, .ndjson, .json-lines, .parquet`,
    );
    expect((await readAll(await openTable(txt, 'csv'))).rows).toHaveLength(200);
    const ndjson = path.join(dir, 'train.NDJSON');
    writeFileSync(ndjson, readFileSync(fixture('train.jsonl')));
    expect((await openTable(ndjson)).format).toBe('jsonl');
    const missing = path.join(dir, 'missing.csv');
    expect(await errorOf(missing)).toMatchObject({
      code: 'BASELINE_INPUT_INVALID',
      message: expect.stringContaining(`${missing}: cannot read: ENOENT`) as string,
    });
  });

  it('hashes a file as node:crypto does on its whole contents', async () => {
    for (const name of ['train.csv', 'train.parquet', 'empty.csv']) {
      const expected = createHash('sha256')
        .update(readFileSync(fixture(name)))
        .digest('hex');
      expect(await sha256File(fixture(name))).toBe(expected);
    }
    await expect(sha256File(path.join(tmp(), 'missing.csv'))).rejects.toMatchObject({
      code: 'BASELINE_INPUT_INVALID',
    });
  });
});
