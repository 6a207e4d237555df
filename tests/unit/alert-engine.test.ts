import { describe, expect, it } from 'vitest';
import type { AlertEngine, StateRecord, StepOutput } from '../../alert-engine/engine.js';
import { AlertEngine as Engine } from '../../alert-engine/engine.js';
import type {
  AlertNotification,
  AlertTransition,
  DriftObservation,
} from '../../alert-engine/model.js';
import {
  HOUR,
  MINUTE,
  RECEIVERS,
  compileText,
  concat,
  endOf,
  engineOf,
  obs,
  rule,
  rulesText,
  windowOf,
} from '../support/rules.js';

type Values = Record<string, number | null>;

/** Feeds windows first, first+1, … (one value map each) and returns each window's output. */
function feed(
  engine: AlertEngine,
  first: number,
  rows: readonly Values[],
  extra: Partial<DriftObservation> = {},
): StepOutput[] {
  return rows.map((values, k) => engine.evaluate(windowOf(first + k, values, extra)));
}

/** `window:kind` for every notification of the outputs (window numbers from `first`). */
function kinds(outputs: readonly StepOutput[], first = 1): string[] {
  return outputs.flatMap((o, k) => o.notifications.map((n) => `${first + k}:${n.kind}`));
}

const moves = (ts: readonly AlertTransition[]): string[] => ts.map((t) => `${t.from}>${t.to}`);

const only = <T>(list: readonly T[]): T => {
  expect(list).toHaveLength(1);
  return list[0] as T;
};

const repeatRow = (values: Values, count: number): Values[] =>
  Array.from({ length: count }, () => values);

