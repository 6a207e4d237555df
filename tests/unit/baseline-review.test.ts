// Each case reproduces a bug found in review of the baseline code; it fails without its fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaselineFromFile } from '../../src/baseline/build-file.js';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { diffBaselines } from '../../src/baseline/diff.js';
import { loadBaselineFile } from '../../src/baseline/load-file.js';
import { BaselineStore } from '../../src/baseline/store.js';
import { parseConfig } from '../../src/config/load.js';
import { MAX_FALLBACK_VERSIONS, Windower } from '../../src/windows/windower.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-review-'));
const meta = { model: 'm', modelVersion: '1', sourceFile: 't.csv' };

describe('baseline review regressions', () => {
  it('zero-padded numbers ("05", an hour) are numbers, so production values 5 match them', () => {
    const hour = Array.from({ length: 48 }, (_, i) => String(i % 24).padStart(2, '0'));
    const b = buildBaseline({ hour }, meta);
    expect(b.features.hour).toMatchObject({ kind: 'numeric', count: 48 });
  });

  it('"not a number" points at the bad cell, not at an earlier padded number', () => {
    expect(() => buildBaseline({ amount: ['01', '5', '6', '7', '8', 'abc', '9'] }, meta)).toThrow(
      /row 6, column "amount": "abc" is not a number/,
    );
  });

  it('categories keep their text exactly: padding, and number-like codes with --categorical', () => {
    const b = buildBaseline(
      { country: [' DE', 'DE', 'FR '], grade: ['1.0', '2.0', '+5'] },
      { ...meta, categorical: ['grade'] },
    );
    expect(b.features.country).toMatchObject({ counts: { ' DE': 1, DE: 1, 'FR ': 1 } });
    expect(b.features.grade).toMatchObject({ counts: { '1.0': 1, '2.0': 1, '+5': 1 } });
  });

  it('--categorical on a numeric identifier column is refused like a text identifier', () => {
    const id = Array.from({ length: 100_001 }, (_, i) => i);
    expect(() => buildBaseline({ id }, { ...meta, categorical: ['id'] })).toThrow(
      /column "id": more than 100,000 distinct values/,
    );
  });

  it('a column named __proto__ is an error, not silently lost', () => {
    expect(() =>
      buildBaseline(
        Object.fromEntries([
          ['__proto__', [1, 2]],
          ['x', [1, 2]],
        ]),
        meta,
      ),
    ).toThrow(/__proto__/);
  });

  it('diff of two samples of one distribution beyond top-K shows no drift', async () => {
    const draw = (seed: number) => {
      let s = seed;
      return Array.from({ length: 30_000 }, () => {
        s = (s * 16807) % 2147483647;
        return `c${Math.floor((s / 2147483647) ** 2 * 3_000)}`;
      });
    };
    const dir = tmp();
    const load = (version: string, seed: number) =>
      loadBaselineFile(
        writeBaselineFile(
          dir,
          buildBaseline({ d: draw(seed) }, { ...meta, modelVersion: version }),
        ),
      );
    const [row] = diffBaselines(await load('1', 7), await load('2', 8));
    expect(row?.psi).toBeLessThan(0.1);
    expect(row?.test?.pValue).toBeGreaterThan(0.001);
  });

  it('the store skips only real temporary files: odd version names still load', async () => {
    const dir = tmp();
    writeBaselineFile(
      dir,
      buildBaseline({ x: [1, 2, 3] }, { ...meta, modelVersion: '5.tmp-hotfix' }),
    );
    writeBaselineFile(dir, buildBaseline({ x: [1, 2, 3] }, { ...meta, modelVersion: '6.schema' }));
    writeFileSync(path.join(dir, 'm', '7.json.tmp-123-456'), '{');
    expect((await BaselineStore.loadDir(dir)).size).toBe(2);
  });

  it('a flood of made-up versions under a fallback is capped, and closed windows free memory', async () => {
    const dir = tmp();
    writeBaselineFile(dir, buildBaseline({ x: [1, 2, 3] }, meta));
    const w = new Windower(60_000, 0, await BaselineStore.loadDir(dir, { mode: 'newest' }));
    const outcomes = Array.from({ length: MAX_FALLBACK_VERSIONS + 5 }, (_, i) =>
      w.add({ model: 'm', model_version: `v${i}`, timestamp: 0, features: { x: 1 } }, 0, i),
    );
    expect(outcomes.filter((o) => o === 'added')).toHaveLength(MAX_FALLBACK_VERSIONS);
    expect(outcomes.slice(-5)).toEqual(Array(5).fill('no-baseline'));
    w.add({ model: 'm', model_version: '1', timestamp: 120_000, features: { x: 1 } }, 0, 999);
    w.takeClosed();
    expect(w.openWindowCount).toBe(1);
  });

  it('the input is recorded by its name, so the identity does not depend on the path spelling', async () => {
    const dir = tmp();
    const file = path.join(dir, 'train.csv');
    writeFileSync(file, 'x\n1\n2\n');
    const at = new Date(0);
    const a = await buildBaselineFromFile(file, { ...meta, createdAt: at });
    const b = await buildBaselineFromFile(path.relative(process.cwd(), file), {
      ...meta,
      createdAt: at,
    });
    expect(a.source.file).toBe('train.csv');
    expect(a.content_sha256).toBe(b.content_sha256);
  });

  it('events without a baseline are dropped by default (a shared topic carries unwatched models)', () => {
    const config = parseConfig(
      `kafka: { brokers: ["k:9092"], topic: t, deadLetterTopic: d }
influx: { url: "http://i:8086", org: o, bucket: b }
baselines: { dir: b }`,
      'c.yaml',
      { INFLUX_TOKEN: 'x' },
    );
    expect(config.baselines.fallback).toBe('drop');
  });
});
