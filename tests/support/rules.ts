import { stringify } from 'yaml';
import { AlertEngine, type EngineOptions, type StepOutput } from '../../alert-engine/engine.js';
import type { DriftObservation } from '../../alert-engine/model.js';
import type { RuleCounts } from '../../src/tools/backtest.js';
import { checkRulesText, compileRules, type LoadedRules } from '../../src/rules/rules-file.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
/** Window length of the test series ("5m"). */
export const WINDOW_MS = 5 * MINUTE;
/** An arbitrary, window-aligned event time: the start of window 1. */
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** End of the `i`-th 5-minute window (window 1 ends at T0 + 5m). */
export const endOf = (i: number): number => T0 + i * WINDOW_MS;

/** One drift point with sensible defaults: model fraud@3, PSI, 5m window, 1000 samples, ok. */
export function obs(p: Partial<DriftObservation> = {}): DriftObservation {
  const windowEnd = p.windowEnd ?? endOf(1);
  return {
    model: 'fraud',
    modelVersion: '3',
    feature: 'amount',
    method: 'psi',
    window: '5m',
    baseline: 'b1',
    windowStart: windowEnd - WINDOW_MS,
    windowEnd,
    status: 'ok',
    statistic: 0,
    pValue: null,
    adjustedPValue: null,
    correction: null,
    threshold: 0.2,
    drifted: false,
    n: 1_000,
    missing: 0,
    unseen: null,
    ...p,
  };
}

/** The points of window `i` for the given features: a number is the statistic, null none. */
export function windowOf(
  i: number,
  values: Readonly<Record<string, number | null>>,
  extra: Partial<DriftObservation> = {},
): DriftObservation[] {
  const windowEnd = endOf(i);
  return Object.entries(values).map(([feature, statistic]) =>
    obs({
      feature,
      statistic,
      windowEnd,
      windowStart: windowEnd - WINDOW_MS,
      drifted: statistic !== null && statistic > 0.2,
      ...extra,
    }),
  );
}

/** Receivers most tests use: a webhook (send_resolved default) and an email without resolved. */
export const RECEIVERS: Record<string, unknown> = {
  hook: { type: 'webhook', url: 'https://hooks.example.com/drift' },
  mail: { type: 'email', to: ['oncall@example.com'], send_resolved: false },
};

/** YAML text of a rules file (through the real parser and schema, like a file on disk). */
export function rulesText(
  rules: readonly Record<string, unknown>[],
  receivers: Record<string, unknown> = RECEIVERS,
  extra: Record<string, unknown> = {},
): string {
  return stringify({ version: 1, receivers, rules, ...extra });
}

/** Validates and compiles rules text; throws listing every problem when it is invalid. */
export function compileText(text: string): LoadedRules {
  const checked = checkRulesText(text);
  if (!checked.ok) {
    throw new Error(
      `rules invalid:\n${checked.problems.map((p) => `${p.line ?? '?'} ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
  return compileRules('rules.yaml', checked.value);
}

/** A rule on fraud's PSI series with the given overrides (webhook receiver, no repeat). */
export function rule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'psi-high',
    match: { model: 'fraud', method: 'psi' },
    when: 'value > 0.25',
    receivers: ['hook'],
    repeat_interval: 0,
    ...overrides,
  };
}

/** An engine over rules given as objects, compiled from their YAML text. */
export function engineOf(
  rules: readonly Record<string, unknown>[],
  receivers: Record<string, unknown> = RECEIVERS,
  options: EngineOptions = {},
  extra: Record<string, unknown> = {},
): AlertEngine {
  const loaded = compileText(rulesText(rules, receivers, extra));
  return new AlertEngine(loaded.rules, loaded.policies, options, loaded);
}

/** Several step outputs as one. */
export function concat(outputs: readonly StepOutput[]): StepOutput {
  return {
    transitions: outputs.flatMap((o) => o.transitions),
    notifications: outputs.flatMap((o) => o.notifications),
    silenced: outputs.flatMap((o) => o.silenced),
  };
}

/** A backtest's counts for one rule: notification kinds not given are 0. */
export function ruleCounts(
  rule: string,
  episodes: number,
  notifications: Partial<RuleCounts['notifications']> = {},
  retrainRequests = 0,
): RuleCounts {
  return {
    rule,
    episodes,
    notifications: { firing: 0, update: 0, repeat: 0, resolved: 0, ...notifications },
    retrainRequests,
  };
}