describe('instance state machine', () => {
  it('for: 3 fires on the third consecutive breaching window, pending before', () => {
    const engine = engineOf([rule({ for: 3 })]);
    const out = feed(engine, 1, repeatRow({ amount: 0.3 }, 4));
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>pending'],
      [],
      ['pending>firing'],
      [],
    ]);
    expect(kinds(out)).toEqual(['3:firing']);
    const n = only(out[2]?.notifications ?? []);
    expect(n.alerts[0]?.startsAt).toBe(endOf(3));
  });

  it('a non-breaching window while pending goes back to inactive and restarts the count', () => {
    const engine = engineOf([rule({ for: 3 })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.3 },
      { amount: 0.3 },
      { amount: 0.3 },
    ]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>pending'],
      [],
      ['pending>inactive'],
      ['inactive>pending'],
      [],
      ['pending>firing'],
    ]);
    expect(kinds(out)).toEqual(['6:firing']);
  });

  it.each([0, 1])('for: %i fires on the first breach', (forWindows) => {
    const engine = engineOf([rule({ for: forWindows })]);
    const [first] = feed(engine, 1, [{ amount: 0.3 }]);
    expect(moves(first?.transitions ?? [])).toEqual(['inactive>firing']);
    expect(kinds([first as StepOutput])).toEqual(['1:firing']);
  });

  it.each([
    ['15m', 3],
    ['12m', 3],
    ['5m', 1],
    ['1m', 1],
  ])('for: "%s" over 5m windows is %i window(s), rounded up', (duration, windows) => {
    const engine = engineOf([rule({ for: duration })]);
    const out = feed(engine, 1, repeatRow({ amount: 0.3 }, 5));
    const firedAt = out.findIndex((o) => o.transitions.some((t) => t.to === 'firing')) + 1;
    expect(firedAt).toBe(windows);
  });

  it('keep_firing_for as a duration is converted to windows too', () => {
    const engine = engineOf([rule({ keep_firing_for: '10m' })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.1 },
    ]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>firing'],
      ['firing>recovering'],
      [],
      ['recovering>resolved'],
    ]);
  });

  it('hysteresis: between recover_threshold and threshold stays firing; below resolves', () => {
    const engine = engineOf([rule({ recover_threshold: 0.15 })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.2 },
      { amount: 0.16 },
      { amount: 0.1 },
    ]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>firing'],
      [],
      [],
      ['firing>resolved'],
    ]);
    expect(kinds(out)).toEqual(['1:firing', '4:resolved']);
    const resolved = only(out[3]?.notifications ?? []);
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0]).toMatchObject({
      status: 'resolved',
      state: 'resolved',
      value: 0.1,
      startsAt: endOf(1),
      endsAt: endOf(4),
    });
  });

  it('keep_firing_for N: recovering, resolved after N+1 clear windows', () => {
    const engine = engineOf([rule({ recover_threshold: 0.15, keep_firing_for: 2 })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.1 },
    ]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>firing'],
      ['firing>recovering'],
      [],
      ['recovering>resolved'],
    ]);
    expect(kinds(out)).toEqual(['1:firing', '4:resolved']);
  });

  it('a breach while recovering goes back to firing in the same episode, without a notification', () => {
    const engine = engineOf([rule({ recover_threshold: 0.15, keep_firing_for: 2 })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.3 },
      { amount: 0.2 },
      { amount: 0.1 },
    ]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>firing'],
      ['firing>recovering'],
      ['recovering>firing'],
      [],
      ['firing>recovering'],
    ]);
    const all = concat(out).transitions;
    expect(new Set(all.map((t) => t.episodeId)).size).toBe(1);
    expect(kinds(out)).toEqual(['1:firing']);
  });

  it('a value in the band between the thresholds while recovering counts as firing again', () => {
    const engine = engineOf([rule({ recover_threshold: 0.15, keep_firing_for: 1 })]);
    const out = feed(engine, 1, [{ amount: 0.3 }, { amount: 0.1 }, { amount: 0.2 }]);
    expect(out.map((o) => moves(o.transitions))).toEqual([
      ['inactive>firing'],
      ['firing>recovering'],
      ['recovering>firing'],
    ]);
  });

  it('p_value reads ks/chi_square adjustedPValue (else pValue) and ignores PSI points', () => {
    const engine = engineOf([
      { name: 'p-low', when: 'p_value < 0.001', receivers: ['hook'], repeat_interval: 0 },
    ]);
    const end = endOf(1);
    const out = engine.evaluate([
      // PSI: no p-value at all, whatever its statistic.
      obs({ feature: 'amount', method: 'psi', statistic: 5, windowEnd: end }),
      // KS: the adjusted p-value decides (the raw one would breach).
      obs({
        feature: 'amount',
        method: 'ks',
        statistic: 0.1,
        pValue: 0.0001,
        adjustedPValue: 0.01,
        windowEnd: end,
      }),
      // KS with the adjusted p-value breaching.
      obs({
        feature: 'age',
        method: 'ks',
        statistic: 0.3,
        pValue: 0.00001,
        adjustedPValue: 0.0005,
        correction: { method: 'benjamini_hochberg', tests: 20 },
        windowEnd: end,
      }),
      // chi-square without a correction: the raw p-value.
      obs({
        feature: 'country',
        method: 'chi_square',
        statistic: 40,
        pValue: 0.0002,
        adjustedPValue: null,
        windowEnd: end,
      }),
    ]);
    expect(out.transitions.map((t) => `${t.feature}/${t.method}:${t.to}`).sort()).toEqual([
      'age/ks:firing',
      'country/chi_square:firing',
    ]);
    const n = only(out.notifications);
    expect(n.alerts.map((a) => [a.feature, a.statistic, a.value])).toEqual([
      ['age', 'p_value', 0.0005],
      ['country', 'p_value', 0.0002],
    ]);
    // The on-call engineer is told which correction made the value (and over how many tests).
    expect(n.alerts.map((a) => a.correction)).toEqual([
      { method: 'benjamini_hochberg', tests: 20 },
      null,
    ]);
  });

  describe('insufficient data', () => {
    const insufficient: [string, Partial<DriftObservation>][] = [
      ['n below min_samples', { n: 10 }],
      ['no statistic', { statistic: null }],
      ['status insufficient_data', { status: 'insufficient_data' }],
    ];

    it.each(insufficient)(
      'keep_last (default): %s changes nothing mid-incident',
      (_label, extra) => {
        const engine = engineOf([rule({ min_samples: 100 })]);
        const start = feed(engine, 1, [{ amount: 0.3 }]);
        const gap = feed(engine, 2, repeatRow({ amount: 0.01 }, 3), extra);
        expect(concat(gap)).toEqual({ transitions: [], notifications: [], silenced: [] });
        const back = feed(engine, 5, [{ amount: 0.3 }, { amount: 0.1 }]);
        expect(moves(concat(back).transitions)).toEqual(['firing>resolved']);
        const all = [...start, ...gap, ...back];
        expect(kinds(all)).toEqual(['1:firing', '6:resolved']);
        expect(new Set(concat(all).transitions.map((t) => t.episodeId)).size).toBe(1);
      },
    );

    it('keep_last: an insufficient window does not reset a pending count', () => {
      const engine = engineOf([rule({ for: 3 })]);
      const out = [
        ...feed(engine, 1, [{ amount: 0.3 }]),
        ...feed(engine, 2, [{ amount: 0.3 }], { n: 5 }),
        ...feed(engine, 3, [{ amount: 0.3 }, { amount: 0.3 }]),
      ];
      expect(out.map((o) => moves(o.transitions))).toEqual([
        ['inactive>pending'],
        [],
        [],
        ['pending>firing'],
      ]);
    });

    it.each(insufficient)('insufficient_data: ok — %s counts as clear', (_label, extra) => {
      const engine = engineOf([rule({ insufficient_data: 'ok' })]);
      const out = [
        ...feed(engine, 1, [{ amount: 0.3 }]),
        ...feed(engine, 2, [{ amount: 0.3 }], extra),
      ];
      expect(moves(out[1]?.transitions ?? [])).toEqual(['firing>resolved']);
      expect(kinds(out)).toEqual(['1:firing', '2:resolved']);
    });

    it('min_samples counts the window n', () => {
      const engine = engineOf([rule({ min_samples: 50 })]);
      expect(feed(engine, 1, [{ amount: 0.3 }], { n: 49 })[0]?.transitions).toEqual([]);
      expect(moves(feed(engine, 2, [{ amount: 0.3 }], { n: 50 })[0]?.transitions ?? [])).toEqual([
        'inactive>firing',
      ]);
    });
  });

  it('episodes: one id from firing to resolved, a new one for the next; seq always increases', () => {
    const engine = engineOf([rule()]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.4 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.3 },
      { amount: 0.1 },
    ]);
    const ts = concat(out).transitions;
    expect(moves(ts)).toEqual([
      'inactive>firing',
      'firing>resolved',
      'inactive>firing',
      'firing>resolved',
    ]);
    const [fire1, resolve1, fire2, resolve2] = ts as [
      AlertTransition,
      AlertTransition,
      AlertTransition,
      AlertTransition,
    ];
    expect(fire1.episodeId).toBeTruthy();
    expect(resolve1.episodeId).toBe(fire1.episodeId);
    expect(fire2.episodeId).toBeTruthy();
    expect(fire2.episodeId).not.toBe(fire1.episodeId);
    expect(resolve2.episodeId).toBe(fire2.episodeId);
    expect(ts.map((t) => t.seq)).toEqual([1, 2, 3, 4]);
    expect(new Set(ts.map((t) => t.fingerprint)).size).toBe(1);
    expect(fire1.time).toBe(endOf(1));
    expect(resolve2.time).toBe(endOf(6));
  });
});

