import { describe, expect, it } from 'vitest';
import type { DriftObservation } from '../../alert-engine/model.js';
import { checkRulesText } from '../../src/rules/rules-file.js';
import { thresholdWarnings } from '../../src/rules/threshold-check.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS } from '../../src/drift/window-points.js';
import { compileText, endOf, engineOf, obs, rule, rulesText } from '../support/rules.js';

/** The PSI and KS points of feature `amount` in window i. */
function psiAndKs(
  i: number,
  psi: number | null,
  ksP: number | null,
  extra: Partial<DriftObservation> = {},
): DriftObservation[] {
  const windowEnd = endOf(i);
  return [
    obs({ windowEnd, method: 'psi', statistic: psi, ...extra }),
    obs({ windowEnd, method: 'ks', statistic: 0.1, pValue: ksP, adjustedPValue: ksP, ...extra }),
  ];
}

const firingOf = (engine: ReturnType<typeof engineOf>, points: DriftObservation[]) =>
  engine.evaluate(points).transitions.filter((t) => t.to === 'firing');

describe('when: all / any', () => {
  const compound = (combine: 'all' | 'any') =>
    rule({ when: { [combine]: ['value >= 0.25', 'ks.p_value < 0.001'] } });

  it('all: fires only in the window where the PSI and the same feature’s KS p-value both breach', () => {
    const engine = engineOf([compound('all')]);
    expect(firingOf(engine, psiAndKs(1, 0.3, 0.01))).toHaveLength(0);
    expect(firingOf(engine, psiAndKs(2, 0.1, 0.0001))).toHaveLength(0);
    const fired = firingOf(engine, psiAndKs(3, 0.3, 0.0001));
    expect(fired).toHaveLength(1);
    // The first comparison's statistic is the alert's value; the series is the PSI one.
    expect(fired[0]).toMatchObject({ method: 'psi', value: 0.3, threshold: 0.25 });
  });

  it('all: resolves as soon as one comparison stops holding (no hysteresis band)', () => {
    const engine = engineOf([compound('all')]);
    engine.evaluate(psiAndKs(1, 0.3, 0.0001));
    const out = engine.evaluate(psiAndKs(2, 0.3, 0.2));
    expect(out.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['firing>resolved']);
  });

  it('any: one breaching comparison fires', () => {
    const engine = engineOf([compound('any')]);
    expect(firingOf(engine, psiAndKs(1, 0.1, 0.0001))).toHaveLength(1);
  });

  it('a comparison without a number this window (no KS point) leaves the state as it is', () => {
    const engine = engineOf([compound('any')]);
    engine.evaluate(psiAndKs(1, 0.3, 0.0001));
    const out = engine.evaluate([obs({ windowEnd: endOf(2), method: 'psi', statistic: 0.01 })]);
    expect(out.transitions).toEqual([]);
  });

  it('a plain comparison keeps its hysteresis (recover_threshold)', () => {
    const engine = engineOf([rule({ when: 'value >= 0.25', recover_threshold: 0.1 })]);
    engine.evaluate([obs({ windowEnd: endOf(1), statistic: 0.3 })]);
    expect(engine.evaluate([obs({ windowEnd: endOf(2), statistic: 0.2 })]).transitions).toEqual([]);
  });
});

describe('when: {drifted: true}', () => {
  const drifted = () => rule({ when: { drifted: true } });

  it('follows the decision on the point, not a threshold of its own', () => {
    const engine = engineOf([drifted()]);
    // Above the config's PSI threshold but within sampling noise: the daemon did not flag it.
    expect(
      firingOf(engine, [obs({ windowEnd: endOf(1), statistic: 0.4, threshold: 0.25 })]),
    ).toHaveLength(0);
    const fired = firingOf(engine, [
      obs({ windowEnd: endOf(2), statistic: 0.3, threshold: 0.25, drifted: true }),
    ]);
    expect(fired[0]).toMatchObject({ value: 0.3, threshold: 0.25 });
    const resolved = engine.evaluate([
      obs({ windowEnd: endOf(3), statistic: 0.3, threshold: 0.25, drifted: false }),
    ]);
    expect(resolved.transitions.map((t) => t.to)).toEqual(['resolved']);
  });

  it('reports a test’s adjusted p-value against its α with <=', () => {
    const engine = engineOf(
      [rule({ match: { model: 'fraud', method: 'ks' }, when: { drifted: true } })],
      undefined,
      {},
    );
    const out = engine.evaluate([
      obs({
        windowEnd: endOf(1),
        method: 'ks',
        statistic: 0.2,
        pValue: 0.001,
        adjustedPValue: 0.004,
        threshold: 0.05,
        drifted: true,
      }),
    ]);
    const alert = out.notifications[0]?.alerts[0];
    expect(alert).toMatchObject({ value: 0.004, op: '<=', threshold: 0.05 });
  });

  it('a window the daemon could not decide (insufficient data) keeps the last state', () => {
    const engine = engineOf([drifted()]);
    engine.evaluate([obs({ windowEnd: endOf(1), statistic: 0.3, drifted: true })]);
    const out = engine.evaluate([
      obs({ windowEnd: endOf(2), statistic: null, status: 'insufficient_data' }),
    ]);
    expect(out.transitions).toEqual([]);
  });
});

