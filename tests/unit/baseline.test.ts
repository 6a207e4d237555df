import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline, readCsvColumns, writeBaselineFile } from '../../src/baseline/build.js';
import { BaselineStore, loadBaselineFile } from '../../src/baseline/store.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-baseline-'));

describe('baselines', () => {
  const amount = Array.from({ length: 1000 }, (_, i) => i / 10);
  const columns = {
    amount,
    country: amount.map((_, i) => (i % 4 === 0 ? 'FR' : 'DE')),
    children: amount.map((_, i) => i % 3),
    note: amount.map((_, i) => (i % 2 ? null : '')),
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

  it('treats text and few-valued numeric features per value, and skips all-missing columns', () => {
    expect(built.features.country).toMatchObject({
      kind: 'categorical',
      proportions: { DE: 0.75, FR: 0.25 },
    });
    expect(built.features.children).toMatchObject({ kind: 'categorical', count: 1000 });
    expect(
      Object.keys(
        built.features.children?.kind === 'categorical' ? built.features.children.proportions : {},
      ),
    ).toEqual(['0', '1', '2']);
    expect(built.features.note).toBeUndefined();
  });

  it('writes an immutable file that loads back with a content hash', () => {
    const dir = tmp();
    const file = writeBaselineFile(dir, built);
    expect(file).toBe(path.join(dir, 'fraud', '3.json'));
    expect(() => writeBaselineFile(dir, built)).toThrow(/immutable/);
    const loaded = loadBaselineFile(file);
    expect(loaded.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(BaselineStore.loadDir(dir).get('fraud', '3')?.hash).toBe(loaded.hash);
  });

  it('refuses an invalid baseline file, naming the file and the bad key', () => {
    const dir = tmp();
    const bad = JSON.parse(JSON.stringify(built)) as {
      features: { amount: { proportions: number[] } };
    };
    bad.features.amount.proportions.pop();
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    expect(() => BaselineStore.loadDir(dir)).toThrow(
      /bad\.json is not a valid baseline:\n.*features\.amount\.proportions/,
    );
  });

  it('reads training data from CSV', () => {
    const dir = tmp();
    const csv = path.join(dir, 'train.csv');
    writeFileSync(csv, 'amount,country,label\n1.5,DE,0\n2.5,,1\n');
    expect(readCsvColumns(csv, ['label'])).toEqual({ amount: ['1.5', '2.5'], country: ['DE', ''] });
    expect(readFileSync(csv, 'utf8')).toContain('label');
  });
});