describe('notifications', () => {
  const fifteen = (value: number): Values =>
    Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`f${String(i).padStart(2, '0')}`, value]),
    );

  it('15 drifting features of one model under one rule: exactly one notification with 15 alerts', () => {
    const engine = engineOf([rule({ receivers: ['hook', 'mail'] })]);
    const out = feed(engine, 1, [fifteen(0.3), fifteen(0.35), fifteen(0.4)]);
    expect(out[0]?.transitions).toHaveLength(15);
    expect(kinds(out)).toEqual(['1:firing']);
    const n = only(out[0]?.notifications ?? []);
    expect(n).toMatchObject({
      kind: 'firing',
      status: 'firing',
      groupSeq: 1,
      severity: 'warning',
      time: endOf(1),
      receivers: ['hook', 'mail'],
      groupLabels: { rule: 'psi-high', model: 'fraud', model_version: '3' },
    });
    expect(n.alerts).toHaveLength(15);
    expect(n.alerts.every((a) => a.status === 'firing' && a.state === 'firing')).toBe(true);
    expect(n.alerts.map((a) => a.feature)).toEqual(Object.keys(fifteen(0)));
    expect(new Set(n.alerts.map((a) => a.fingerprint)).size).toBe(15);
  });

  it('two fresh engines fed the same windows produce identical notifications (ids included)', () => {
    const rows: Values[] = [
      { a: 0.3, b: 0.1 },
      { a: 0.3, b: 0.3 },
      { a: 0.1, b: 0.3 },
      { a: 0.1, b: 0.1 },
      { a: 0.5, b: 0.1 },
    ];
    const run = () => concat(feed(engineOf([rule()]), 1, rows));
    const first = run();
    const second = run();
    expect(first.notifications.length).toBeGreaterThanOrEqual(3);
    expect(second).toEqual(first);
    const ids = first.notifications.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(first.notifications.map((n) => n.groupKey)).size).toBe(1);
  });

  it('repeat_interval 1h over 5m windows: a repeat after 1h of still-firing windows, not before', () => {
    const engine = engineOf([rule({ repeat_interval: '1h' })]);
    const out = feed(engine, 1, repeatRow({ amount: 0.3 }, 26));
    expect(kinds(out)).toEqual(['1:firing', '13:repeat', '25:repeat']);
    const repeat = out[12]?.notifications[0] as AlertNotification;
    const firing = out[0]?.notifications[0] as AlertNotification;
    expect(repeat.time - firing.time).toBe(HOUR);
    expect(repeat.groupEpisodeId).toBe(firing.groupEpisodeId);
    expect(repeat.groupSeq).toBe(2);
    expect(repeat.id).not.toBe(firing.id);
  });

  it('still-firing windows without repeat_interval produce no notification', () => {
    const engine = engineOf([rule({ repeat_interval: 0 })]);
    expect(kinds(feed(engine, 1, repeatRow({ amount: 0.3 }, 100)))).toEqual(['1:firing']);
  });

  it('a severity rise (escalate) is an update at once, even within group_interval', () => {
    const engine = engineOf([
      rule({ escalate: { threshold: 0.5, severity: 'critical' }, group_interval: '30m' }),
    ]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.6 },
      { amount: 0.3 },
      ...repeatRow({ amount: 0.3 }, 5),
    ]);
    expect(kinds(out)).toEqual(['1:firing', '2:update', '8:update']);
    expect(out[0]?.notifications[0]?.severity).toBe('warning');
    const up = out[1]?.notifications[0] as AlertNotification;
    expect(up.severity).toBe('critical');
    expect(up.alerts[0]?.severity).toBe('critical');
    // Back down: a change, but only told after group_interval (30m after the last one).
    const down = out[7]?.notifications[0] as AlertNotification;
    expect(down.time - up.time).toBe(30 * MINUTE);
    expect(down.severity).toBe('warning');
  });

  it('a new feature firing in an already-notified group is an update after group_interval', () => {
    const engine = engineOf([rule({ group_interval: '15m' })]);
    const out = feed(engine, 1, [
      { a: 0.3, b: 0.1 },
      { a: 0.3, b: 0.3 },
      { a: 0.3, b: 0.3 },
      { a: 0.3, b: 0.3 },
      { a: 0.3, b: 0.3 },
    ]);
    expect(kinds(out)).toEqual(['1:firing', '4:update']);
    const update = out[3]?.notifications[0] as AlertNotification;
    expect(update.alerts.map((a) => [a.feature, a.status])).toEqual([
      ['a', 'firing'],
      ['b', 'firing'],
    ]);
    expect(update.groupSeq).toBe(2);
    expect(update.groupEpisodeId).toBe(out[0]?.notifications[0]?.groupEpisodeId);
  });

  it('one alert resolving while another still fires is an update listing it as resolved', () => {
    const engine = engineOf([rule()]);
    const out = feed(engine, 1, [
      { a: 0.3, b: 0.3 },
      { a: 0.1, b: 0.3 },
      { a: 0.1, b: 0.1 },
    ]);
    expect(kinds(out)).toEqual(['1:firing', '2:update', '3:resolved']);
    const update = out[1]?.notifications[0] as AlertNotification;
    // Still firing first: what the on-call engineer must act on leads the list.
    expect(update.alerts.map((a) => [a.feature, a.status])).toEqual([
      ['b', 'firing'],
      ['a', 'resolved'],
    ]);
    const resolved = out[2]?.notifications[0] as AlertNotification;
    expect(resolved.alerts.map((a) => [a.feature, a.status])).toEqual([['b', 'resolved']]);
  });

  it('resolved goes only to receivers with send_resolved (receiver setting over the rule)', () => {
    const receivers = {
      ...RECEIVERS,
      hook2: { type: 'webhook', url: 'https://b.example.com/x', send_resolved: true },
    };
    const engine = engineOf([rule({ receivers: ['hook', 'mail'] })], receivers);
    const out = feed(engine, 1, [{ amount: 0.3 }, { amount: 0.1 }]);
    expect(out[0]?.notifications[0]?.receivers).toEqual(['hook', 'mail']);
    expect(only(out[1]?.notifications ?? []).receivers).toEqual(['hook']);

    const quiet = engineOf(
      [rule({ receivers: ['hook', 'mail', 'hook2'], send_resolved: false })],
      receivers,
    );
    const q = feed(quiet, 1, [{ amount: 0.3 }, { amount: 0.1 }]);
    expect(only(q[1]?.notifications ?? []).receivers).toEqual(['hook2']);
  });

  it('the resolved notification belongs to the group episode of its firing', () => {
    const engine = engineOf([
      rule({ escalate: { threshold: 0.5, severity: 'critical' }, group_interval: '5m' }),
    ]);
    const out = feed(engine, 1, [{ amount: 0.6 }, { amount: 0.6 }, { amount: 0.1 }]);
    expect(kinds(out)).toEqual(['1:firing', '3:resolved']);
    const firing = out[0]?.notifications[0] as AlertNotification;
    const resolved = out[2]?.notifications[0] as AlertNotification;
    expect(firing.groupSeq).toBe(1);
    expect(resolved.groupEpisodeId).toBe(firing.groupEpisodeId);
    expect(resolved.groupSeq).toBe(2);
    expect(resolved.severity).toBe('critical');
    expect(resolved.id).not.toBe(firing.id);
    // The next firing starts a new group episode, numbered from 1 again.
    const again = feed(engine, 4, [{ amount: 0.6 }]);
    const next = only(again[0]?.notifications ?? []);
    expect(next.kind).toBe('firing');
    expect(next.groupSeq).toBe(1);
    expect(next.groupEpisodeId).not.toBe(firing.groupEpisodeId);
  });

  it('an alert that fires and resolves inside group_wait produces no notification at all', () => {
    const engine = engineOf([rule({ group_wait: '15m' })]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.1 },
      ...repeatRow({ amount: 0.1 }, 6),
    ]);
    expect(moves(concat(out).transitions)).toEqual(['inactive>firing', 'firing>resolved']);
    expect(concat(out).notifications).toEqual([]);
    expect(concat([engine.tick(endOf(20))]).notifications).toEqual([]);
  });

  it('group_wait holds the first firing and collects what fires within it', () => {
    const engine = engineOf([rule({ group_wait: '10m' })]);
    const out = feed(engine, 1, [
      { a: 0.3, b: 0.1, c: 0.1 },
      { a: 0.3, b: 0.3, c: 0.1 },
      { a: 0.3, b: 0.3, c: 0.1 },
    ]);
    expect(kinds(out)).toEqual(['3:firing']);
    const n = out[2]?.notifications[0] as AlertNotification;
    expect(n.alerts.map((a) => a.feature)).toEqual(['a', 'b']);
    expect(n.time).toBe(endOf(3));
  });

  it('group_wait elapses on tick as well (event time), without new windows', () => {
    const engine = engineOf([rule({ group_wait: '10m' })]);
    expect(kinds(feed(engine, 1, [{ amount: 0.3 }]))).toEqual([]);
    expect(engine.tick(endOf(1) + 9 * MINUTE).notifications).toEqual([]);
    expect(engine.tick(endOf(1) + 10 * MINUTE).notifications.map((n) => n.kind)).toEqual([
      'firing',
    ]);
  });

  it('an alert firing again after quiet windows is notified again', () => {
    const engine = engineOf([rule()]);
    const out = feed(engine, 1, [
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.3 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.1 },
      { amount: 0.3 },
    ]);
    expect(kinds(out)).toEqual(['1:firing', '2:resolved', '4:firing', '5:resolved', '8:firing']);
  });

  it('pending alerts are not listed in a notification', () => {
    const engine = engineOf([rule({ for: 2 })]);
    const out = feed(engine, 1, [
      { a: 0.3, b: 0.1 },
      { a: 0.3, b: 0.3 },
    ]);
    const n = only(out[1]?.notifications ?? []);
    expect(n.alerts.map((a) => [a.feature, a.status, a.state])).toEqual([
      ['a', 'firing', 'firing'],
    ]);
  });

  it('flapping: an instance alternating breach/clear is notified a bounded number of times', () => {
    const engine = engineOf([rule({ flapping: { max_episodes: 3, within: '6h' } })]);
    const flips = Array.from({ length: 40 }, (_, i) => ({ amount: i % 2 === 0 ? 0.3 : 0.1 }));
    const out = feed(engine, 1, flips);
    // 20 episodes, but only the first ones are told; once flapping it is held as firing.
    expect(concat(out).transitions.filter((t) => t.to === 'firing')).toHaveLength(20);
    const sent = concat(out).notifications;
    expect(sent.length).toBeLessThanOrEqual(5);
    const last = sent.at(-1) as AlertNotification;
    expect(last.status).toBe('firing');
    expect(last.alerts[0]).toMatchObject({ flapping: true, status: 'firing' });
    expect(last.alerts[0]?.stateReason).toMatch(/flapping/);
    const lastAt = out.findIndex((o) => o.notifications.includes(last)) + 1;
    expect(lastAt).toBeLessThanOrEqual(5);
    expect(kinds(out.slice(lastAt), lastAt + 1)).toEqual([]);

    // Settled: clear for longer than `within` → the flapping alert is resolved once.
    const calm = feed(engine, 41, repeatRow({ amount: 0.1 }, 80));
    const after = concat(calm).notifications;
    expect(after.map((n) => n.kind)).toEqual(['resolved']);
    expect(after[0]?.alerts[0]).toMatchObject({ status: 'resolved', flapping: false });
  });
});

