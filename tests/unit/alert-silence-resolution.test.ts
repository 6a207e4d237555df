import { describe, expect, it } from 'vitest';
import type { StepOutput } from '../../alert-engine/engine.js';
import { SilenceSet } from '../../alert-engine/silence.js';
import { endOf, engineOf, rule, windowOf } from '../support/rules.js';
import { kinds, run, silence } from '../support/silences.js';

/**
 * A resolution while a silence holds the alert (Alertmanager's behaviour, what users rely on):
 * receivers told it was firing before the silence are told it resolved once the silence ends,
 * never left with a "firing" forever; one that fired and resolved inside the silence is never
 * told, and leaves no trace in later notifications.
 */

/** `window:feature=status` of every alert in every notification. */
const told = (outs: readonly StepOutput[]) =>
  outs.flatMap((o, k) =>
    o.notifications.flatMap((n) => n.alerts.map((a) => `${k + 1}:${a.labels.feature}=${a.status}`)),
  );

describe('resolution while a silence holds the alert', () => {
  it('told firing before the silence: told resolved once it ends, naming the silence', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(2), endsAt: endOf(5) })]));
    const outs = run(engine, [0.3, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(outs[2]?.transitions.map((t) => t.to)).toEqual(['resolved']);
    expect(kinds(outs)).toEqual(['1:firing', '5:resolved']);
    const resolved = outs[4]?.notifications[0];
    expect(resolved?.alerts.map((a) => [a.status, a.silenced?.id])).toEqual([['resolved', 's1']]);
    // The resolution closes the episode of the firing receivers were told.
    expect(resolved?.groupEpisodeId).toBe(outs[0]?.notifications[0]?.groupEpisodeId);
  });

  it('the owed resolution survives a restore mid-silence (a kill -9): told once after it', () => {
    const silences = new SilenceSet([silence({ startsAt: endOf(2), endsAt: endOf(5) })]);
    const engine = engineOf([rule()]);
    engine.setSilences(silences);
    const before = run(engine, [0.3, 0.3, 0.1]);
    expect(kinds(before)).toEqual(['1:firing']);
    const restored = engineOf([rule()]);
    for (const r of engine.takeChanges()) restored.restore(r.key, r.value);
    restored.setSilences(silences);
    const after = [4, 5, 6].map((i) => {
      const out = restored.evaluate(windowOf(i, { amount: 0.1 }));
      return out.notifications.map((n) => `${i}:${n.kind}:${n.alerts[0]?.silenced?.id ?? '-'}`);
    });
    expect(after.flat()).toEqual(['5:resolved:s1']);
  });

  it('told firing, the rest of its group resolves meanwhile: the group stays open for it', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(2), endsAt: endOf(6) })]));
    const both = (amount: number, age: number) => ({ amount, age });
    const outs = run(engine, [
      both(0.3, 0.3),
      both(0.3, 0.3),
      both(0.1, 0.3), // amount resolves, held
      both(0.1, 0.1), // age resolves, told: receivers still believe amount fires
      both(0.1, 0.1),
      both(0.1, 0.1), // the silence ended: amount's resolution is owed
      both(0.1, 0.1),
    ]);
    expect(told(outs)).toEqual([
      '1:age=firing',
      '1:amount=firing',
      '4:age=resolved',
      '6:amount=resolved',
    ]);
    expect(kinds(outs)).toEqual(['1:firing', '4:update', '6:resolved']);
    expect(outs[5]?.notifications[0]?.alerts[0]?.silenced?.id).toBe('s1');
  });

  it('fired and resolved inside the silence: never told, and a later episode is not "silenced"', () => {
    const engine = engineOf([rule()]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(4) })]));
    const outs = run(engine, [0.3, 0.1, 0.1, 0.1, 0.1, 0.3]);
    expect(outs.flatMap((o) => o.transitions.map((t) => t.to))).toEqual([
      'firing',
      'resolved',
      'firing',
    ]);
    expect(kinds(outs)).toEqual(['6:firing']);
    expect(outs[5]?.notifications[0]?.alerts[0]?.silenced).toBeNull();
  });

  it('pending inside the silence, firing after it: not "silenced" (it never was held firing)', () => {
    const engine = engineOf([rule({ for: '10m' })]);
    engine.setSilences(new SilenceSet([silence({ startsAt: endOf(1), endsAt: endOf(3) })]));
    const outs = run(engine, [0.3, 0.1, 0.1, 0.3, 0.3, 0.3]);
    expect(kinds(outs).length).toBe(1);
    const firing = outs.flatMap((o) => o.notifications)[0];
    expect(firing?.alerts[0]?.silenced).toBeNull();
  });
});
