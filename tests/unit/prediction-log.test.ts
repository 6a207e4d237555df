import { describe, expect, it } from 'vitest';
import { decodePredictionLog } from '../../src/ingest/prediction-log.js';

const decode = (text: string | null) =>
  decodePredictionLog(text === null ? null : Buffer.from(text));

describe('prediction log decoding', () => {
  it('accepts the documented shape with ISO or epoch-ms timestamps and numeric versions', () => {
    const iso = decode(
      JSON.stringify({
        model: 'fraud',
        model_version: 3,
        timestamp: '2026-11-23T10:00:00.000Z',
        id: 'r1',
        features: { amount: 12.5, country: 'DE', age: null, vip: true },
        prediction: { fraud: 0.87, ok: 0.13 },
        label: 'ok',
      }),
    );
    expect(iso).toMatchObject({
      ok: true,
      log: { model_version: '3', timestamp: Date.parse('2026-11-23T10:00:00.000Z') },
    });
    const epoch = decode(
      JSON.stringify({
        model: 'm',
        model_version: '1',
        timestamp: 1_700_000_000_000,
        features: {},
        prediction: 'fraud',
      }),
    );
    expect(epoch).toMatchObject({ ok: true, log: { timestamp: 1_700_000_000_000 } });
  });

  it.each([
    [null, 'EMPTY'],
    ['', 'EMPTY'],
    ['{"model": ', 'NOT_JSON'],
    ['[1,2]', 'INVALID_LOG'],
    ['"text"', 'INVALID_LOG'],
    [
      JSON.stringify({ model: 'm', model_version: '1', timestamp: 'yesterday', features: {} }),
      'INVALID_LOG',
    ],
    [
      JSON.stringify({
        model: 'm',
        model_version: '1',
        timestamp: 1,
        features: { a: { nested: 1 } },
      }),
      'INVALID_LOG',
    ],
    [JSON.stringify({ model: '', model_version: '1', timestamp: 1, features: {} }), 'INVALID_LOG'],
    // Beyond what a Date can hold: once crashed the daemon while formatting the reason.
    [
      JSON.stringify({ model: 'm', model_version: '1', timestamp: 1e16, features: {} }),
      'INVALID_LOG',
    ],
    [
      JSON.stringify({ model: 'm', model_version: '1', timestamp: -5, features: {} }),
      'INVALID_LOG',
    ],
  ])('rejects %j as %s, with a reason naming the field', (text, code) => {
    const result = decode(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.reason.length).toBeGreaterThan(5);
    }
  });

  it('names the offending field in the reason', () => {
    const result = decode(
      JSON.stringify({ model: 'm', model_version: '1', timestamp: 'yesterday', features: {} }),
    );
    expect(!result.ok && result.reason).toContain('timestamp');
  });
});
