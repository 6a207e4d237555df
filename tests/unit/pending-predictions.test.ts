import { describe, expect, it } from 'vitest';
import {
  PendingPredictions,
  type AwaitingPrediction,
} from '../../src/labels/pending-predictions.js';

const HOUR = 3_600_000;

function prediction(id: string, time: number, extra: Partial<AwaitingPrediction> = {}) {
  return { id, model: 'fraud', modelVersion: '3', time, predicted: 'yes', score: 0.8, ...extra };
}

describe('predictions waiting for their label', () => {
  it('a label takes its prediction back whole, once', () => {
    const pending = new PendingPredictions({ horizonMs: HOUR, maxPending: 10 });
    pending.add(prediction('a', 1_000));
    pending.add(prediction('b', 2_000, { predicted: 12.5, score: null, modelVersion: '4' }));
    expect(pending.take('b')).toEqual(
      prediction('b', 2_000, { predicted: 12.5, score: null, modelVersion: '4' }),
    );
    expect(pending.take('b')).toBeUndefined();
    expect(pending.take('a')).toEqual(prediction('a', 1_000));
    expect(pending.size).toBe(0);
  });

  it('a redelivered prediction does not replace the one waiting', () => {
    const pending = new PendingPredictions({ horizonMs: HOUR, maxPending: 10 });
    expect(pending.add(prediction('a', 1_000)).kind).toBe('added');
    expect(pending.add(prediction('a', 9_000, { predicted: 'no' })).kind).toBe('duplicate');
    expect(pending.take('a')?.predicted).toBe('yes');
  });

  it('at the bound the oldest arrival is evicted and handed back; its label finds nothing', () => {
    const pending = new PendingPredictions({ horizonMs: HOUR, maxPending: 3 });
    for (const id of ['a', 'b', 'c']) pending.add(prediction(id, 1_000));
    pending.take('b');
    pending.add(prediction('d', 1_000));
    const outcome = pending.add(prediction('e', 1_000));
    expect(outcome).toEqual({ kind: 'added', evicted: prediction('a', 1_000) });
    expect(pending.size).toBe(3);
    expect(pending.take('a')).toBeUndefined();
    expect(['c', 'd', 'e'].map((id) => pending.take(id)?.id)).toEqual(['c', 'd', 'e']);
  });

  it('past the horizon predictions expire in arrival order; slots are reused', () => {
    const pending = new PendingPredictions({ horizonMs: HOUR, maxPending: 100 });
    for (let i = 0; i < 50; i++) pending.add(prediction(`p${i}`, i * 60_000));
    expect(pending.expire(HOUR + 9 * 60_000).map((p) => p.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `p${i}`),
    );
    expect(pending.size).toBe(40);
    for (let i = 50; i < 110; i++) pending.add(prediction(`p${i}`, i * 60_000));
    expect(pending.size).toBe(100);
    expect(pending.take('p109')?.time).toBe(109 * 60_000);
    expect(pending.take('p10')?.time).toBe(10 * 60_000);
  });
});
