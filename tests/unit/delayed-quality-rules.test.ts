import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../alert-engine/engine.js';
import type { DriftObservation } from '../../alert-engine/model.js';
import { compileText, endOf, HOUR, obs, rulesText, windowOf } from '../support/rules.js';

/** Settled delayed quality of window i: f1 over `n` labelled predictions. */
const settled = (i: number, f1: number, n = 300, modelVersion = '3'): DriftObservation[] => [
  obs({
    windowEnd: endOf(i),
    feature: '_model',
    method: 'quality_delayed',
    modelVersion,
    statistic: null,
    threshold: null,
    n,
    measures: { f1, label_coverage: 0.9 },
  }),
];

const delayedRule = {
  name: 'f1-delayed',
  match: { model: 'fraud', method: 'quality_delayed' },
  when: 'f1 < 0.8',
  for: 2,
  min_samples: 200,
  receivers: ['hook'],
  repeat_interval: 0,
};

const text = rulesText([delayedRule]);
const engineWith = (options: ConstructorParameters<typeof AlertEngine>[2] = {}) => {
  const loaded = compileText(text);
  return new AlertEngine(loaded.rules, loaded.policies, options, loaded);
};

/** Live windows from..to (PSI points, nothing breaching). */
function live(engine: AlertEngine, from: number, to: number): void {
  for (let i = from; i <= to; i++) engine.evaluate(windowOf(i, { amount: 0.01 }));
}

const moves = (out: { transitions: { from: string; to: string }[] }) =>
  out.transitions.map((t) => `${t.from}>${t.to}`);

describe('alert rules on settled delayed quality', () => {
  it('reads a window settled long after the live windows moved past it, once, in its own order', () => {
    const engine = engineWith();
    live(engine, 1, 40);
    expect(moves(engine.evaluate(settled(1, 0.7)))).toEqual(['inactive>pending']);
    const firing = engine.evaluate(settled(2, 0.6));
    expect(moves(firing)).toEqual(['pending>firing']);
    expect(firing.notifications).toHaveLength(1);
    const alert = firing.notifications[0]?.alerts[0];
    expect(alert).toMatchObject({
      method: 'quality_delayed',
      feature: '_model',
      statistic: 'f1',
      value: 0.6,
      samples: 300,
      windowEnd: endOf(2),
    });
    // A replay of a settled window (the writer restarted) is a no-op, and so is an older one.
    expect(moves(engine.evaluate(settled(2, 0.99)))).toEqual([]);
    expect(moves(engine.evaluate(settled(1, 0.99)))).toEqual([]);
    // The live windows' cursor is untouched: the next live window is evaluated as ever.
    engine.evaluate(windowOf(41, { amount: 0.01 }));
    expect(engine.takeChanges().some((r) => r.key.startsWith('e/') && r.value)).toBe(true);
    // Too few labels: the window cannot decide; enough good ones resolve.
    expect(moves(engine.evaluate(settled(3, 0.1, 50)))).toEqual([]);
    expect(moves(engine.evaluate(settled(4, 0.95)))).toEqual(['firing>resolved']);
  });

  it('a settled window and a live one of the same end in one step are both evaluated', () => {
    const engine = engineWith();
    live(engine, 1, 3);
    const out = engine.evaluate([...windowOf(4, { amount: 0.01 }), ...settled(4, 0.5)]);
    expect(moves(out)).toEqual(['inactive>pending']);
    expect(moves(engine.evaluate(windowOf(5, { amount: 0.01 })))).toEqual([]);
  });

  it('the cursor survives a restore: a settled window seen before the restart is not read again', () => {
    const engine = engineWith();
    live(engine, 1, 10);
    engine.evaluate(settled(1, 0.7));
    const store = new Map<string, unknown>();
    for (const r of engine.takeChanges()) {
      store.set(r.key, JSON.parse(JSON.stringify(r.value)) as unknown);
    }
    expect([...store.keys()]).toContain('d/fraud\u00003');
    const restarted = engineWith();
    for (const [key, value] of store) restarted.restore(key, value);
    expect(moves(restarted.evaluate(settled(1, 0.7)))).toEqual([]);
    expect(moves(restarted.evaluate(settled(2, 0.7)))).toEqual(['pending>firing']);
  });

  it('never raises a stale alert from the delayed series', () => {
    const loaded = compileText(rulesText([{ ...delayedRule, stale_after: '30m' }]));
    const engine = new AlertEngine(loaded.rules, loaded.policies, {}, loaded);
    live(engine, 1, 5);
    engine.evaluate(settled(1, 0.95));
    const out = [] as string[];
    for (let i = 6; i <= 30; i++) {
      out.push(...engine.evaluate(windowOf(i, { amount: 0.01 })).transitions.map((t) => t.rule));
    }
    expect(out).toEqual([]);
  });

  it('a delayed alert is a series gone only settleAfter later than a live one', () => {
    // forgetAfter 1h, settled quality arrives 2h after its window: without the allowance every
    // delayed alert would resolve as "series gone" the moment it fired.
    const engine = engineWith({ forgetAfterMs: HOUR, delayedQualityAfterMs: 2 * HOUR });
    live(engine, 1, 24);
    engine.evaluate(settled(1, 0.5));
    expect(moves(engine.evaluate(settled(2, 0.5)))).toEqual(['pending>firing']);
    live(engine, 25, 30);
    expect(moves(engine.evaluate(settled(3, 0.5)))).toEqual([]);
    // Nothing settles for over 3 hours (2h + 1h) of event time: now it is gone.
    const gone: string[] = [];
    for (let i = 31; i <= 70; i++)
      gone.push(...moves(engine.evaluate(windowOf(i, { amount: 0.01 }))));
    expect(gone).toEqual(['firing>resolved']);
  });

  it("a superseded version's settled quality is not read, even past forgetAfter", () => {
    // Settled quality comes 14h after its window, series are gone after 1h without a window.
    const engine = engineWith({ forgetAfterMs: HOUR, delayedQualityAfterMs: 14 * HOUR });
    live(engine, 1, 10);
    for (let i = 11; i <= 60; i++) {
      engine.evaluate(windowOf(i, { amount: 0.01 }, { modelVersion: '4' }));
    }
    expect(moves(engine.evaluate(settled(10, 0.1)))).toEqual([]);
  });

  it("a superseded version's settled quality is not read", () => {
    const engine = engineWith();
    live(engine, 1, 10);
    // Version 4 takes over (default policy: superseded after its windows replace 3's).
    for (let i = 11; i <= 40; i++)
      engine.evaluate(windowOf(i, { amount: 0.01 }, { modelVersion: '4' }));
    expect(moves(engine.evaluate(settled(9, 0.1)))).toEqual([]);
    expect(moves(engine.evaluate(settled(10, 0.1)))).toEqual([]);
    expect(moves(engine.evaluate(settled(11, 0.1, 300, '4')))).toEqual(['inactive>pending']);
  });
});
