import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertNotification, DriftObservation } from '../../alert-engine/model.js';
import { DriftwatchError } from '../../src/errors.js';
import { loadRulesFile } from '../../src/rules/rules-file.js';
import { setVersionRetired } from '../../src/rules/retire-version.js';
import { backtest } from '../../src/tools/backtest.js';
import {
  MINUTE,
  compileText,
  concat,
  endOf,
  engineOf,
  obs,
  rule,
  rulesText,
} from '../support/rules.js';

/** psi-high on fraud (any version), with a 30-minute stale_after. */
const RULES = [rule({ stale_after: '30m' })];

/** Window i of fraud@version with the PSI of amount. */
const windowOf = (i: number, version: string, psi: number): DriftObservation[] => {
  const windowEnd = endOf(i);
  return [
    obs({ windowEnd, windowStart: windowEnd - 5 * MINUTE, modelVersion: version, statistic: psi }),
  ];
};

const told = (n: AlertNotification) =>
  `${n.kind}:${n.groupLabels.rule ?? ''}@${n.groupLabels.model_version ?? ''}`;

/** Version 3 drifting in windows 1–4, served with 4 (canary) in 3–4, then 4 alone from 5 on. */
function rollout(last: number): DriftObservation[][] {
  const windows: DriftObservation[][] = [];
  for (let i = 1; i <= last; i++) {
    const w: DriftObservation[] = [];
    if (i <= 4) w.push(...windowOf(i, '3', 0.4));
    if (i >= 3) w.push(...windowOf(i, '4', 0.05));
    windows.push(w);
  }
  return windows;
}

describe('superseded model versions', () => {
  it('resolve once the newer version has been served alone for supersede_after (2 windows)', () => {
    const engine = engineOf(RULES);
    const outs = rollout(8).map((w) => engine.evaluate(w));
    expect(outs[0]?.notifications.map(told)).toEqual(['firing:psi-high@3']);
    // Canary (3–4) and the first window of 4 alone (5): version 3 is still live.
    expect(concat(outs.slice(1, 5)).notifications).toEqual([]);
    const resolved = outs[5]?.notifications ?? [];
    expect(resolved.map(told)).toEqual(['resolved:psi-high@3']);
    const alert = resolved[0]?.alerts[0];
    expect(alert?.status).toBe('resolved');
    expect(alert?.stateReason).toMatch(/^superseded: version 4 receives the traffic/);
    expect(outs[5]?.transitions.map((t) => `${t.from}>${t.to}:${t.reason ?? ''}`)).toEqual([
      expect.stringMatching(/^firing>resolved:superseded/),
    ]);
    // Long after its last window, version 3 never raises stale (version 4, stopped, does).
    const later = engine.tick(endOf(8) + 3 * 60 * MINUTE);
    expect(concat([...outs.slice(6), later]).notifications.map(told)).toEqual([
      'firing:psi-high:stale@4',
    ]);
  });

  it('a version served alongside the newer one (a canary) stays live and may go stale', () => {
    const engine = engineOf(RULES);
    for (let i = 1; i <= 6; i++)
      engine.evaluate([...windowOf(i, '3', 0.4), ...windowOf(i, '4', 0.05)]);
    // Both stop: no newer version took the traffic, so staleness is an outage and is told.
    const stale = engine.tick(endOf(6) + 30 * MINUTE);
    expect(stale.notifications.map(told).sort()).toEqual([
      'firing:psi-high:stale@3',
      'firing:psi-high:stale@4',
    ]);
  });

  it('a rollback makes the old version live again: its windows are read as before', () => {
    const engine = engineOf(RULES);
    rollout(8).forEach((w) => engine.evaluate(w));
    const back = engine.evaluate(windowOf(9, '3', 0.5));
    expect(back.notifications.map(told)).toEqual(['firing:psi-high@3']);
  });

  it('a version retired in the rules file resolves at once, is not evaluated and never goes stale', () => {
    const plain = engineOf(RULES);
    plain.evaluate(windowOf(1, '3', 0.4));
    const retiredRules = { versions: { retired: [{ model: 'fraud', version: '3' }] } };
    const loaded = compileText(rulesText(RULES, undefined, retiredRules));
    plain.setRules(loaded.rules, loaded.policies, loaded);
    const out = plain.evaluate(windowOf(2, '3', 0.4));
    expect(out.notifications.map(told)).toEqual(['resolved:psi-high@3']);
    expect(out.notifications[0]?.alerts[0]?.stateReason).toBe(
      'superseded: version retired in the rules file',
    );
    expect(plain.evaluate(windowOf(3, '3', 0.9)).notifications).toEqual([]);
    expect(plain.tick(endOf(3) + 2 * 60 * MINUTE).notifications).toEqual([]);
  });

  it('notify_superseded: false resolves without a message', () => {
    const engine = engineOf(RULES, undefined, {}, { versions: { notify_superseded: false } });
    const outs = rollout(8).map((w) => engine.evaluate(w));
    expect(concat(outs).notifications.map(told)).toEqual(['firing:psi-high@3']);
    expect(concat(outs).transitions.filter((t) => t.to === 'resolved')).toHaveLength(1);
  });

  it('supersede_after as a duration; a restore mid-rollout and the backtest tell the same ids', () => {
    const extra = { versions: { supersede_after: '15m' } };
    const windows = rollout(9);
    const live = engineOf(RULES, undefined, {}, extra);
    const first = windows.slice(0, 5).flatMap((w) => live.evaluate(w).notifications);
    const restored = engineOf(RULES, undefined, {}, extra);
    for (const { key, value } of live.takeChanges()) restored.restore(key, value);
    const rest = windows.slice(5).flatMap((w) => restored.evaluate(w).notifications);
    const all = [...first, ...rest];
    // 15 minutes = 3 windows of version 4 alone: told at window 7, not 6.
    expect(all.map((n) => `${told(n)}#${(n.alerts[0]?.windowEnd ?? 0) - endOf(0)}`)).toEqual([
      `firing:psi-high@3#${endOf(1) - endOf(0)}`,
      `resolved:psi-high@3#${endOf(4) - endOf(0)}`,
    ]);
    const replay = backtest(windows.flat(), compileText(rulesText(RULES, undefined, extra)));
    expect(replay.events.flatMap((e) => (e.type === 'notification' ? [e.id] : []))).toEqual(
      all.map((n) => n.id),
    );
  });
});

