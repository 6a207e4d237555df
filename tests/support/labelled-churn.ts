import type { SyntheticSpec } from '../../scripts/synthetic.js';

/**
 * The churn scenario of the delayed-labels tests: model churn@1 over numeric features a and b,
 * predictions alternating yes/no, logged per minute from T0.
 */
export const T0 = Date.parse('2026-01-05T00:00:00.000Z');
export const MINUTE = 60_000;

export const churnSpec = (seed: number): SyntheticSpec => ({
  model: 'churn',
  modelVersion: '1',
  numericFeatures: ['a', 'b'],
  seed,
});

export const predicted = (i: number): 'yes' | 'no' => (i % 2 === 0 ? 'yes' : 'no');
export const otherClass = (c: string): string => (c === 'yes' ? 'no' : 'yes');

/** The i-th prediction log of `minute` (with its `id` when given; extra features besides). */
export function churnEvent(
  i: number,
  minute: number,
  id: string | undefined,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    model: 'churn',
    model_version: '1',
    timestamp: new Date(T0 + minute * MINUTE + i * 100).toISOString(),
    ...(id === undefined ? {} : { id }),
    features: { a: (i % 7) / 7, b: (i % 5) / 5, ...extra },
    prediction: predicted(i),
  });
}
