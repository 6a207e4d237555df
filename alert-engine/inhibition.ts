import type { Matcher } from './glob.js';
import type { InstanceState } from './instance.js';
import { ruleFromSettings, type AlertRule } from './rule.js';
import { alertLabels, type EngineStore } from './engine-store.js';
import { liveRule } from './lifecycle.js';

/**
 * Inhibition (Alertmanager's `inhibit_rules`): while an alert matching `source` is firing, the
 * alerts matching `target` with the same values of the `equal` labels are not notified. Their
 * state still changes (transitions, InfluxDB); only their notifications are held, and a target
 * still firing when the inhibition ends is notified then. Decided from the instances' states
 * after a window's evaluation, in no particular order, so live, restored and backtest agree.
 */
export interface InhibitRule {
  /** Label name → glob; every one must match. */
  source: readonly (readonly [string, Matcher])[];
  target: readonly (readonly [string, Matcher])[];
  /** Labels whose values must be equal in source and target (a missing label is ""). */
  equal: readonly string[];
}

const matchesAll = (
  matchers: InhibitRule['source'],
  labels: Readonly<Record<string, string>>,
): boolean => matchers.every(([label, match]) => match(labels[label] ?? ''));

const isFiring = (st: InstanceState) => st.state === 'firing' || st.state === 'recovering';

/**
 * Fingerprints of the alerts inhibited now. `alerts`: every instance with its labels. An alert
 * never inhibits itself (one that matches both sides).
 */
export function inhibitedAlerts(
  alerts: readonly { st: InstanceState; labels: Readonly<Record<string, string>> }[],
  rules: readonly InhibitRule[],
): Set<string> {
  const inhibited = new Set<string>();
  for (const rule of rules) {
    const keyOf = (labels: Readonly<Record<string, string>>) =>
      JSON.stringify(rule.equal.map((l) => labels[l] ?? ''));
    const sources = new Map<string, Set<string>>();
    for (const { st, labels } of alerts) {
      if (!isFiring(st) || !matchesAll(rule.source, labels)) continue;
      const key = keyOf(labels);
      let set = sources.get(key);
      if (!set) sources.set(key, (set = new Set()));
      set.add(st.fingerprint);
    }
    if (sources.size === 0) continue;
    for (const { st, labels } of alerts) {
      if (inhibited.has(st.fingerprint) || !matchesAll(rule.target, labels)) continue;
      const by = sources.get(keyOf(labels));
      if (by && (by.size > 1 || !by.has(st.fingerprint))) inhibited.add(st.fingerprint);
    }
  }
  return inhibited;
}

/** The alerts of the engine's state held back now (decided once per flush, before any group). */
export function inhibitedNow(
  store: EngineStore,
  rules: ReadonlyMap<string, AlertRule>,
  inhibitions: readonly InhibitRule[],
): ReadonlySet<string> {
  if (inhibitions.length === 0) return new Set();
  const alerts = store.sortedInstances().flatMap((st) => {
    const group = store.groups.get(st.groupKey);
    const rule = liveRule(rules, st.rule) ?? (group ? ruleFromSettings(group.settings) : undefined);
    return rule ? [{ st, labels: alertLabels(st, rule) }] : [];
  });
  return inhibitedAlerts(alerts, inhibitions);
}
