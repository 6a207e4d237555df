import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/prediction-log/limits.js';
import { decodePredictionLog } from '../../src/prediction-log/prediction-log.js';

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

describe('prediction log limits (README "Limits")', () => {
  const log = (overrides: Record<string, unknown>) =>
    decode(
      JSON.stringify({
        model: 'fraud',
        model_version: '3',
        timestamp: 1,
        features: { amount: 1 },
        ...overrides,
      }),
    );
  const long = 'v'.repeat(300_000);

  it.each([
    ['model', { model: long }],
    ['model_version', { model_version: long }],
    ['feature name', { features: { [long]: 1 } }],
  ])(
    'dead-letters a %s over the length limit as FIELD_TOO_LONG, naming the field and length only',
    (field, overrides) => {
      const result = log(overrides);
      expect(result).toMatchObject({ ok: false, code: 'FIELD_TOO_LONG' });
      if (result.ok) return;
      expect(result.reason).toContain(field);
      expect(result.reason).toContain('300000');
      expect(result.reason).toContain(String(LIMITS.nameLength));
      expect(result.reason.length).toBeLessThan(200);
    },
  );

  it('accepts names of exactly the limit', () => {
    const name = 'n'.repeat(LIMITS.nameLength);
    expect(log({ model: name, model_version: name, features: { [name]: 1 } }).ok).toBe(true);
  });

  it.each([
    ['model', { model: 'fraud\u0000' }],
    ['model_version', { model_version: '3\n4' }],
    ['feature name', { features: { 'am\u007fount': 1 } }],
  ])('dead-letters a %s with a control character as INVALID_NAME', (field, overrides) => {
    const result = log(overrides);
    expect(result).toMatchObject({ ok: false, code: 'INVALID_NAME' });
    expect(!result.ok && result.reason).toContain(field);
  });

  it('dead-letters an event with more features than the limit as TOO_MANY_FEATURES', () => {
    const features = Object.fromEntries(
      Array.from({ length: LIMITS.featuresPerEvent + 1 }, (_, i) => [`f${i}`, i]),
    );
    expect(log({ features })).toMatchObject({ ok: false, code: 'TOO_MANY_FEATURES' });
    delete features.f0;
    expect(log({ features }).ok).toBe(true);
  });

  it('accepts long feature VALUES (text inputs): only categories the baseline uses are bounded', () => {
    expect(log({ features: { text: long, amount: 1 } }).ok).toBe(true);
  });
});
