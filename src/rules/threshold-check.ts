import type { AlertRule, Comparison, Operator } from '../../alert-engine/rule.js';
import type { DriftMethod, DriftThresholds } from '../../detectors/settings.js';
import { DATASET_METHOD, type WindowDriftSettings } from '../drift/window-points.js';
import type { LoadedRules } from './rules-file.js';

/**
 * `rules validate`: comparisons that restate a threshold of the drift config and disagree
 * with it. The daemon's decision (`drifted`) uses `>=` for distances and `<=` for p-values;
 * a rule with `value > 0.25` beside `thresholds.psi: 0.25` leaves a window the daemon calls
 * drifted without an alert, and a different number means two definitions of drift.
 */

/** The decision a comparison restates: its statistic's operator and threshold, if any. */
interface Decision {
  op: Operator;
  threshold: number;
  key: string;
}

const DISTANCES: Partial<Record<DriftMethod, keyof DriftThresholds>> = {
  psi: 'psi',
  wasserstein: 'wasserstein',
  jensen_shannon: 'jensenShannon',
  hellinger: 'hellinger',
};
const TESTS: Partial<Record<DriftMethod, keyof DriftThresholds>> = {
  ks: 'ks',
  chi_square: 'chiSquare',
};

function decisionOf(
  c: Comparison,
  method: string,
  thresholds: DriftThresholds,
  settings: WindowDriftSettings,
): Decision | undefined {
  if (method === DATASET_METHOD) {
    if (c.statistic !== 'drift_share' && c.statistic !== 'value') return undefined;
    return { op: '>=', threshold: settings.datasetDriftShare, key: 'drift.datasetDriftShare' };
  }
  const distance = DISTANCES[method as DriftMethod];
  if (distance && c.statistic === 'value') {
    return { op: '>=', threshold: thresholds[distance], key: `drift.thresholds.${distance}` };
  }
  const test = TESTS[method as DriftMethod];
  if (test && c.statistic === 'p_value') {
    return { op: '<=', threshold: thresholds[test], key: `drift.thresholds.${test}` };
  }
  return undefined;
}

const strictness = (op: Operator) => (op === '>' || op === '<' ? 'strict' : 'inclusive');
const upward = (op: Operator) => op === '>' || op === '>=';

function disagreement(c: Comparison, d: Decision): string | undefined {
  if (upward(c.op) !== upward(d.op)) return undefined; // not a restatement of the decision
  if (c.threshold !== d.threshold) {
    return `fires at ${c.op} ${c.threshold} while the daemon decides drift at ${d.op} ${d.threshold}`;
  }
  if (strictness(c.op) !== strictness(d.op)) {
    return `a value of exactly ${d.threshold} is drifted for the daemon (${d.op}) but does not fire (${c.op})`;
  }
  return undefined;
}

/** Methods the drift config computes: numeric, categorical and the dataset share. */
function configuredMethods(settings: WindowDriftSettings): string[] {
  return [
    ...new Set<string>([
      ...settings.numericMethods,
      ...settings.categoricalMethods,
      DATASET_METHOD,
    ]),
  ].sort();
}

function ruleWarnings(rule: AlertRule, settings: WindowDriftSettings, source: string): string[] {
  if (rule.condition.kind !== 'compare') return [];
  const out: string[] = [];
  // The window-wide thresholds, then every per-feature override the rule's features reach.
  const scopes: { label: string; thresholds: DriftThresholds }[] = [
    { label: '', thresholds: settings.thresholds },
    ...[...settings.features]
      .filter(([feature, o]) => o.thresholds !== undefined && rule.match.feature(feature))
      .map(([feature, o]) => ({
        label: ` (feature ${feature})`,
        thresholds: { ...settings.thresholds, ...o.thresholds },
      })),
  ];
  for (const c of rule.condition.comparisons) {
    const methods =
      c.method !== undefined
        ? [c.method]
        : configuredMethods(settings).filter((m) => rule.match.method(m));
    const text = `${c.method ? `${c.method}.` : ''}${c.statistic} ${c.op} ${c.threshold}`;
    for (const method of methods) {
      for (const scope of scopes) {
        const d = decisionOf(c, method, scope.thresholds, settings);
        const why = d && disagreement(c, d);
        if (!d || !why) continue;
        const key = scope.label ? d.key.replace('drift.', `drift.features.<name>.`) : d.key;
        out.push(
          `rule "${rule.name}": "${text}" on ${method}${scope.label} contradicts ${key} of ${source}: ${why}; write when: {drifted: true} to follow the config, or match its threshold`,
        );
      }
    }
  }
  return out;
}

/**
 * Warnings for the rules whose thresholds contradict the drift config's (`source` names it in
 * the message: the config file, or the defaults).
 */
export function thresholdWarnings(
  loaded: LoadedRules,
  settings: WindowDriftSettings,
  source: string,
): string[] {
  return [...new Set(loaded.rules.flatMap((r) => ruleWarnings(r, settings, source)))];
}
