import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { BaselineFileRefused, readBoundedFile } from '../../src/baseline/file-read.js';
import {
  BaselineStore,
  type BaselineFallback,
  type ReloadReport,
} from '../../src/baseline/store.js';
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

async function storeWith(fallback: BaselineFallback) {
  const dir = tmp();
  addBaseline(dir, 'fraud', '2', '2026-01-01T00:00:00Z');
  addBaseline(dir, 'fraud', '10', '2026-03-01T00:00:00Z', 1);
  addBaseline(dir, 'churn', '1', '2026-02-01T00:00:00Z');
  return { dir, store: await BaselineStore.loadDir(dir, fallback) };
}

describe('baseline store', () => {
  it('resolves an unknown version by the configured fallback', async () => {
    expect((await storeWith({ mode: 'reject' })).store.resolve('fraud', '11')).toBeUndefined();
    expect((await storeWith({ mode: 'newest' })).store.resolve('fraud', '11')?.modelVersion).toBe(
      '10',
    );
    const pinned = (await storeWith({ mode: 'version', version: '2' })).store;
    expect(pinned.resolve('fraud', '11')?.modelVersion).toBe('2');
    expect(pinned.resolve('fraud', '10')?.modelVersion).toBe('10'); // its own first
    expect(pinned.resolve('nope', '1')).toBeUndefined();
  });

  it('picks up a baseline added later, and reports a bad new file without dropping the others', async () => {
    const { dir, store } = await storeWith({ mode: 'reject' });
    const before = store.generation;
    expect(store.get('fraud', '11')).toBeUndefined();
    addBaseline(dir, 'fraud', '11', '2026-04-01T00:00:00Z');
    writeFileSync(path.join(dir, 'broken.json'), '{"format_version": 2');
    writeFileSync(path.join(dir, 'fraud', '12.json.tmp-1-2'), 'half-written');
    const report = await store.reload();
    expect(report.added.map((b) => b.modelVersion)).toEqual(['11']);
    expect(report.failed.map((f) => path.basename(f.file))).toEqual(['broken.json']);
    expect(report.failed[0]?.error.message).toMatch(/broken\.json: not valid JSON/);
    expect(store.get('fraud', '11')).toBeDefined();
    expect(store.generation).toBeGreaterThan(before);
    // Unchanged files are not reread.
    expect(await store.reload()).toEqual({ added: [], failed: [], refused: [] });
  });

  it('keeps the first of two files claiming the same model version (baselines are immutable)', async () => {
    const { dir, store } = await storeWith({ mode: 'reject' });
    const other = path.join(dir, 'copy');
    mkdirSync(other);
    addBaseline(other, 'fraud', '2', '2026-05-01T00:00:00Z', 5);
    const report = await store.reload();
    expect(report.failed[0]?.error.code).toBe('BASELINE_DUPLICATE');
    expect(store.get('fraud', '2')?.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('never builds a path from an event: traversal names find nothing outside the store', async () => {
    const root = tmp();
    const dir = path.join(root, 'baselines');
    mkdirSync(dir);
    addBaseline(root, 'outside', '1', '2026-01-01T00:00:00Z'); // root/outside/1.json
    const store = await BaselineStore.loadDir(dir, { mode: 'newest' });
    for (const [model, version] of [
      ['../outside', '1'],
      ['../../etc/passwd', '1'],
      ['outside', '1'],
      ['fraud\u0000', '../../1'],
    ] as const) {
      expect(store.resolve(model, version)).toBeUndefined();
    }
  });

  it('windows of a fallback version carry the event version, and switch once its own baseline appears', async () => {
    const { dir, store } = await storeWith({ mode: 'newest' });
    const w = new Windower(60_000, 0, store);
    const log = (t: number) => ({
      model: 'fraud',
      model_version: '11',
      timestamp: t,
      features: { x: 3 },
    });
    expect(w.add(log(0), 0, 0)).toBe('added');
    addBaseline(dir, 'fraud', '11', '2026-06-01T00:00:00Z');
    await store.reload();
    w.add(log(60_000), 0, 1);
    w.add(log(120_000), 0, 2);
    const [first, second] = w.takeClosed();
    expect(first?.modelVersion).toBe('11');
    expect(first?.baseline.modelVersion).toBe('10'); // the fallback, for the window in flight
    expect(second?.baseline.modelVersion).toBe('11'); // its own, once it exists
  });

  it("compares the logs' prediction with the baseline's prediction column", async () => {
    const dir = tmp();
    const score = Array.from({ length: 100 }, (_, i) => i / 100);
    writeBaselineFile(
      dir,
      buildBaseline(
        { x: score, score },
        { model: 'fraud', modelVersion: '1', sourceFile: 't.csv', prediction: 'score' },
      ),
    );
    const w = new Windower(60_000, 0, await BaselineStore.loadDir(dir));
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

/** What a scan refused, as (path inside dir, reason): the stable parts. */
const refusals = (dir: string, report: ReloadReport) =>
  report.refused.map((r) => [path.relative(dir, r.file), r.code, r.reason]);

/** A baselines dir inside a root that also holds files outside it. */
function rooted() {
  const root = tmp();
  const dir = path.join(root, 'baselines');
  mkdirSync(dir);
  addBaseline(dir, 'fraud', '2', '2026-01-01T00:00:00Z');
  return { root, dir };
}

describe('baseline store: what it reads from the directory', () => {
  it('never opens a FIFO: it is refused, the other baselines load, and start-up goes on', async () => {
    const { dir } = rooted();
    execFileSync('mkfifo', [path.join(dir, 'fraud', '9.json')]);
    const store = new BaselineStore(dir);
    const report = await store.reload();
    expect(refusals(dir, report)).toEqual([
      ['fraud/9.json', 'BASELINE_REFUSED', 'not_regular_file'],
    ]);
    expect(report.failed).toEqual([]);
    expect(store.get('fraud', '2')).toBeDefined();
    expect((await BaselineStore.loadDir(dir)).size).toBe(1);
  });

  it('refuses a symlink out of the directory, naming its target, and loads one that stays inside', async () => {
    const { root, dir } = rooted();
    addBaseline(root, 'outside', '1', '2026-01-01T00:00:00Z'); // root/outside/1.json
    symlinkSync(path.join(root, 'outside', '1.json'), path.join(dir, 'outside.json'));
    symlinkSync(path.join(root, 'outside'), path.join(dir, 'outside-dir'));
    // Inside: a link to a blob not named *.json (only reachable through the link) and an alias.
    mkdirSync(path.join(dir, 'blobs'));
    const blob = addBaseline(tmp(), 'churn', '1', '2026-02-01T00:00:00Z');
    renameSync(blob, path.join(dir, 'blobs', 'b1'));
    symlinkSync('../blobs/b1', path.join(dir, 'fraud', 'churn-1.json'));
    symlinkSync('2.json', path.join(dir, 'fraud', 'latest.json'));
    symlinkSync(path.join(dir, 'fraud'), path.join(dir, 'fraud-alias'));

    const store = new BaselineStore(dir);
    const report = await store.reload();
    expect(store.get('outside', '1')).toBeUndefined();
    expect(store.get('churn', '1')?.file).toBe(path.join(dir, 'fraud', 'churn-1.json'));
    expect(store.size).toBe(2);
    expect(report.failed).toEqual([]);
    expect(refusals(dir, report)).toEqual([
      ['outside-dir', 'BASELINE_REFUSED', 'symlink_outside_dir'],
      ['outside.json', 'BASELINE_REFUSED', 'symlink_outside_dir'],
    ]);
    expect(report.refused[1]?.detail).toEqual({ target: path.join(root, 'outside', '1.json') });
  });

  it('loads a Kubernetes ConfigMap mount: links through ..data into a ..<timestamp> directory', async () => {
    const dir = tmp();
    const stamped = path.join(dir, '..2026_01_01_00_00_00.123');
    mkdirSync(stamped);
    renameSync(
      addBaseline(tmp(), 'fraud', '2', '2026-01-01T00:00:00Z'),
      path.join(stamped, 'fraud-2.json'),
    );
    symlinkSync('..2026_01_01_00_00_00.123', path.join(dir, '..data'));
    symlinkSync('..data/fraud-2.json', path.join(dir, 'fraud-2.json'));
    const store = new BaselineStore(dir);
    const report = await store.reload();
    expect(report.refused).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(store.get('fraud', '2')).toBeDefined();
  });

  it('never reads a file a symlink points to outside: its bytes reach no message', async () => {
    const { root, dir } = rooted();
    writeFileSync(path.join(root, 'secret.txt'), 'TOPSECRET-password-1234\n');
    symlinkSync(path.join(root, 'secret.txt'), path.join(dir, 'config.json'));
    const report = await new BaselineStore(dir).reload();
    expect(refusals(dir, report)).toEqual([
      ['config.json', 'BASELINE_REFUSED', 'symlink_outside_dir'],
    ]);
    expect(JSON.stringify(report) + report.refused.map((r) => r.message).join()).not.toContain(
      'TOPSECRET',
    );
  });

  it('does not echo the content of an unparsable file, only the kind of error and where', async () => {
    const { dir } = rooted();
    writeFileSync(path.join(dir, 'notes.json'), 'hunter2 is the password\n');
    writeFileSync(path.join(dir, 'cut.json'), '{"format_version": 2,\n "model": "hunter2" "x"}');
    const report = await new BaselineStore(dir).reload();
    const messages = Object.fromEntries(
      report.failed.map((f) => [path.basename(f.file), f.error.message]),
    );
    expect(messages['notes.json']).toBe(
      `${path.join(dir, 'notes.json')}: not valid JSON: unexpected character "h"`,
    );
    expect(messages['cut.json']).toMatch(/cut\.json: not valid JSON: .* at line 2, column \d+/);
    expect(JSON.stringify(messages)).not.toContain('hunter2');
  });

  it('refuses a file over baselines.maxFileSize from its size alone, without reading it', async () => {
    const { dir } = rooted();
    // Sparse: 300 MB on paper, nothing on disk; over the 256 MB default.
    const huge = path.join(dir, 'fraud', '3.json');
    writeFileSync(huge, '');
    truncateSync(huge, 300_000_000);
    const store = new BaselineStore(dir);
    const report = await store.reload();
    expect(refusals(dir, report)).toEqual([['fraud/3.json', 'BASELINE_REFUSED', 'too_large']]);
    expect(report.refused[0]?.detail).toEqual({ bytes: 300_000_000, limit: 256_000_000 });
    expect(store.get('fraud', '2')).toBeDefined();

    const small = new BaselineStore(dir, undefined, 1_000); // a real baseline is larger
    const tight = await small.reload();
    expect(tight.refused.map((r) => r.reason)).toEqual(['too_large', 'too_large']);
    expect(small.size).toBe(0);
  });

  it('skips directories and other entries that are not baselines; refuses sockets and dangling links named *.json', async () => {
    const { dir } = rooted();
    mkdirSync(path.join(dir, 'odd.json'));
    symlinkSync(path.join(dir, 'gone'), path.join(dir, 'gone.json'));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]); // not *.json: never a candidate
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'sock.json'), resolve));
    try {
      const report = await new BaselineStore(dir).reload();
      expect(refusals(dir, report)).toEqual([
        ['gone.json', 'BASELINE_REFUSED', 'broken_symlink'],
        ['sock.json', 'BASELINE_REFUSED', 'not_regular_file'],
      ]);
      expect(report.added.map((b) => b.modelVersion)).toEqual(['2']);
    } finally {
      server.close();
    }
  });

  it('reports each refusal once per file and reason, and reads the file once it is regular', async () => {
    const { dir } = rooted();
    const file = path.join(dir, 'fraud', '5.json');
    execFileSync('mkfifo', [file]);
    const store = new BaselineStore(dir);
    expect((await store.reload()).refused.map((r) => r.reason)).toEqual(['not_regular_file']);
    expect((await store.reload()).refused).toEqual([]);
    rmSync(file);
    writeFileSync(file, '');
    truncateSync(file, 300_000_000);
    expect((await store.reload()).refused.map((r) => r.reason)).toEqual(['too_large']);
    expect((await store.reload()).refused).toEqual([]);
    rmSync(file);
    addBaseline(dir, 'fraud', '5', '2026-02-01T00:00:00Z');
    const report = await store.reload();
    expect(report.added.map((b) => b.modelVersion)).toEqual(['5']);
    expect(report.refused).toEqual([]);
  });

  it('two reloads at once read each new file once', async () => {
    const { dir } = rooted();
    const store = new BaselineStore(dir);
    const reports = await Promise.all([store.reload(), store.reload()]);
    expect(reports.flatMap((r) => r.added).map((b) => b.modelVersion)).toEqual(['2']);
  });
});

describe('reading one scanned file', () => {
  it('refuses a path swapped for a FIFO after the listing, without waiting for a writer', async () => {
    const fifo = path.join(tmp(), 'swapped.json');
    execFileSync('mkfifo', [fifo]);
    await expect(readBoundedFile(fifo, 1_000, 'scanned')).rejects.toMatchObject({
      code: 'BASELINE_REFUSED',
      reason: 'not_regular_file',
    });
  });

  it('refuses a path swapped for a symlink after the listing (it is not followed)', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'real'), '{}');
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'link.json'));
    await expect(readBoundedFile(path.join(dir, 'link.json'), 1_000, 'scanned')).rejects.toThrow(
      BaselineFileRefused,
    );
    // A path a person names on the command line is followed.
    await expect(readBoundedFile(path.join(dir, 'link.json'), 1_000, 'named')).resolves.toEqual(
      Buffer.from('{}'),
    );
  });
});
