import type { SyntheticSpec } from './synthetic.js';

/** The demo's model: three numeric features and `country`; `b` drifts from minute 3 on. */
export const DEMO_START = Date.parse('2026-11-01T09:00:00.000Z');
export const DEMO_SPEC: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '1',
  numericFeatures: ['a', 'b', 'c'],
  shifted: { features: ['b'], shift: 1.5, shiftFrom: DEMO_START + 3 * 60_000 },
  seed: 2026,
};
