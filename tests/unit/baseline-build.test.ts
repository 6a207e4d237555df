import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaselineFromFile } from '../../src/baseline/build-file.js';
import { writeBaselineFile } from '../../src/baseline/build.js';
import { readBaselineFile } from '../../src/baseline/load-file.js';
import { cli } from '../support/cli.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'baselines');
const fixture = (name: string) => path.join(FIXTURES, name);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-build-'));
const opts = { model: 'fraud', modelVersion: '7', prediction: 'score', categorical: ['zip'] };

describe('baseline build from CSV, JSON Lines and Parquet', () => {
  it('gives the same features from the same rows in all three formats', async () => {
    const built = await Promise.all(
      ['train.csv', 'train.jsonl', 'train.parquet'].map((f) =>
        buildBaselineFromFile(fixture(f), opts),
      ),
    );
    const [csv, jsonl, parquet] = built;
    expect(jsonl?.features).toEqual(csv?.features);
    expect(parquet?.features).toEqual(csv?.features);
    expect(built.map((b) => b.source.format)).toEqual(['csv', 'jsonl', 'parquet']);
    for (const b of built) {
      expect(b.source.rows).toBe(200);
      expect(b.source.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(b.prediction).toBe('score');
    }
    const f = csv!.features;
    expect(f.amount).toMatchObject({ kind: 'numeric', count: 194, missing: 6 });
    expect(f.zip).toMatchObject({
      kind: 'categorical',
      other: 0,
    }); // codes keep their zero
    expect(f.is_new).toMatchObject({ kind: 'categorical', other: 0 });
    expect(f.country).toMatchObject({ kind: 'categorical', missing: 1 });
    if (f.amount?.kind === 'numeric') {
      expect(f.amount.sample).toMatchObject({ method: 'all', size: 194 });
      // The tail quantiles bound the out-of-range counts (README "InfluxDB series").
      expect(f.amount.quantiles.map((q) => q.q)).toEqual([
        0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999,
      ]);
    }
  });

  it('honours --features, --categorical and --top-k', async () => {
    const b = await buildBaselineFromFile(fixture('train.csv'), {
      ...opts,
      features: ['age', 'country'],
      categorical: ['age'],
      topK: 2,
    });
    expect(Object.keys(b.features).sort()).toEqual(['age', 'country', 'score']);
    const age = b.features.age;
    expect(age?.kind).toBe('categorical');
    if (age?.kind === 'categorical') {
      expect(Object.keys(age.counts)).toHaveLength(2);
      expect(age.other + Object.values(age.counts).reduce((a, c) => a + c, 0)).toBe(200);
    }
  });

  it.each([
    ['bad-number.csv', /bad-number\.csv: line 7, column "amount": "abc" is not a number/],
    ['empty.csv', /empty\.csv: empty file, expected a header row/],
    ['header-only.csv', /header-only\.csv: no data rows \(header only\)/],
    ['ragged.csv', /ragged\.csv: line 5: expected 6 fields, found 7/],
    ['nested.jsonl', /nested\.jsonl: line 3, column "country": nested values are not supported/],
    ['not-object.jsonl', /not-object\.jsonl: line 2: not a JSON object/],
    ['corrupt.parquet', /corrupt\.parquet: not a readable Parquet file/],
  ])('rejects %s with the file, line and column', async (name, message) => {
    await expect(buildBaselineFromFile(fixture(name), opts)).rejects.toThrow(message);
  });

  it('names missing columns and columns without values', async () => {
    await expect(
      buildBaselineFromFile(fixture('train.csv'), { ...opts, features: ['amount', 'nope'] }),
    ).rejects.toThrow(/train\.csv: column "nope" not found; the input has "amount", "age"/);
    await expect(
      buildBaselineFromFile(fixture('train.jsonl'), { ...opts, prediction: 'proba' }),
    ).rejects.toThrow(/train\.jsonl: column "proba" not found/);
  });

  it('writes atomically and never replaces a baseline', async () => {
    const dir = tmp();
    const b = await buildBaselineFromFile(fixture('train.parquet'), opts);
    const file = writeBaselineFile(dir, b);
    expect(readdirSync(path.dirname(file))).toEqual(['7.json']); // no temporary left behind
    expect(() => writeBaselineFile(dir, b)).toThrow(/immutable/);
    const { hash } = await readBaselineFile(file);
    expect(hash).toBe(b.content_sha256.slice(0, 16));
  });

  it('model and version names cannot leave the output directory', async () => {
    const dir = tmp();
    const b = await buildBaselineFromFile(fixture('train.csv'), {
      ...opts,
      model: '../../etc',
      modelVersion: '../passwd',
    });
    const file = writeBaselineFile(dir, b);
    expect(path.resolve(file).startsWith(path.resolve(dir) + path.sep)).toBe(true);
    expect(path.dirname(path.resolve(file))).toBe(path.join(path.resolve(dir), '.._.._etc'));
    expect(existsSync(file)).toBe(true);
  });
});

describe('baseline CLI verbs', () => {
  const dir = tmp();
  const build = (input: string, version: string, extra: string[] = []) =>
    cli([
      'baseline',
      'build',
      '--input',
      fixture(input),
      '--model',
      'fraud',
      '--model-version',
      version,
      '--out',
      dir,
      '--prediction',
      'score',
      ...extra,
    ]);

  it('build, validate, inspect and diff work end to end', () => {
    const built = build('train.csv', '1');
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(
      /wrote .*fraud\/1\.json \(6 features, 200 rows, baseline [0-9a-f]{16}\)/,
    );
    expect(built.stderr).toMatch(/progress: 100% \(200 rows\)/); // not a TTY: plain lines
    expect(build('train.parquet', '2', ['--bins', '5']).status).toBe(0);

    const file = path.join(dir, 'fraud', '1.json');
    const valid = cli(['baseline', 'validate', file]);
    expect(valid.status).toBe(0);
    expect(valid.stdout).toMatch(
      /^ok: .*1\.json is a valid baseline \(model fraud version 1, 6 features/,
    );

    const inspect = cli(['baseline', 'inspect', 'fraud@1', '--dir', dir]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toContain('model fraud version 1');
    expect(inspect.stdout).toMatch(/amount: numeric, 194 values, 3\.00% missing \(6\)/);
    expect(inspect.stdout).toMatch(/score \(prediction\): numeric/);
    expect(inspect.stdout).toMatch(/quantiles 0\.1%=.* 1%=.* 99\.9%=/);
    expect(inspect.stdout).toMatch(/\(-inf, /);
    expect(inspect.stdout).toMatch(/country: categorical.*\n.*categories; top/);

    const diff = cli([
      'baseline',
      'diff',
      'fraud@1',
      path.join(dir, 'fraud', '2.json'),
      '--dir',
      dir,
    ]);
    expect(diff.status).toBe(0);
    // Same rows, different bins: no drift anywhere.
    expect(diff.stdout).toMatch(/amount\s+numeric\s+[0-9.]+\s+KS D 0\.000\d*\s+p 1\.00/);
    expect(diff.stdout).toMatch(/country\s+categorical\s+0\.0000\s+chi2 0\.000\d*\s+p 1\.00/);
    expect(diff.stdout).not.toMatch(/\d\*/);
  });

  it('validate catches a file edited after it was built, with exit code 2', () => {
    const file = path.join(dir, 'fraud', '1.json');
    const edited = path.join(tmp(), 'edited.json');
    const json = readFileSync(file, 'utf8').replace('"model_version": "1"', '"model_version": "9"');
    writeFileSync(edited, json);
    const result = cli(['baseline', 'validate', edited]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/content_sha256 does not match the content/);
  });
});
