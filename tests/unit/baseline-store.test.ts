import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { BaselineStore, type BaselineFallback } from '../../src/baseline/store.js';
import { Windower } from '../../src/windows/windower.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'dw-store-'));

function addBaseline(dir: string, model: string, version: string, createdAt: string, shift = 0) {
  const x = Array.from({ length: 200 }, (_, i) => i / 10 + shift);
  return writeBaselineFile(
    dir,
    buildBaseline(
      { x },
      { model, modelVersion: version, sourceFile: 'train.csv', createdAt: new Date(createdAt) },
    ),
  );
}

function storeWith(fallback: BaselineFallback) {
  const dir = tmp();
  addBaseline(dir, 'fraud', '2', '2026-01-01T00:00:00Z');
  addBaseline(dir, 'fraud', '10', '2026-03-01T00:00:00Z', 1);
  addBaseline(dir, 'churn', '1', '2026-02-01T00:00:00Z');
  return { dir, store: BaselineStore.loadDir(dir, fallback) };
}

describe('baseline store', () => {
  it('resolves an unknown version by the configured fallback', () => {
    expect(storeWith({ mode: 'reject' }).store.resolve('fraud', '11')).toBeUndefined();
    expect(storeWith({ mode: 'newest' }).store.resolve('fraud', '11')?.modelVersion).toBe('10');
    const pinned = storeWith({ mode: 'version', version: '2' }).store;
    expect(pinned.resolve('fraud', '11')?.modelVersion).toBe('2');
    expect(pinned.resolve('fraud', '10')?.modelVersion).toBe('10'); // its own first
    expect(pinned.resolve('nope', '1')).toBeUndefined();
  });

  it('picks up a baseline added later, and reports a bad new file without dropping the others', () => {
    const { dir, store } = storeWith({ mode: 'reject' });
    const before = store.generation;
    expect(store.get('fraud', '11')).toBeUndefined();
    addBaseline(dir, 'fraud', '11', '2026-04-01T00:00:00Z');
    writeFileSync(path.join(dir, 'broken.json'), '{"format_version": 2');
    writeFileSync(path.join(dir, 'fraud', '12.json.tmp-1-2'), 'half-written');
    const report = store.reload();
    expect(report.added.map((b) => b.modelVersion)).toEqual(['11']);
    expect(report.failed.map((f) => path.basename(f.file))).toEqual(['broken.json']);
    expect(report.failed[0]?.error.message).toMatch(/broken\.json: not valid JSON/);
    expect(store.get('fraud', '11')).toBeDefined();
    expect(store.generation).toBeGreaterThan(before);
    expect(store.reload()).toEqual({ added: [], failed: [] }); // unchanged files are not reread
  });

  it('keeps the first of two files claiming the same model version (baselines are immutable)', () => {
    const { dir, store } = storeWith({ mode: 'reject' });
    const other = path.join(dir, 'copy');
    mkdirSync(other);
    addBaseline(other, 'fraud', '2', '2026-05-01T00:00:00Z', 5);
    const report = store.reload();
    expect(report.failed[0]?.error.code).toBe('BASELINE_DUPLICATE');
    expect(store.get('fraud', '2')?.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('never builds a path from an event: traversal names find nothing outside the store', () => {
    const root = tmp();
    const dir = path.join(root, 'baselines');
    mkdirSync(dir);
    addBaseline(root, 'outside', '1', '2026-01-01T00:00:00Z'); // root/outside/1.json
    const store = BaselineStore.loadDir(dir, { mode: 'newest' });
    for (const [model, version] of [
      ['../outside', '1'],
      ['../../etc/passwd', '1'],
      ['outside', '1'],
      ['fraud\u0000', '../../1'],
    ] as const) {
      expect(store.resolve(model, version)).toBeUndefined();
    }
  });

  it('windows of a fallback version carry the event version, and switch once its own baseline appears', () => {
    const { dir, store } = storeWith({ mode: 'newest' });
    const w = new Windower(60_000, 0, store);
    const log = (t: number) => ({
      model: 'fraud',
      model_version: '11',
      timestamp: t,
      features: { x: 3 },
    });
    expect(w.add(log(0), 0, 0)).toBe('added');
    addBaseline(dir, 'fraud', '11', '2026-06-01T00:00:00Z');
    store.reload();
    w.add(log(60_000), 0, 1);
    w.add(log(120_000), 0, 2);
    const [first, second] = w.takeClosed();
    expect(first?.modelVersion).toBe('11');
    expect(first?.baseline.modelVersion).toBe('10'); // the fallback, for the window in flight
    expect(second?.baseline.modelVersion).toBe('11'); // its own, once it exists
  });

  it("compares the logs' prediction with the baseline's prediction column", () => {
    const dir = tmp();
    const score = Array.from({ length: 100 }, (_, i) => i / 100);
    writeBaselineFile(
      dir,
      buildBaseline(
        { x: score, score },
        { model: 'fraud', modelVersion: '1', sourceFile: 't.csv', prediction: 'score' },
      ),
    );
    const w = new Windower(60_000, 0, BaselineStore.loadDir(dir));
    const log = (t: number, prediction: number | Record<string, number>) => ({
      model: 'fraud',
      model_version: '1',
      timestamp: t,
      features: { x: 0.5 },
      prediction,
    });
    w.add(log(0, 0.7), 0, 0);
    w.add(log(1, { fraud: 0.9, ok: 0.1 }), 0, 1);
    w.add(log(60_000, 0.1), 0, 2);
    const [window] = w.takeClosed();
    const score0 = window?.featureAggregates().get('score');
    expect(score0?.n).toBe(1);
    expect(score0?.missing).toBe(1); // class probabilities: no single value to compare
  });
});