describe('driftwatch model retire (the rules file edited in place)', () => {
  const TEXT = `# on-call rules, owned by the ML platform team
version: 1
receivers:
  hook: { type: webhook, url: "https://hooks.example.com/drift" }
rules:
  - name: psi-high   # the one people look at
    match: { model: fraud, method: psi }
    when: value > 0.25
    receivers: [hook]
`;

  it('adds and removes versions.retired, keeping comments; repeats change nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dw-retire-')), 'rules.yaml');
    writeFileSync(file, TEXT);
    expect(setVersionRetired(file, 'fraud', '3', true, 'v4 rolled out')).toBe('retired');
    expect(setVersionRetired(file, 'fraud', '3', true)).toBe('already retired');
    expect(setVersionRetired(file, 'fraud', '2', true)).toBe('retired');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# on-call rules, owned by the ML platform team');
    expect(text).toContain('# the one people look at');
    expect(loadRulesFile(file).versions.retired).toEqual([
      { model: 'fraud', version: '3' },
      { model: 'fraud', version: '2' },
    ]);
    expect(setVersionRetired(file, 'fraud', '3', false)).toBe('unretired');
    expect(setVersionRetired(file, 'fraud', '3', false)).toBe('not retired');
    expect(loadRulesFile(file).versions.retired).toEqual([{ model: 'fraud', version: '2' }]);
  });

  it('refuses an invalid rules file, naming it, and leaves it as it was', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dw-retire-')), 'rules.yaml');
    const broken = TEXT.replace('when: value > 0.25', 'when: value >> 0.25');
    writeFileSync(file, broken);
    let error: unknown;
    try {
      setVersionRetired(file, 'fraud', '3', true);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DriftwatchError);
    expect((error as DriftwatchError).code).toBe('RULES_INVALID');
    expect((error as DriftwatchError).message).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });
});
