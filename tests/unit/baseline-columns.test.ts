import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaselineFromFile } from '../../src/baseline/build-file.js';
import {
  BATCH_ROWS,
  openTable,
  type Cell,
  type TableSource,
} from '../../src/baseline/input/table.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/baselines');
const fixture = (name: string) => path.join(fixtures, name);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-columns-'));
const opts = { model: 'fraud', modelVersion: '7' };
const TRAIN_COLUMNS = ['amount', 'age', 'country', 'is_new', 'zip', 'score'];
const allBut =
  (...names: string[]) =>
  (name: string) =>
    !names.includes(name);

/** Every batch's columns, checked to be as long as the batch, concatenated by name. */
async function readColumns(table: TableSource) {
  const columns = new Map<string, Cell[]>();
  let rows = 0;
  for await (const batch of table.batches()) {
    for (const [name, cells] of batch.columns) {
      expect(cells, name).toHaveLength(batch.rows);
      let all = columns.get(name);
      if (!all) {
        all = new Array<Cell>(rows).fill(null);
        columns.set(name, all);
      }
      all.push(...cells);
    }
    rows += batch.rows;
  }
  return { columns, rows };
}

/** unused-columns.parquet: x, an INT64 id past 2^53 in row 3, a list, a ZSTD column, score. */
const UNUSED = fixture('unused-columns.parquet');

