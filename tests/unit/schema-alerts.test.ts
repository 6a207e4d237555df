import { describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../alert-engine/engine.js';
import type { StateRecord } from '../../alert-engine/engine-store.js';
import { newInstance } from '../../alert-engine/instance.js';
import type { DriftObservation } from '../../alert-engine/model.js';
import { LISTED_NAMES, listNames, parseListed } from '../../alert-engine/schema-names.js';
import { snapshotOf } from '../../alert-engine/snapshot.js';
import { compileText, endOf, engineOf, obs, rule, rulesText, WINDOW_MS } from '../support/rules.js';

/** The schema point of window `i` with the given name lists (counts follow the lists). */
function schemaPoint(
  i: number,
  names: { missing?: string[]; wrong?: string[]; added?: string[] } = {},
): DriftObservation {
  const { missing = [], wrong = [], added = [] } = names;
  const windowEnd = endOf(i);
  return obs({
    feature: '_dataset',
    method: 'schema',
    windowEnd,
    windowStart: windowEnd - WINDOW_MS,
    statistic: null,
    threshold: null,
    measures: {
      missing_features: missing.length,
      wrong_type_features: wrong.length,
      new_features: added.length,
    },
    details: {
      missing_feature_names: listNames(missing),
      wrong_type_feature_names: listNames(wrong),
      new_feature_names: listNames(added),
    },
  });
}

const SCHEMA_RULE = rule({
  name: 'schema-changed',
  match: { model: 'fraud' },
  when: 'new_features > 0',
  min_samples: 1,
});

function restartFrom(records: readonly StateRecord[], into: AlertEngine, strip?: string): void {
  const latest = new Map<string, unknown>();
  for (const r of records) latest.set(r.key, JSON.parse(JSON.stringify(r.value)) as unknown);
  for (const [key, value] of latest) {
    // An instance record as written before the names were kept: no `details`.
    if (strip && key.startsWith('i/') && value) delete (value as Record<string, unknown>)[strip];
    into.restore(key, value);
  }
}

describe('schema names in alert snapshots', () => {
  it('lists names as written, bounded with a count of the rest', () => {
    expect(parseListed(listNames(['a', 'b']))).toEqual({ names: ['a', 'b'], unlisted: 0 });
    expect(parseListed(listNames([]))).toEqual({ names: [], unlisted: 0 });
    const many = Array.from({ length: LISTED_NAMES + 5 }, (_, i) => `f${i}`);
    expect(parseListed(listNames(many))).toEqual({
      names: many.slice(0, LISTED_NAMES),
      unlisted: 5,
    });
  });

  it('a schema alert names the missing, wrong-type and new features of its window', () => {
    const engine = engineOf([SCHEMA_RULE]);
    const out = engine.evaluate([
      schemaPoint(1, { missing: ['age'], wrong: ['amount'], added: ['new_signal', 'promo'] }),
    ]);
    const alert = out.notifications[0]?.alerts[0];
    expect(alert?.method).toBe('schema');
    expect(alert?.schema).toEqual({
      missingFeatures: ['age'],
      wrongTypeFeatures: ['amount'],
      newFeatures: ['new_signal', 'promo'],
      unlisted: { missingFeatures: 0, wrongTypeFeatures: 0, newFeatures: 0 },
    });
  });

  it('the names are those of the last evaluated window (the resolve says none are new)', () => {
    const engine = engineOf([SCHEMA_RULE]);
    expect(engine.evaluate([schemaPoint(1, { added: ['x'] })]).notifications).toHaveLength(1);
    const resolved = engine.evaluate([schemaPoint(2, { missing: ['age'] })]).notifications[0];
    expect(resolved?.kind).toBe('resolved');
    expect(resolved?.alerts[0]?.schema).toMatchObject({
      newFeatures: [],
      missingFeatures: ['age'],
    });
  });

  it('other alerts have no schema', () => {
    const engine = engineOf([rule()]);
    const out = engine.evaluate([obs({ statistic: 0.4, drifted: true }), schemaPoint(1)]);
    expect(out.notifications[0]?.alerts.map((a) => a.schema)).toEqual([null]);
  });

  it('the names survive a restart; an instance written before them restores without', () => {
    const before = engineOf([SCHEMA_RULE]);
    before.evaluate([schemaPoint(1, { added: ['x'] })]);
    const records = before.takeChanges();
    const instance = records.find((r) => r.key.startsWith('i/'))?.value;
    expect(instance).toMatchObject({ details: { new_feature_names: 'x' } });

    const after = engineOf([SCHEMA_RULE]);
    restartFrom(records, after, 'details');
    const resolved = after.evaluate([schemaPoint(2)]).notifications[0];
    expect(resolved?.kind).toBe('resolved');
    expect(resolved?.alerts[0]?.schema?.newFeatures).toEqual([]);

    // A snapshot straight from such a record: the names are not known, so none are shown.
    const compiled = compileText(rulesText([SCHEMA_RULE])).rules[0];
    if (!compiled) throw new Error('no rule');
    const old = newInstance(
      compiled,
      { model: 'fraud', modelVersion: '3', feature: '_dataset', method: 'schema', window: '5m' },
      'g',
    );
    expect(snapshotOf(old, compiled, 'firing', 'firing').schema).toBeNull();
  });
});