describe('engines of an alert log with several partitions (groupScope)', () => {
  const firingIds = (engine: AlertEngine, model: string) =>
    engine.evaluate(windowOf(1, { amount: 0.3 }, { model })).notifications.map((n) => n.id);

  it('a rule grouping without model forms groups of its own per partition: ids never collide', () => {
    const rules = [rule({ match: { model: '*', method: 'psi' }, group_by: ['feature'] })];
    const q0 = firingIds(engineOf(rules, RECEIVERS, { groupScope: '0' }), 'fraud');
    const q1 = firingIds(engineOf(rules, RECEIVERS, { groupScope: '1' }), 'churn');
    expect(q0).toHaveLength(1);
    expect(q1).toHaveLength(1);
    expect(q1).not.toEqual(q0);
  });

  it('a rule grouping by model keeps the ids a single engine gives (the group is in one partition)', () => {
    const rules = [rule({ match: { model: '*', method: 'psi' } })];
    const scoped = firingIds(engineOf(rules, RECEIVERS, { groupScope: '1' }), 'fraud');
    expect(scoped).toHaveLength(1);
    expect(scoped).toEqual(firingIds(engineOf(rules), 'fraud'));
  });
});

describe('stale_after', () => {
  const staleRule = rule({ stale_after: '30m', stale_severity: 'info' });

  it('fires <rule>:stale once ticks pass stale_after, and resolves when sufficient windows return', () => {
    const engine = engineOf([staleRule]);
    const start = feed(engine, 1, repeatRow({ amount: 0.1 }, 3));
    expect(concat(start).notifications).toEqual([]);
    const last = endOf(3);
    expect(concat([engine.tick(last + 29 * MINUTE)]).notifications).toEqual([]);
    const stale = engine.tick(last + 30 * MINUTE);
    const n = only(stale.notifications);
    expect(n.kind).toBe('firing');
    expect(n.severity).toBe('info');
    expect(n.groupLabels.rule).toBe('psi-high:stale');
    const alert = only(n.alerts);
    expect(alert).toMatchObject({
      rule: 'psi-high:stale',
      model: 'fraud',
      modelVersion: '3',
      statistic: 'seconds_without_data',
      value: 1800,
      status: 'firing',
      startsAt: last + 30 * MINUTE,
    });
    expect(moves(stale.transitions)).toEqual(['inactive>firing']);
    // Still stale: nothing more (no repeat configured).
    expect(engine.tick(last + 2 * HOUR).notifications).toEqual([]);

    const back = engine.evaluate(windowOf(30, { amount: 0.1 }));
    const resolved = only(back.notifications);
    expect(resolved.kind).toBe('resolved');
    expect(resolved.groupEpisodeId).toBe(n.groupEpisodeId);
    expect(only(resolved.alerts)).toMatchObject({ rule: 'psi-high:stale', status: 'resolved' });
    expect(moves(back.transitions)).toEqual(['firing>resolved']);
  });

  it('gives the stale alert its stale_ annotations, and the drift alert never sees them', () => {
    const annotated = rule({
      stale_after: '30m',
      annotations: {
        summary: 'PSI {{value}} on {{feature}}',
        runbook_url: 'https://runbooks.test/feature-drift.md',
        stale_runbook_url: 'https://runbooks.test/stale-data.md',
        stale_summary: 'no data from {{model}} for {{value}} s',
      },
    });
    const engine = engineOf([annotated]);
    const drifting = concat(feed(engine, 1, repeatRow({ amount: 0.9 }, 3)));
    const driftAlert = only(only(drifting.notifications).alerts);
    expect(driftAlert.annotations).toEqual({
      summary: 'PSI 0.9 on amount',
      runbook_url: 'https://runbooks.test/feature-drift.md',
    });
    const stale = engine.tick(endOf(3) + 30 * MINUTE);
    const staleNotice = stale.notifications.find((n) => n.groupLabels.rule === 'psi-high:stale');
    const staleAlert = only(staleNotice?.alerts ?? []);
    expect(staleAlert.annotations).toEqual({
      summary: 'no data from fraud for 1800 s',
      runbook_url: 'https://runbooks.test/stale-data.md',
    });
    expect(staleNotice?.links.runbook).toBe('https://runbooks.test/stale-data.md');
  });

  it('insufficient windows do not count as data: it goes stale while they keep coming', () => {
    const engine = engineOf([staleRule]);
    feed(engine, 1, [{ amount: 0.1 }]);
    const thin = feed(engine, 2, repeatRow({ amount: 0.1 }, 8), { n: 3 });
    // window 7 ends 30 min after window 1.
    expect(kinds(thin, 2)).toEqual(['7:firing']);
    expect(thin[5]?.notifications[0]?.alerts[0]?.rule).toBe('psi-high:stale');
  });

  it('a stale model that comes back and goes stale again is notified again', () => {
    const engine = engineOf([staleRule]);
    feed(engine, 1, [{ amount: 0.1 }]);
    const kindsSeen: string[] = [];
    const note = (o: StepOutput) => kindsSeen.push(...o.notifications.map((n) => n.kind));
    note(engine.tick(endOf(1) + 30 * MINUTE));
    note(engine.evaluate(windowOf(10, { amount: 0.1 })));
    note(engine.evaluate(windowOf(11, { amount: 0.1 })));
    note(engine.tick(endOf(11) + 30 * MINUTE));
    expect(kindsSeen).toEqual(['firing', 'resolved', 'firing']);
  });
});