describe('reading only the wanted columns', () => {
  it('Parquet neither checks nor reads unwanted columns, and still lists them', async () => {
    const table = await openTable(UNUSED, undefined, { columns: allBut('id', 'emb', 'note') });
    expect(table.columns()).toEqual(['x', 'id', 'emb', 'note', 'score']);
    const { columns, rows } = await readColumns(table);
    expect(rows).toBe(5);
    expect([...columns.keys()]).toEqual(['x', 'score']);
    expect(columns.get('x')).toEqual([1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('Parquet still refuses a wanted column it cannot read, by name', async () => {
    const read = async (wanted: (name: string) => boolean) =>
      readColumns(await openTable(UNUSED, undefined, { columns: wanted }));
    await expect(read((n) => n === 'id')).rejects.toThrow(
      `${UNUSED}: row 3, column "id": integer 9007199254740993 is beyond ±2^53`,
    );
    await expect(read((n) => n === 'emb')).rejects.toThrow(
      `${UNUSED}: column "emb": nested values (struct, list, map) are not supported`,
    );
    await expect(read((n) => n === 'note')).rejects.toThrow(
      `${UNUSED}: not a readable Parquet file: column "note" is compressed with ZSTD`,
    );
    // No predicate: every column is wanted, the list among them (refused when opened).
    await expect(openTable(UNUSED)).rejects.toThrow(/column "emb": nested values/);
  });

  it('JSON Lines ignores unwanted keys, nested values included, but lists them', async () => {
    const table = await openTable(fixture('nested.jsonl'), undefined, {
      columns: allBut('country'),
    });
    const { columns, rows } = await readColumns(table);
    expect(rows).toBe(4);
    expect([...columns.keys()]).toEqual(TRAIN_COLUMNS.filter((c) => c !== 'country'));
    expect(table.columns()).toEqual(TRAIN_COLUMNS);
  });

  it('JSON Lines pads a sparse key with nulls within and across batches', async () => {
    const file = path.join(tmp(), 'sparse.jsonl');
    const n = BATCH_ROWS + 1000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const record: Record<string, unknown> = { a: i };
      if (i % 1000 === 3) record.b = `b${i}`;
      if (i === BATCH_ROWS + 10) record.c = true; // first seen in the second batch
      lines.push(JSON.stringify(record));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const table = await openTable(file);
    const batches = [];
    for await (const batch of table.batches()) batches.push(batch);
    expect(batches.map((b) => [b.rows, [...b.columns.keys()]])).toEqual([
      [BATCH_ROWS, ['a', 'b']],
      [1000, ['a', 'b', 'c']],
    ]);
    const { columns, rows } = await readColumns(table);
    expect(rows).toBe(n);
    const b = columns.get('b') ?? [];
    const c = columns.get('c') ?? [];
    expect(b.filter((v) => v !== null)).toHaveLength(Math.ceil((n - 3) / 1000));
    const later = Math.ceil((BATCH_ROWS - 3) / 1000) * 1000 + 3; // b's first in batch 2
    expect([b[3], b[4], b[later - 1], b[later], b[n - 1]]).toEqual([
      'b3',
      null,
      null,
      `b${later}`,
      null,
    ]);
    expect(c.filter((v) => v !== null)).toEqual([true]);
    expect(c[BATCH_ROWS + 10]).toBe(true);
    expect(columns.get('a')?.[n - 1]).toBe(n - 1);
  });

  it('JSON Lines with a unique key per row reads only the wanted ones', async () => {
    const file = path.join(tmp(), 'unique-keys.jsonl');
    const n = 20_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`{"x": ${i % 97}, "k${i}": ${i}}`);
    writeFileSync(file, lines.join('\n') + '\n');

    const table = await openTable(file, undefined, { columns: (name) => name === 'x' });
    const { columns, rows } = await readColumns(table);
    expect(rows).toBe(n);
    expect([...columns.keys()]).toEqual(['x']);
    expect(table.columns()).toHaveLength(n + 1); // every key is still known by name

    const b = await buildBaselineFromFile(file, { ...opts, features: ['x'] });
    expect(b.source.rows).toBe(n);
    expect(Object.keys(b.features)).toEqual(['x']);
  });
});

describe('building from a file with columns left out', () => {
  it('builds from Parquet with an int64 id, a list and a ZSTD column excluded', async () => {
    const b = await buildBaselineFromFile(UNUSED, { ...opts, exclude: ['id', 'emb', 'note'] });
    expect(Object.keys(b.features)).toEqual(['x', 'score']);
    expect(b.source.rows).toBe(5);
    const only = await buildBaselineFromFile(UNUSED, { ...opts, features: ['x'] });
    expect(Object.keys(only.features)).toEqual(['x']);
  });

  it('still fails clearly on Parquet when those columns are wanted', async () => {
    await expect(
      buildBaselineFromFile(UNUSED, { ...opts, exclude: ['emb', 'note'] }),
    ).rejects.toThrow(`${UNUSED}: row 3, column "id": integer 9007199254740993 is beyond ±2^53`);
    await expect(
      buildBaselineFromFile(UNUSED, { ...opts, exclude: ['id', 'note'] }),
    ).rejects.toThrow(
      `${UNUSED}: column "emb": nested values (struct, list, map) are not supported`,
    );
    await expect(
      buildBaselineFromFile(UNUSED, { ...opts, features: ['x', 'note'] }),
    ).rejects.toThrow(/column "note" is compressed with ZSTD/);
  });

  it('builds from JSON Lines with a nested key excluded', async () => {
    const file = fixture('nested.jsonl');
    const b = await buildBaselineFromFile(file, { ...opts, exclude: ['country'] });
    expect(Object.keys(b.features)).toEqual(TRAIN_COLUMNS.filter((c) => c !== 'country'));
    expect(b.source.rows).toBe(4);
    await expect(buildBaselineFromFile(file, opts)).rejects.toThrow(
      `${file}: line 3, column "country": nested values are not supported`,
    );
  });

  it.each(['train.csv', 'train.jsonl', 'train.parquet'])(
    '%s: selects the same columns as the other formats',
    async (name) => {
      const file = fixture(name);
      const build = async (o: Partial<Parameters<typeof buildBaselineFromFile>[1]>) =>
        Object.keys((await buildBaselineFromFile(file, { ...opts, ...o })).features);
      // --categorical names a column to read even when --features does not list it.
      expect(await build({ features: ['amount'], categorical: ['zip'] })).toEqual([
        'amount',
        'zip',
      ]);
      // --prediction wins over --exclude.
      expect(
        await build({ exclude: ['score'], prediction: 'score', categorical: ['zip'] }),
      ).toEqual(TRAIN_COLUMNS);
      expect(await build({ exclude: ['score', 'zip'] })).toEqual([
        'amount',
        'age',
        'country',
        'is_new',
      ]);
      expect(await build({ features: ['age'], prediction: 'score' })).toEqual(['age', 'score']);
      // "Not found" lists every column of the input, read or not.
      await expect(build({ features: ['amount', 'nope'] })).rejects.toThrow(
        `${file}: column "nope" not found; the input has ${TRAIN_COLUMNS.map((c) => `"${c}"`).join(', ')}`,
      );
      await expect(build({ exclude: ['score'], prediction: 'proba' })).rejects.toThrow(
        `column "proba" not found; the input has "amount"`,
      );
    },
  );
});
