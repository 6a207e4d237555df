/**
 * Bytes per prediction waiting for its label (issue 16, delayed labels): fills
 * PendingPredictions with N predictions (UUID ids, 100 models × 2 versions, two classes with a
 * score) and prints the memory it holds per prediction — V8 heap plus typed-array stores,
 * after a full GC on both sides, the id strings included — and the time per add and per take.
 * Run: npm run bench:labels  (BENCH_PENDING=1000000 by default).
 */
import { randomUUID } from 'node:crypto';
import { PendingPredictions } from '../src/labels/pending-predictions.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:labels)');
const n = Number(process.env.BENCH_PENDING ?? 1_000_000);

/** Heap plus typed-array backing stores (held outside the V8 heap). */
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

gc();
const before = used();
const pending = new PendingPredictions({ horizonMs: 7 * 86_400_000, maxPending: n });
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  pending.add({
    // As a decoded Kafka message brings it: a flat string only the join keeps (randomUUID's
    // own string is a tree of concatenated pieces, several times the size).
    id: Buffer.from(randomUUID(), 'latin1').toString('latin1'),
    model: `model-${i % 100}`,
    modelVersion: String(i % 2),
    time: 1_700_000_000_000 + i,
    predicted: i % 3 === 0 ? 'fraud' : 'legit',
    score: (i % 1000) / 1000,
  });
}
const t1 = performance.now();
gc();
const held = used() - before;
const half = [...pending.ids()].filter((_, i) => i % 2 === 0);
const t2 = performance.now();
let found = 0;
for (const id of half) if (pending.take(id)) found++;
const t3 = performance.now();

const ns = (ms: number, count: number) => ((ms * 1e6) / count).toFixed(0);
console.log(`pending predictions: ${n.toLocaleString('en')}, ids of 36 characters`);
console.log(
  `held: ${(held / 2 ** 20).toFixed(1)} MiB = ${(held / n).toFixed(0)} bytes per pending prediction (heap + typed arrays, ids included)`,
);
console.log(
  `add: ${ns(t1 - t0, n)} ns each (making the id included); take: ${ns(t3 - t2, found)} ns each`,
);