describe('retraining requests', () => {
  const receivers = {
    ...RECEIVERS,
    retrain: {
      type: 'retrain',
      url: 'https://ml.example.com/retrain',
      min_severity: 'critical',
      min_drifted_features: 2,
      min_firing_for: '15m',
      cooldown: '24h',
    },
  };
  const retrainRule = rule({
    receivers: ['hook', 'retrain'],
    escalate: { threshold: 0.5, severity: 'critical' },
  });
  const retrains = (outs: readonly StepOutput[]) =>
    concat(outs).notifications.filter((n) => n.kind === 'retrain');

  it('one request per group episode, not before min_firing_for; never a normal notification', () => {
    const engine = engineOf([retrainRule], receivers);
    const out = feed(engine, 1, repeatRow({ a: 0.6, b: 0.7, c: 0.1 }, 10));
    expect(kinds(out)).toEqual(['1:firing', '4:retrain']);
    const req = only(retrains(out));
    expect(req.receivers).toEqual(['retrain']);
    expect(req.retrain).toMatchObject({
      requestId: req.id,
      model: 'fraud',
      modelVersion: '3',
      baseline: 'b1',
      severity: 'critical',
      firingSince: endOf(1),
      windowEnd: endOf(4),
    });
    expect(req.retrain?.driftedFeatures.map((f) => f.feature)).toEqual(['a', 'b']);
    expect(req.time - endOf(1)).toBe(15 * MINUTE);
    for (const n of concat(out).notifications) {
      if (n.kind !== 'retrain') expect(n.receivers).not.toContain('retrain');
    }

    // The same windows in a fresh engine: the same request id.
    const again = feed(engineOf([retrainRule], receivers), 1, repeatRow({ a: 0.6, b: 0.7 }, 4));
    expect(only(retrains(again)).id).toBe(req.id);
  });

  it('not below min_severity', () => {
    const engine = engineOf([retrainRule], receivers);
    const out = feed(engine, 1, repeatRow({ a: 0.3, b: 0.4 }, 12));
    expect(retrains(out)).toEqual([]);
    expect(kinds(out)).toEqual(['1:firing']);
  });

  it('not with fewer drifted features than min_drifted_features', () => {
    const engine = engineOf([retrainRule], receivers);
    expect(retrains(feed(engine, 1, repeatRow({ a: 0.9, b: 0.1 }, 12)))).toEqual([]);
  });

  it('none within the cooldown for the same model, even in a new episode; again after it', () => {
    const engine = engineOf([retrainRule], receivers);
    const drift = repeatRow({ a: 0.6, b: 0.6 }, 4);
    const calm = repeatRow({ a: 0.1, b: 0.1 }, 2);
    const first = retrains(feed(engine, 1, [...drift, ...calm]));
    expect(first).toHaveLength(1);
    // A new episode a few hours later: inside the 24h cooldown.
    const second = feed(engine, 50, [...drift, ...calm]);
    expect(kinds(second, 50)).toEqual(['50:firing', '54:resolved']);
    expect(retrains(second)).toEqual([]);
    // 24h after the first request (window 4 + 288 windows): allowed again, with a new id.
    const third = retrains(feed(engine, 292, drift));
    expect(third).toHaveLength(1);
    expect(third[0]?.id).not.toBe(first[0]?.id);
    expect(third[0]?.time).toBe(endOf(295));
  });

  it('not before the group notified (group_wait), nor for flapping alerts or stale-data alerts', () => {
    const waiting = engineOf([{ ...retrainRule, group_wait: '30m', min_samples: 50 }], receivers);
    const out = feed(waiting, 1, repeatRow({ a: 0.6, b: 0.7 }, 10));
    // Firing from window 1, notified after group_wait at window 7: the request follows it.
    expect(kinds(out)).toEqual(['7:firing', '7:retrain']);

    const stale = engineOf(
      [{ ...retrainRule, stale_after: '30m', stale_severity: 'critical' }],
      receivers,
    );
    feed(stale, 1, repeatRow({ a: 0.1, b: 0.1 }, 2));
    const ticks = [stale.tick(endOf(20)), stale.tick(endOf(21))];
    expect(concat(ticks).notifications.map((n) => n.groupLabels.rule)).toEqual(['psi-high:stale']);
    expect(retrains(ticks)).toEqual([]);
  });

  it('a rule whose only receiver is a retrain receiver sends nothing but the request', () => {
    const engine = engineOf([{ ...retrainRule, receivers: ['retrain'] }], receivers);
    const out = feed(engine, 1, [...repeatRow({ a: 0.6, b: 0.6 }, 5), { a: 0.1, b: 0.1 }]);
    expect(kinds(out)).toEqual(['4:retrain']);
  });
});

