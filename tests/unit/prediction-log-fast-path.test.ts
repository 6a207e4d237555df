import { describe, expect, it } from 'vitest';
import {
  decodePredictionLog,
  predictionLogSchema,
} from '../../src/prediction-log/prediction-log.js';

/**
 * decodePredictionLog checks plain messages by hand and leaves the rest to zod: whatever a
 * message, it must decide as predictionLogSchema does and return the same log.
 */
const base = {
  model: 'fraud',
  model_version: '3',
  timestamp: '2026-11-01T10:00:00.123Z',
  id: 'req-1',
  features: { amount: 12.5, country: 'DE', vip: true, note: null },
  prediction: 0.87,
  label: 1,
};

const values: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  -1,
  3.5,
  1e21,
  8.64e15,
  8.64e15 + 2,
  '',
  'x',
  '3',
  true,
  false,
  [],
  [1],
  {},
  { a: 1 },
  { a: 'b' },
  { a: null },
  { a: [1] },
  '2026-11-01T10:00:00Z',
  '2026-11-01T10:00:00+02:00',
  '2026-11-01T10:00:00.5-0130',
  '2026-11-01T10:00:00',
  '2026-11-01 10:00:00Z',
  '2026-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2026-11-01t10:00:00z',
  '1970-01-01T00:00:00Z',
];

function variants(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [base, { ...base, timestamp: 1_767_225_600_000 }];
  for (const key of [...Object.keys(base), 'extra']) {
    const without: Record<string, unknown> = { ...base };
    delete without[key];
    out.push(without);
    for (const v of values) out.push({ ...base, [key]: v });
  }
  for (const v of values) out.push({ ...base, features: { ...base.features, f: v } });
  out.push({ ...base, features: JSON.parse('{"__proto__": 1, "a": 2}') as object });
  out.push({ ...base, prediction: JSON.parse('{"__proto__": 1, "a": 2}') as object });
  return out;
}

describe('prediction log decoding: the hand-checked path agrees with the schema', () => {
  it('accepts and returns exactly what predictionLogSchema does, for valid and broken messages', () => {
    let handled = 0;
    for (const message of variants()) {
      const bytes = Buffer.from(JSON.stringify(message));
      const decoded = decodePredictionLog(bytes);
      const zod = predictionLogSchema.safeParse(JSON.parse(bytes.toString()));
      const label = bytes.toString();
      expect(decoded.ok && zod.success, label).toBe(zod.success);
      if (decoded.ok && zod.success) {
        expect(decoded.log, label).toEqual(zod.data);
        expect(Object.keys(decoded.log).sort(), label).toEqual(Object.keys(zod.data).sort());
        handled++;
      } else if (!decoded.ok) {
        expect(decoded.code, label).toBe('INVALID_LOG');
      }
    }
    expect(handled).toBeGreaterThan(100);
  });
});
