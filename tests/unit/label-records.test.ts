import { describe, expect, it } from 'vitest';
import { parseLabelMessage } from '../../src/labels/label-message.js';
import {
  decodeLabel,
  decodePrediction,
  encodeLabel,
  encodePrediction,
  splitKey,
  type JoinPrediction,
} from '../../src/labels/join-records.js';

const FAR = 8e15;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('label messages (the labels topic)', () => {
  it('takes an id, a label and an ISO or epoch-ms timestamp', () => {
    expect(parseLabelMessage(json({ id: 'a', label: 'fraud', timestamp: 1_000 }), FAR)).toEqual({
      ok: true,
      label: { id: 'a', label: 'fraud', time: 1_000 },
    });
    const iso = parseLabelMessage(
      json({ id: 'b', label: true, timestamp: '2026-11-23T10:00:00.000Z' }),
      FAR,
    );
    expect(iso).toEqual({
      ok: true,
      label: { id: 'b', label: true, time: Date.parse('2026-11-23T10:00:00.000Z') },
    });
  });

  it.each([
    [null, 'empty'],
    [Buffer.from('{nope'), 'not_json'],
    [json({ label: 1, timestamp: 1 }), 'invalid'],
    [json({ id: 'a', label: { x: 1 }, timestamp: 1 }), 'invalid'],
    [json({ id: 'a', label: 1, timestamp: 'yesterday' }), 'invalid'],
    [json({ id: 'x'.repeat(300), label: 1, timestamp: 1 }), 'invalid'],
    [json({ id: 'a', label: 1, timestamp: 5_000 }), 'future_timestamp'],
  ])('refuses garbage with a reason (%#)', (value, reason) => {
    const parsed = parseLabelMessage(value, 4_000);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toBe(reason);
  });
});

describe('labels-join records', () => {
  it('round-trip', () => {
    const p: JoinPrediction = {
      id: 'a|b',
      model: 'fraud',
      modelVersion: '3',
      baselineHash: 'h',
      time: 1_000,
      windowStart: 0,
      windowEnd: 300_000,
      predicted: 'yes',
      score: 0.75,
      positive: 'yes',
    };
    expect(decodePrediction('a|b', encodePrediction(p))).toEqual(p);
    const numeric = { ...p, predicted: 12.5, score: null, positive: undefined };
    expect(decodePrediction('a|b', encodePrediction(numeric))).toEqual(numeric);
    expect(decodeLabel(encodeLabel(false, 9))).toEqual({ label: false, time: 9 });
    expect(splitKey('p|a|b')).toEqual({ kind: 'p', rest: 'a|b' });
    expect(splitKey('x|a')).toBeUndefined();
  });

  it('reject garbage', () => {
    expect(decodePrediction('a', Buffer.from('{'))).toBeUndefined();
    expect(decodePrediction('a', json({ m: 'x' }))).toBeUndefined();
    expect(decodeLabel(json({ l: null, t: 1 }))).toBeUndefined();
  });
});