describe('replays and persistence', () => {
  it('evaluating a window again (same windowEnd of the model/version) is a no-op', () => {
    const engine = engineOf([rule()]);
    const first = engine.evaluate(windowOf(1, { amount: 0.3 }));
    expect(first.notifications).toHaveLength(1);
    engine.takeChanges();
    expect(engine.evaluate(windowOf(1, { amount: 0.3 }))).toEqual({
      transitions: [],
      notifications: [],
      silenced: [],
    });
    // Even with a different value: that window was already decided.
    expect(engine.evaluate(windowOf(1, { amount: 0.01 }))).toEqual({
      transitions: [],
      notifications: [],
      silenced: [],
    });
    feed(engine, 2, [{ amount: 0.3 }]);
    // An older window is skipped as well.
    expect(engine.evaluate(windowOf(1, { amount: 0.01 })).transitions).toEqual([]);
    expect(engine.takeChanges().filter((r) => r.key.startsWith('i/'))).toHaveLength(1);
    // Another version of the model is a series of its own.
    const other = engine.evaluate(windowOf(1, { amount: 0.3 }, { modelVersion: '4' }));
    expect(moves(other.transitions)).toEqual(['inactive>firing']);
  });

  /** Engine A's durable records, as JSON, newest per key. */
  function persisted(records: readonly StateRecord[][]): Map<string, unknown> {
    const store = new Map<string, unknown>();
    for (const batch of records) {
      for (const r of batch) store.set(r.key, JSON.parse(JSON.stringify(r.value)) as unknown);
    }
    return store;
  }

  function restart(text: string, store: Map<string, unknown>): AlertEngine {
    const loaded = compileText(text);
    const engine = new Engine(loaded.rules, loaded.policies);
    for (const [key, value] of store) engine.restore(key, value);
    return engine;
  }

  const text = rulesText(
    [
      rule({
        receivers: ['hook', 'retrain'],
        keep_firing_for: 1,
        escalate: { threshold: 0.5, severity: 'critical' },
        stale_after: '1h',
        repeat_interval: '30m',
      }),
    ],
    {
      ...RECEIVERS,
      retrain: {
        type: 'retrain',
        url: 'https://ml.example.com/retrain',
        min_drifted_features: 1,
        min_firing_for: '20m',
      },
    },
  );

  const before: Values[] = [
    { a: 0.1, b: 0.1 },
    { a: 0.3, b: 0.1 },
    { a: 0.3, b: 0.3 },
    { a: 0.6, b: 0.3 },
  ];
  const after: Values[] = [
    { a: 0.6, b: 0.3 },
    { a: 0.6, b: 0.1 },
    { a: 0.6, b: 0.1 },
    { a: 0.3, b: 0.1 },
    { a: 0.1, b: 0.1 },
    { a: 0.1, b: 0.1 },
    { a: 0.1, b: 0.1 },
    { a: 0.3, b: 0.1 },
    { a: 0.3, b: 0.1 },
  ];

  it.each([1, 2, 3, 4])(
    'a restart after window %i resumes exactly: the same transitions and notifications',
    (cut) => {
      const a = restart(text, new Map());
      const batches: StateRecord[][] = [];
      const outA = feed(a, 1, before.slice(0, cut));
      batches.push(a.takeChanges());
      const b = restart(text, persisted(batches));
      const rest = [...before.slice(cut), ...after];
      const nextA: StepOutput[] = [];
      const nextB: StepOutput[] = [];
      rest.forEach((values, k) => {
        nextA.push(a.evaluate(windowOf(cut + 1 + k, values)));
        nextB.push(b.evaluate(windowOf(cut + 1 + k, values)));
      });
      nextA.push(a.tick(endOf(cut + rest.length) + 2 * HOUR));
      nextB.push(b.tick(endOf(cut + rest.length) + 2 * HOUR));
      expect(nextB).toEqual(nextA);
      const all = concat([...outA, ...nextA]).notifications.map((n) => n.kind);
      expect(all.filter((k) => k === 'firing').length).toBeGreaterThanOrEqual(2);
      expect(all).toContain('resolved');
      expect(all).toContain('retrain');
    },
  );

  it('a restart mid-episode sends no second firing and still sends the resolved', () => {
    const a = restart(text, new Map());
    const batches: StateRecord[][] = [];
    for (const values of [{ amount: 0.3 }, { amount: 0.3 }]) {
      a.evaluate(windowOf(batches.length + 1, values));
      batches.push(a.takeChanges());
    }
    const b = restart(text, persisted(batches));
    const out = feed(b, 3, [{ amount: 0.3 }, { amount: 0.1 }, { amount: 0.1 }]);
    expect(kinds(out, 3)).toEqual(['5:resolved']);
    expect(moves(concat(out).transitions)).toEqual(['firing>recovering', 'recovering>resolved']);
    // The replayed window 2 is skipped after the restart too.
    expect(b.evaluate(windowOf(2, { amount: 0.3 })).transitions).toEqual([]);
  });

  it('restoring every record of takeChanges (in batches, newest wins) equals restoring once', () => {
    const a = restart(text, new Map());
    const batches: StateRecord[][] = [];
    const rows = [...before, ...after];
    rows.forEach((values, k) => {
      a.evaluate(windowOf(k + 1, values));
      batches.push(a.takeChanges());
    });
    const b = restart(text, persisted(batches));
    expect(b.now).toBe(a.now);
    expect([...b.countByState()].sort()).toEqual([...a.countByState()].sort());
    const tail = rows.length + 1;
    expect(feed(b, tail, after)).toEqual(feed(a, tail, after));
  });
});

