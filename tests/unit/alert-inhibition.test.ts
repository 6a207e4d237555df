import { describe, expect, it } from 'vitest';
import type { DriftObservation } from '../../alert-engine/model.js';
import { backtest } from '../../src/tools/backtest.js';
import { checkRulesText } from '../../src/rules/rules-file.js';
import { compileText, endOf, engineOf, obs, rule, rulesText } from '../support/rules.js';

const RULES = [
  rule({ name: 'feature_psi', match: { model: 'fraud', method: 'psi' }, when: 'value >= 0.25' }),
  rule({ name: 'dataset_drift', match: { model: 'fraud' }, when: 'drift_share >= 0.5' }),
];
const INHIBIT = {
  inhibit: [
    {
      source_match: { rule: 'dataset_drift' },
      target_match: { rule: 'feature_psi' },
      equal: ['model', 'model_version'],
    },
  ],
};

/** Window i of fraud@version: the PSI of amount and the dataset share. */
function windowOf(i: number, psi: number, share: number, version = '3'): DriftObservation[] {
  const windowEnd = endOf(i);
  return [
    obs({ windowEnd, modelVersion: version, statistic: psi }),
    obs({
      windowEnd,
      modelVersion: version,
      feature: '_dataset',
      method: 'drift_share',
      statistic: share,
      n: 10,
    }),
  ];
}

const told = (n: { kind: string; groupLabels: Record<string, string> }) =>
  `${n.kind}:${n.groupLabels.rule}@${n.groupLabels.model_version}`;

describe('inhibit rules', () => {
  it('a firing dataset alert holds back the feature alerts of the same model and version', () => {
    const engine = engineOf(RULES, undefined, {}, INHIBIT);
    const out = engine.evaluate([...windowOf(1, 0.4, 0.6), ...windowOf(1, 0.4, 0.1, '4')]);
    // Both fire (the state changes and goes to InfluxDB): only the notifications are held.
    expect(out.transitions.filter((t) => t.to === 'firing').map((t) => t.rule)).toEqual(
      expect.arrayContaining(['feature_psi', 'dataset_drift']),
    );
    expect(out.notifications.map(told).sort()).toEqual([
      'firing:dataset_drift@3',
      // Version 4 has no dataset alert: its feature alert is told.
      'firing:feature_psi@4',
    ]);
  });

  it('a target still firing when the source resolves is told then, once', () => {
    const engine = engineOf(RULES, undefined, {}, INHIBIT);
    engine.evaluate(windowOf(1, 0.4, 0.6));
    expect(engine.evaluate(windowOf(2, 0.4, 0.6)).notifications).toEqual([]);
    const out = engine.evaluate(windowOf(3, 0.4, 0.1));
    expect(out.notifications.map(told).sort()).toEqual([
      'firing:feature_psi@3',
      'resolved:dataset_drift@3',
    ]);
    expect(engine.evaluate(windowOf(4, 0.4, 0.1)).notifications).toEqual([]);
  });

  it('a target that resolves while held back is never told at all', () => {
    const engine = engineOf(RULES, undefined, {}, INHIBIT);
    engine.evaluate(windowOf(1, 0.4, 0.6));
    engine.evaluate(windowOf(2, 0.1, 0.6));
    expect(engine.evaluate(windowOf(3, 0.1, 0.1)).notifications.map(told)).toEqual([
      'resolved:dataset_drift@3',
    ]);
  });

  it('holds after a restore from the persisted state, and the backtest predicts the same ids', () => {
    const live = engineOf(RULES, undefined, {}, INHIBIT);
    const windows = [1, 2, 3, 4].map((i) => windowOf(i, 0.4, i < 3 ? 0.6 : 0.1));
    const first = live.evaluate(windows[0] ?? []);
    const restored = engineOf(RULES, undefined, {}, INHIBIT);
    for (const { key, value } of live.takeChanges()) restored.restore(key, value);
    const rest = windows.slice(1).flatMap((w) => restored.evaluate(w).notifications);
    const ids = [...first.notifications, ...rest].map((n) => n.id);
    const replay = backtest(windows.flat(), compileText(rulesText(RULES, undefined, INHIBIT)));
    expect(
      replay.events
        .filter((e) => e.type === 'notification')
        .map((e) => e.type === 'notification' && e.id),
    ).toEqual(ids);
    expect(replay.rules.find((r) => r.rule === 'feature_psi')?.notifications.firing).toBe(1);
  });

  it('is validated: matchers name labels, both sides at least one', () => {
    const checked = checkRulesText(
      rulesText(RULES, undefined, {
        inhibit: [{ source_match: {}, target_match: { Rule: 'x' }, equal: ['model'] }],
      }),
    );
    expect(checked.ok ? [] : checked.problems.map((p) => p.path)).toEqual([
      'inhibit[0].source_match',
      'inhibit[0].target_match.Rule',
    ]);
  });
});
