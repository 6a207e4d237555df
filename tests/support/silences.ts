import type { AlertEngine, StepOutput } from '../../alert-engine/engine.js';
import type { Silence } from '../../alert-engine/silence.js';
import { endOf, windowOf } from './rules.js';

/** Silence s1 on feature amount, windows 1..4 (ending at the end of window 4), by ana. */
export function silence(p: Partial<Silence> = {}): Silence {
  return {
    id: 's1',
    matchers: [{ name: 'feature', value: 'amount', glob: false }],
    startsAt: endOf(1),
    endsAt: endOf(4),
    createdBy: 'ana',
    comment: 'migration',
    updatedAt: endOf(1),
    ...p,
  };
}

/**
 * Feeds windows 1..n, window k with values[k - 1] (a number: the statistic of `amount`; a
 * record: one statistic per feature), ticking at each window end; every step's output.
 */
export function run(
  engine: AlertEngine,
  values: readonly (number | Readonly<Record<string, number>>)[],
): StepOutput[] {
  return values.map((v, k) => {
    const out = engine.evaluate(windowOf(k + 1, typeof v === 'number' ? { amount: v } : v));
    const ticked = engine.tick(endOf(k + 1));
    return {
      transitions: [...out.transitions, ...ticked.transitions],
      notifications: [...out.notifications, ...ticked.notifications],
      silenced: [...out.silenced, ...ticked.silenced],
    };
  });
}

/** `window:kind` of every notification, in order. */
export const kinds = (outs: readonly StepOutput[]): string[] =>
  outs.flatMap((o, k) => o.notifications.map((n) => `${k + 1}:${n.kind}`));