describe('setRules', () => {
  it('a removed rule: its firing alerts resolve (rule removed) at the next tick', () => {
    const other = {
      name: 'missing-high',
      when: 'missing_share > 0.5',
      receivers: ['hook'],
      repeat_interval: 0,
    };
    const engine = engineOf([rule(), other]);
    const fired = feed(engine, 1, [{ a: 0.3, b: 0.3 }]);
    expect(kinds(fired)).toEqual(['1:firing']);
    const next = compileText(rulesText([other]));
    engine.setRules(next.rules, next.policies);
    expect(engine.ruleCount).toBe(1);
    const out = engine.tick(endOf(2));
    expect(out.transitions.map((t) => [t.feature, t.from, t.to, t.rule, t.reason])).toEqual([
      ['a', 'firing', 'resolved', 'psi-high', 'rule removed from the rules file'],
      ['b', 'firing', 'resolved', 'psi-high', 'rule removed from the rules file'],
    ]);
    const n = only(out.notifications);
    expect(n.kind).toBe('resolved');
    expect(n.groupEpisodeId).toBe(fired[0]?.notifications[0]?.groupEpisodeId);
    expect(n.alerts.map((x) => [x.feature, x.status])).toEqual([
      ['a', 'resolved'],
      ['b', 'resolved'],
    ]);
    // Afterwards the removed rule is not evaluated any more.
    const later = feed(engine, 3, [{ a: 0.9, b: 0.9 }]);
    expect(concat(later)).toEqual({ transitions: [], notifications: [], silenced: [] });
  });

  // BUG (alert-engine/engine.ts, resolveRetired): once a removed rule's alerts are resolved and told,
  // the instances are never stepped again, so they are never forgotten (the flapping history
  // keeps them) and the rule stays in `retired` for good. Remove `.fails` once fixed.
  it('a removed rule is forgotten once its resolution is told', () => {
    const other = {
      name: 'missing-high',
      when: 'missing_share > 0.5',
      receivers: ['hook'],
      repeat_interval: 0,
    };
    const engine = engineOf([rule(), other]);
    feed(engine, 1, [{ a: 0.3 }]);
    const next = compileText(rulesText([other]));
    engine.setRules(next.rules, next.policies);
    expect(kinds([engine.tick(endOf(2))])).toEqual(['1:resolved']);
    feed(engine, 3, repeatRow({ a: 0.3 }, 3));
    expect([...engine.countByState().keys()].filter((k) => k.startsWith('psi-high'))).toEqual([]);
  });

  it('at the next evaluate too, and a pending alert of a removed rule just goes inactive', () => {
    const engine = engineOf([rule({ for: 3 }), rule({ name: 'psi-any', when: 'value > 0' })]);
    feed(engine, 1, [{ a: 0.3 }]);
    const next = compileText(rulesText([rule({ name: 'psi-any', when: 'value > 0' })]));
    engine.setRules(next.rules, next.policies);
    const out = engine.evaluate(windowOf(2, { a: 0.3 }));
    expect(out.transitions.map((t) => [t.rule, t.from, t.to])).toEqual([
      ['psi-high', 'pending', 'inactive'],
    ]);
    expect(out.notifications).toEqual([]);
  });
});