describe('when in the rules file', () => {
  const problems = (r: Record<string, unknown>) => {
    const checked = checkRulesText(rulesText([rule(r)]));
    return checked.ok ? [] : checked.problems.map((p) => `${p.path}: ${p.message}`);
  };

  it('names the bad comparison of a list by its index', () => {
    expect(problems({ when: { all: ['value > 0.25', 'ks.pvalue < 1'] } })).toEqual([
      expect.stringMatching(/^rules\[0\]\.when\.all\[1\]: expected "<statistic> <op> <number>"/),
    ]);
  });

  it('rejects recover_threshold beside all/any/drifted, and escalate or min_samples beside drifted', () => {
    expect(
      problems({ when: { any: ['value > 0.25', 'ks.p_value < 0.01'] }, recover_threshold: 0.1 }),
    ).toEqual([
      expect.stringMatching(/^rules\[0\]\.recover_threshold: applies to a single comparison/),
    ]);
    expect(
      problems({
        when: { drifted: true },
        min_samples: 10,
        escalate: { threshold: 1, severity: 'critical' },
      }),
    ).toEqual([
      expect.stringMatching(/^rules\[0\]\.escalate: not with drifted/),
      expect.stringMatching(/^rules\[0\]\.min_samples: not with drifted/),
    ]);
  });

  it('keeps the single-string form and its default min_samples', () => {
    const loaded = compileText(rulesText([rule()]));
    expect(loaded.rules[0]).toMatchObject({
      statistic: 'value',
      op: '>',
      threshold: 0.25,
      minSamples: 100,
      condition: { kind: 'compare', combine: 'all' },
    });
  });
});

describe('rules validate: thresholds against the drift config', () => {
  const warnings = (r: Record<string, unknown>) =>
    thresholdWarnings(compileText(rulesText([rule(r)])), DEFAULT_WINDOW_DRIFT_SETTINGS, 'cfg');

  it('flags > where the config decides with >=, and a different number', () => {
    expect(warnings({ when: 'value > 0.25' })).toEqual([
      expect.stringMatching(
        /"value > 0.25" on psi contradicts drift\.thresholds\.psi of cfg: a value of exactly 0.25/,
      ),
    ]);
    expect(warnings({ when: 'value >= 0.2' })).toEqual([
      expect.stringMatching(/fires at >= 0.2 while the daemon decides drift at >= 0.25/),
    ]);
    expect(warnings({ match: { method: 'ks' }, when: { all: ['p_value < 0.05'] } })).toEqual([
      expect.stringMatching(/drift\.thresholds\.ks/),
    ]);
  });

  it('is quiet for the config’s own threshold, drifted: true and statistics it does not decide on', () => {
    expect(warnings({ when: 'value >= 0.25' })).toEqual([]);
    expect(warnings({ when: { drifted: true } })).toEqual([]);
    expect(warnings({ match: { method: '*' }, when: 'missing_share > 0.2' })).toEqual([]);
  });

  it('checks per-feature thresholds the rule’s features reach', () => {
    const settings = {
      ...DEFAULT_WINDOW_DRIFT_SETTINGS,
      features: new Map([['amount', { thresholds: { psi: 0.4 } }]]),
    };
    const found = thresholdWarnings(
      compileText(
        rulesText([rule({ match: { feature: 'amount', method: 'psi' }, when: 'value >= 0.25' })]),
      ),
      settings,
      'cfg',
    );
    expect(found).toEqual([expect.stringMatching(/on psi \(feature amount\).*>= 0.4/)]);
  });
});
