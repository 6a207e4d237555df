import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BaselineBuilder, type BuildOptions } from '../../src/baseline/build.js';
import { buildBaselineFromFile } from '../../src/baseline/build-file.js';
import type { Cell } from '../../src/baseline/cell.js';
import type { BaselineFileV2 } from '../../src/baseline/file-format.js';
import { fastCsv } from '../../src/baseline/input/csv-fast.js';
import { BATCH_ROWS, openTable } from '../../src/baseline/input/table.js';
import { sfc32 } from '../../scripts/sfc32.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dw-profile-sink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
function write(content: string): string {
  const file = path.join(tmp, `f${files++}.csv`);
  writeFileSync(file, content);
  return file;
}

type Outcome = { baseline: unknown } | { error: { code: unknown; message: string } };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { baseline: await run() };
  } catch (err) {
    const e = err as { code: unknown; message: string };
    return { error: { code: e.code, message: e.message } };
  }
}

/**
 * The build as it was before cells were read from bytes: every batch's string cells through
 * BaselineBuilder.addRows, which reads each with interpretCell / interpretCategoricalCell.
 */
async function viaStrings(file: string, opts: BuildOptions): Promise<unknown> {
  const table = await openTable(file);
  const builder = new BaselineBuilder(opts, { file: 'x.csv', format: 'csv', sha256: null }, file);
  builder.selectColumns(table.columns());
  const wanted = new Set(opts.features ?? table.columns());
  for (const c of opts.categorical ?? []) wanted.add(c);
  for await (const batch of table.batches()) {
    const columns = new Map<string, readonly Cell[]>();
    for (const [name, cells] of batch.columns) if (wanted.has(name)) columns.set(name, cells);
    builder.addRows(columns, batch.rows, true, (i) => batch.locate(i));
  }
  return comparable(builder.finish());
}

/** A baseline without what depends on the source file's name and hash. */
function comparable(baseline: BaselineFileV2): unknown {
  const source = { ...baseline.source, file: 'x.csv', sha256: null };
  return { ...baseline, source, content_sha256: undefined };
}

/** The build as the CLI runs it (TableSource.readCells into ProfileSink), same source info. */
async function viaBytes(file: string, opts: BuildOptions): Promise<unknown> {
  return comparable(await buildBaselineFromFile(file, opts));
}

function random(seed: number): () => number {
  const next = sfc32(seed);
  return () => next() / 4294967296;
}

// Texts a CSV cell may hold: every kind interpretCell tells apart, and near misses.
const NA = ['NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '#N/A', 'n/a'];
const NEAR_NA = ['na', 'Null', 'NONE', 'N/a', '#NA', 'NaN0'];
const BOOLEANS = ['true', 'false', 'TRUE', 'False', 'tRuE', 'fAlSe', 'truee', 'fals', 't', 'yes'];
const ODD_NUMBERS = ['007', '+5', '-0', '.5', '5.', '1e5', '1E-3', '1e400', '-1e400', '-.0e-0'];
const LONG_NUMBERS = ['3.14159265358979323846', '9007199254740993', '1e-320', '2e-308'];
const NOT_NUMBERS = ['1e', '.', '0x10', 'inf', '-Infinity', '1e5e5', '+-1'];
const TEXT = [
  ...NEAR_NA,
  'é',
  'ça',
  'x y',
  'US',
  'DE',
  '\u00a0pad',
  'pad\u3000',
  'a\u2028b',
  '€5',
  '5€',
];
const SPACE = ['', '', '', ' ', '\t', '  ', '\u00a0', '\u3000', '\ufeff'];

function number(rnd: () => number): string {
  const v = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 12);
  const r = rnd();
  if (r < 0.4) return v.toPrecision(1 + Math.floor(rnd() * 17));
  if (r < 0.6) return String(Math.round(v));
  if (r < 0.8) return v.toExponential(Math.floor(rnd() * 17));
  return String(v);
}