describe('review regressions', () => {
  /** Every record the engine wrote, newest per key, as a restart reads them back. */
  function restartFrom(records: StateRecord[], into: AlertEngine): void {
    const latest = new Map<string, unknown>();
    for (const r of records) latest.set(r.key, JSON.parse(JSON.stringify(r.value)) as unknown);
    for (const [key, value] of latest) into.restore(key, value);
  }

  it('a rule removed while the daemon was down still resolves its alerts after the restart', () => {
    const before = engineOf([rule()]);
    expect(kinds(feed(before, 1, [{ amount: 0.3 }]))).toEqual(['1:firing']);
    const records = before.takeChanges();
    const after = engineOf([]);
    restartFrom(records, after);
    const out = after.evaluate(windowOf(2, { amount: 0.3 }));
    expect(out.notifications.map((n) => [n.kind, n.alerts[0]?.stateReason])).toEqual([
      ['resolved', 'rule removed from the rules file'],
    ]);
    expect(after.countByState().size).toBe(0);
  });

  it('removing stale_after resolves a firing stale alert instead of leaving it firing', () => {
    const stale = rule({ stale_after: '30m' });
    const engine = engineOf([stale]);
    feed(engine, 1, [{ amount: 0.1 }]);
    expect(engine.tick(endOf(10)).notifications.map((n) => n.groupLabels.rule)).toEqual([
      'psi-high:stale',
    ]);
    const loaded = compileText(rulesText([rule()]));
    engine.setRules(loaded.rules, loaded.policies);
    const out = engine.tick(endOf(11));
    expect(out.notifications.map((n) => [n.kind, n.groupLabels.rule])).toEqual([
      ['resolved', 'psi-high:stale'],
    ]);
  });

  it('a series that stops for good resolves ("series gone") and is forgotten', () => {
    const loaded = compileText(rulesText([rule({ stale_after: '30m' })]));
    const engine = new Engine(loaded.rules, loaded.policies, { forgetAfterMs: 6 * HOUR });
    feed(engine, 1, [{ amount: 0.3 }]);
    // Another model keeps the clock going; fraud@3 sends nothing any more.
    const later = feed(engine, 2, repeatRow({}, 1), { model: 'other' });
    expect(concat(later).notifications).toEqual([]);
    const gone = engine.tick(endOf(1) + 7 * HOUR);
    const reasons = concat([gone]).notifications.flatMap((n) =>
      n.alerts.map((a) => [n.kind, a.rule, a.stateReason]),
    );
    expect(reasons).toContainEqual([
      'resolved',
      'psi-high',
      'series gone: no window for a long time',
    ]);
    engine.tick(endOf(1) + 8 * HOUR);
    expect(engine.countByState().size).toBe(0);
  });

  it('records unchanged for refreshAfterMs are written again (the alert log has a retention)', () => {
    const loaded = compileText(rulesText([rule({ repeat_interval: 0 })]));
    const engine = new Engine(loaded.rules, loaded.policies, { refreshAfterMs: HOUR });
    feed(engine, 1, [{ amount: 0.3 }]);
    const first = engine.takeChanges().map((r) => r.key);
    expect(first.some((k) => k.startsWith('g/'))).toBe(true);
    feed(engine, 2, [{ amount: 0.3 }]);
    expect(engine.takeChanges().some((r) => r.key.startsWith('g/'))).toBe(false);
    engine.tick(endOf(1) + 2 * HOUR);
    expect(engine.takeChanges().some((r) => r.key.startsWith('g/'))).toBe(true);
  });

  it('lists at most 100 alerts, firing and severe first, and counts the rest', () => {
    const engine = engineOf([rule({ match: { model: 'fraud', method: 'psi', feature: '*' } })]);
    const values: Values = {};
    for (let i = 0; i < 130; i++) values[`f${String(i).padStart(3, '0')}`] = 0.3;
    const n = only(engine.evaluate(windowOf(1, values)).notifications);
    expect(n.alerts).toHaveLength(100);
    expect(n.truncatedAlerts).toBe(30);
  });

  it('after a restore, groups notify in the same order and with the same ids as without one', () => {
    const rules = [
      rule({ group_by: ['model', 'model_version', 'feature'] }),
      rule({
        name: 'psi-low',
        when: 'value > 0.2',
        group_by: ['model', 'model_version', 'feature'],
      }),
    ];
    const live = engineOf(rules);
    const restarted = engineOf(rules);
    const records: StateRecord[] = [];
    const start: Values[] = [{ zeta: 0.3 }, { zeta: 0.3, alpha: 0.3 }];
    for (const [k, values] of start.entries()) {
      live.evaluate(windowOf(1 + k, values));
      records.push(...live.takeChanges());
    }
    restartFrom(records.reverse(), restarted);
    const next = { zeta: 0.1, alpha: 0.1 };
    const a = live.evaluate(windowOf(3, next)).notifications.map((n) => n.id);
    const b = restarted.evaluate(windowOf(3, next)).notifications.map((n) => n.id);
    expect(a.length).toBeGreaterThan(1);
    expect(b).toEqual(a);
  });
});
