import { describe, expect, it } from 'vitest';
import { SilenceSet, type Silence } from '../../alert-engine/silence.js';
import { backtest } from '../../src/tools/backtest.js';
import { compileText, endOf, engineOf, rule, rulesText, windowOf } from '../support/rules.js';
import { kinds, run, silence } from '../support/silences.js';

describe('SilenceSet: which silence holds an alert', () => {
  const labels = { rule: 'psi-high', model: 'fraud', feature: 'amount_eur', severity: 'warning' };

  it('needs every matcher: equality and globs (the one glob language)', () => {
    const set = new SilenceSet([
      silence({
        matchers: [
          { name: 'model', value: 'fraud', glob: false },
          { name: 'feature', value: 'amount*', glob: true },
        ],
      }),
    ]);
    expect(set.find(labels, endOf(2))?.id).toBe('s1');
    expect(set.find({ ...labels, feature: 'age' }, endOf(2))).toBeUndefined();
    expect(set.find({ ...labels, model: 'fraud2' }, endOf(2))).toBeUndefined();
    // Equality is literal: a star in an equality matcher matches only a star.
    const literal = new SilenceSet([
      silence({ matchers: [{ name: 'feature', value: 'amount*', glob: false }] }),
    ]);
    expect(literal.find(labels, endOf(2))).toBeUndefined();
  });

  it('holds from startsAt (included) to endsAt (excluded), in event time', () => {
    const set = new SilenceSet([silence({ matchers: [] })]);
    expect(set.find(labels, endOf(1) - 1)).toBeUndefined();
    expect(set.find(labels, endOf(1))?.id).toBe('s1');
    expect(set.find(labels, endOf(4) - 1)?.id).toBe('s1');
    expect(set.find(labels, endOf(4))).toBeUndefined();
  });

  it('of several, names the one ending last, whatever the order given', () => {
    const a = silence({ id: 'a', matchers: [], endsAt: endOf(9) });
    const b = silence({ id: 'b', matchers: [], endsAt: endOf(5) });
    expect(new SilenceSet([a, b]).find(labels, endOf(2))?.id).toBe('a');
    expect(new SilenceSet([b, a]).find(labels, endOf(2))?.id).toBe('a');
  });
});

describe('alert engine with silences', () => {
  it('holds notifications, not state changes: told once the silence ends, naming it', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(4) })]));
    const outs = run(engine, [0.3, 0.3, 0.3, 0.3, 0.3]);
    expect(outs[0]?.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['inactive>firing']);
    expect(outs[0]?.silenced.map((s) => s.silenceId)).toEqual(['s1']);
    expect(kinds(outs)).toEqual(['4:firing']);
    const told = outs[3]?.notifications[0]?.alerts[0];
    expect(told?.silenced).toEqual({
      id: 's1',
      startsAt: endOf(1),
      endsAt: endOf(4),
      createdBy: 'ana',
      comment: 'migration',
    });
  });

  it('an alert notified before the silence is told again once after it, then repeats as usual', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(2), endsAt: endOf(4) })]));
    const outs = run(engine, [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]);
    expect(kinds(outs)).toEqual(['1:firing', '4:update']);
    expect(outs[0]?.notifications[0]?.alerts[0]?.silenced).toBeNull();
    expect(outs[3]?.notifications[0]?.alerts[0]?.silenced?.id).toBe('s1');
  });

  it('an alert that fires and resolves inside a silence is never told', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(5) })]));
    const outs = run(engine, [0.3, 0.3, 0.1, 0.1, 0.1, 0.1]);
    expect(outs.flatMap((o) => o.transitions.map((t) => t.to))).toContain('resolved');
    expect(kinds(outs)).toEqual([]);
  });

  it('an expired silence (endsAt moved earlier) releases at the next decision, with its real end', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(50) })]));
    const first = run(engine, [0.3, 0.3]);
    expect(kinds(first)).toEqual([]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(2) + 1 })]));
    const out = engine.evaluate(windowOf(3, { amount: 0.3 }));
    expect(out.notifications.map((n) => n.kind)).toEqual(['firing']);
    expect(out.notifications[0]?.alerts[0]?.silenced?.endsAt).toBe(endOf(2) + 1);
  });

  it('silences by any label a notification shows: rule, severity, rule labels', () => {
    const engine = engineOf([rule({ labels: { team: 'risk' } })]);
    engine.setSilences(
      new SilenceSet([silence({ matchers: [{ name: 'team', value: 'risk', glob: false }] })]),
    );
    expect(kinds(run(engine, [0.3, 0.3]))).toEqual([]);
  });

  it('the held alert survives a restore: the note is part of the persisted instance', () => {
    const engine = engineOf([rule()]);
    const silences = new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(3) })]);
    engine.setSilences(silences);
    run(engine, [0.3, 0.3]);
    const restored = engineOf([rule()]);
    for (const r of engine.takeChanges()) restored.restore(r.key, r.value);
    restored.setSilences(silences);
    const out = restored.evaluate(windowOf(3, { amount: 0.3 }));
    expect(out.notifications.map((n) => n.kind)).toEqual(['firing']);
    expect(out.notifications[0]?.alerts[0]?.silenced?.id).toBe('s1');
  });
});

describe('rules backtest with silences', () => {
  it('holds what the daemon holds: the notification moves to the silence end', () => {
    const rules = compileText(rulesText([rule()]));
    const points = [1, 2, 3, 4, 5].flatMap((i) => windowOf(i, { amount: 0.3 }));
    const times = (silences: Silence[]) =>
      backtest(points, rules, { silences })
        .events.filter((e) => e.type === 'notification')
        .map((e) => e.time);
    expect(times([])).toEqual([endOf(1)]);
    expect(times([silence({ startsAt: endOf(1), endsAt: endOf(3) })])).toEqual([endOf(3)]);
    // The engine given the same silences decides the same.
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(3) })]));
    const live = run(engine, [0.3, 0.3, 0.3, 0.3, 0.3]).flatMap((o) =>
      o.notifications.map((n) => n.time),
    );
    expect(live).toEqual([endOf(3)]);
  });
});