/** A random CSV whose columns lean numeric, boolean, coded or mixed, with `quote` quoted cells. */
function randomCsv(rnd: () => number, rows: number, quote: number, crlf: boolean): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const width = 2 + Math.floor(rnd() * 5);
  const kinds = Array.from({ length: width }, () => pick(['num', 'num', 'bool', 'code', 'mixed']));
  const codes = 1 + Math.floor(rnd() * 3000);
  const cell = (kind: string): string => {
    const r = rnd();
    let text: string;
    if (r < 0.05) text = pick(NA);
    else if (r < 0.08) text = '';
    else if (kind === 'num') {
      // Now and then a text among the numbers: the build then fails, at its line.
      if (r < 0.1) text = pick([...ODD_NUMBERS, ...LONG_NUMBERS]);
      else text = rnd() < 0.0005 ? pick(NOT_NUMBERS) : number(rnd);
    } else if (kind === 'bool') text = r < 0.1 ? pick(ODD_NUMBERS) : pick(BOOLEANS);
    else if (kind === 'code') text = `${pick(['c', 'C', 'K', '0'])}${Math.floor(rnd() * codes)}`;
    else text = pick([number(rnd), pick(BOOLEANS), pick(TEXT), pick(NOT_NUMBERS), pick(NA)]);
    if (rnd() < 0.1) text = pick(SPACE) + text + pick(SPACE);
    if (rnd() < quote) text = `"${text.replace(/"/g, '""')}"`;
    return text;
  };
  const lines = [kinds.map((k, j) => `${k}${j}`).join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(kinds.map(cell).join(','));
    if (rnd() < 0.02) lines.push(pick(SPACE));
  }
  return (rnd() < 0.2 ? '\ufeff' : '') + lines.join(crlf ? '\r\n' : '\n') + '\n';
}

describe('CSV cells read from bytes into the column profiles', () => {
  it('build the baseline that string cells read by interpretCell build, or fail alike', async () => {
    let built = 0;
    const seeds = Number(process.env.PROFILE_SINK_SEEDS ?? 150);
    for (let seed = 1; seed <= seeds; seed++) {
      const rnd = random(seed);
      const quote = seed % 4 === 0 ? 0.002 : 0;
      const content = randomCsv(rnd, 20 + Math.floor(rnd() * 400), quote, seed % 3 === 0);
      const file = write(content);
      const names = (content.replace(/^\ufeff/, '').split(/\r?\n/)[0] ?? '').split(',');
      // Declared categorical columns, and some columns left out.
      const categorical = names.filter((n) => !n.startsWith('num') && rnd() < 0.5);
      const features = names.filter(() => rnd() < 0.8);
      const opts: BuildOptions = {
        model: 'm',
        modelVersion: '1',
        createdAt: new Date(0),
        sampleSize: 50,
        categorical,
        ...(features.length > 0 ? { features } : {}),
      };
      // Small blocks: the fast reader's batches and its hand-over to csv-parse fall mid-file.
      fastCsv.blockBytes = seed % 2 === 0 ? 512 : 1 << 20;
      try {
        const want = await outcome(() => viaStrings(file, opts));
        const got = await outcome(() => viaBytes(file, opts));
        expect(got, `seed ${seed}`).toEqual(want);
        if ('baseline' in want) built++;
      } finally {
        fastCsv.blockBytes = 1 << 20;
      }
    }
    // Most files build: the comparison is not only of errors.
    expect(built).toBeGreaterThan(seeds / 2);
  });

  it('builds the same from a file of many batches whose rows grow longer as it goes', async () => {
    // The first batch's bytes per row underestimate the rest: the room ProfileSink.expect
    // makes after it runs out, and the columns grow again.
    const rnd = random(99);
    const lines = ['a,b,c'];
    for (let i = 0; i < 4 * BATCH_ROWS; i++) {
      const x = (rnd() * 1000).toFixed(i < BATCH_ROWS ? 0 : 9);
      lines.push([x, i % 7 === 0 ? 'NA' : String(i), `k${i % 50}`].join(','));
    }
    const file = write(lines.join('\n'));
    const opts: BuildOptions = { model: 'm', modelVersion: '1', createdAt: new Date(0) };
    expect(await viaBytes(file, opts)).toEqual(await viaStrings(file, opts));
  });

  it('reads the cells cell.ts tells apart: numbers, NA tokens, booleans in any case, text', async () => {
    const file = write(
      [
        'n,b,c',
        '1e3,TRUE,US',
        ' -0.5 ,fAlSe,#N/A',
        'NA,true,\u00a0US\u00a0',
        '1e400,null,US',
        '007,FALSE,DE',
      ].join('\r\n'),
    );
    const b = await buildBaselineFromFile(file, { model: 'm', modelVersion: '1' });
    expect(b.features.n).toMatchObject({
      kind: 'numeric',
      count: 3,
      missing: 2,
      summary: { min: -0.5, max: 1000 },
    });
    expect(b.features.b).toMatchObject({ kind: 'categorical', counts: { false: 2, true: 2 } });
    expect(b.features.c).toMatchObject({ kind: 'categorical', counts: { US: 3, DE: 1 } });
  });
});
