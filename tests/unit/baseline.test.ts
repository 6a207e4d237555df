import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { loadBaselineFile } from '../../src/baseline/load-file.js';
import { BaselineStore } from '../../src/baseline/store.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-baseline-'));

describe('baselines', () => {
  const amount = Array.from({ length: 1000 }, (_, i) => i / 10);
  const columns = {
    amount,
    country: amount.map((_, i) => (i % 4 === 0 ? 'FR' : 'DE')),
    children: amount.map((_, i) => i % 3),
  };
  const built = buildBaseline(columns, {
    model: 'fraud',
    modelVersion: '3',
    sourceFile: 'train.csv',
    createdAt: new Date(0),
  });

  it('bins numeric features at training deciles with the training proportion per bin', () => {
    const f = built.features.amount;
    expect(f?.kind).toBe('numeric');
    if (f?.kind !== 'numeric') return;
    expect(f.cuts).toHaveLength(9);
    expect(f.cuts[4]).toBeCloseTo(49.95, 10);
    f.proportions.forEach((p) => expect(p).toBeCloseTo(0.1, 10));
  });

  it('gives few-valued numeric features one bin per value, with empty bins beyond the range', () => {
    const f = built.features.children;
    expect(f).toMatchObject({ kind: 'numeric', cuts: [-0.5, 0.5, 1.5, 2.5], count: 1000 });
    if (f?.kind !== 'numeric') return;
    expect(f.proportions[0]).toBe(0);
    expect(f.proportions[4]).toBe(0);
    expect(f.proportions[1]).toBeCloseTo(334 / 1000, 12);
  });

  it('treats text as categorical, with counts per category', () => {
    expect(built.features.country).toMatchObject({
      kind: 'categorical',
      counts: { DE: 750, FR: 250 },
      other: 0,
      distinct: 2,
    });
  });

  it('refuses a column with no values at all, naming it', () => {
    expect(() =>
      buildBaseline(
        { a: [1, 2], note: [null, ''] },
        { model: 'm', modelVersion: '1', sourceFile: 'train.csv' },
      ),
    ).toThrow(/train\.csv: column "note" has no values \(all 2 rows missing\)/);
  });

  it('reads CSV cells as pandas would: NA tokens missing, True/False booleans, padded numbers as numbers', () => {
    const b = buildBaseline(
      {
        flag: ['True', 'false', 'NA', 'TRUE'],
        zip: ['01234', '01234', '10115', 'NaN'],
        score: ['1.5', '', 'null', '2.5'],
      },
      { model: 'm', modelVersion: '1', sourceFile: 't.csv' },
    );
    expect(b.features.flag).toMatchObject({
      kind: 'categorical',
      missing: 1,
      counts: { false: 1, true: 2 },
    });
    // As pandas: zero-padded numbers are numbers ("05" is the hour the logs send as 5) …
    expect(b.features.zip).toMatchObject({ kind: 'numeric', missing: 1 });
    // … and codes whose zeros matter are declared categorical, kept exactly as written.
    const codes = buildBaseline(
      { zip: ['01234', ' 01234', '1.0', 'NA'] },
      { model: 'm', modelVersion: '1', sourceFile: 't.csv', categorical: ['zip'] },
    );
    expect(codes.features.zip).toMatchObject({
      kind: 'categorical',
      missing: 1,
      counts: { '01234': 1, ' 01234': 1, '1.0': 1 },
    });
    expect(b.features.score).toMatchObject({ kind: 'numeric', missing: 2, count: 2 });
  });

  it('writes only files it can load back, whatever the training values', async () => {
    const dir = tmp();
    const b = buildBaseline(
      {
        adjacent: [0.3, 0.30000000000000004, 0.3],
        huge: [1.7e308, -1.7e308, 1.7e308],
        overflow: ['1e400', '2', '3'],
      },
      { model: 'edge', modelVersion: '1', sourceFile: 't' },
    );
    expect(b.features.overflow).toMatchObject({ kind: 'numeric', missing: 1 });
    await expect(loadBaselineFile(writeBaselineFile(dir, b))).resolves.toBeDefined();
  });

  it('writes an immutable file that loads back with a content hash', async () => {
    const dir = tmp();
    const file = writeBaselineFile(dir, built);
    expect(file).toBe(path.join(dir, 'fraud', '3.json'));
    expect(() => writeBaselineFile(dir, built)).toThrow(/immutable/);
    const loaded = await loadBaselineFile(file);
    expect(loaded.hash).toMatch(/^[0-9a-f]{16}$/);
    expect((await BaselineStore.loadDir(dir)).get('fraud', '3')?.hash).toBe(loaded.hash);
  });

  it('refuses an invalid baseline file, naming the file and the bad key', async () => {
    const dir = tmp();
    const bad = JSON.parse(JSON.stringify(built)) as {
      features: { amount: { proportions: number[] } };
    };
    bad.features.amount.proportions.pop();
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    await expect(BaselineStore.loadDir(dir)).rejects.toThrow(
      /bad\.json is not a valid baseline:\n.*features\.amount\.proportions/,
    );
  });
});
