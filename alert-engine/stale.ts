import { plainCondition, type AlertRule } from './rule.js';

/** The monitor-stale alert of rule `r` is named `r:stale`. */
export const STALE_SUFFIX = ':stale';

export const baseRuleName = (name: string): string =>
  name.endsWith(STALE_SUFFIX) ? name.slice(0, -STALE_SUFFIX.length) : name;

/** Per rule, model, version and window: the newest window with enough samples. */
export interface StaleCursor {
  rule: string;
  model: string;
  modelVersion: string;
  window: string;
  lastSufficientEnd: number;
}

/** The monitor-stale alert of a rule: "seconds without a sufficient window >= stale_after". */
export function staleRuleOf(rule: AlertRule, staleAfterMs: number): AlertRule {
  const threshold = staleAfterMs / 1000;
  return {
    ...rule,
    name: `${rule.name}${STALE_SUFFIX}`,
    condition: plainCondition({ statistic: 'value', op: '>=', threshold }),
    statistic: 'value',
    op: '>=',
    threshold,
    recoverThreshold: threshold,
    escalate: undefined,
    forWindows: 0,
    keepFiringFor: 0,
    insufficientData: 'keep_last',
    severity: rule.staleSeverity,
    staleAfterMs: undefined,
    receivers: rule.receivers,
    annotations: {
      summary: `No data for {{model}}@{{model_version}}: no window with enough samples for ${Math.round(staleAfterMs / 60_000)} min`,
      ...(rule.annotations.runbook_url ? { runbook_url: rule.annotations.runbook_url } : {}),
      ...staleAnnotations(rule.annotations),
    },
  };
}

/** Annotations only the stale alert of a rule carries: `stale_<key>` becomes its `<key>`. */
export const STALE_ANNOTATION_PREFIX = 'stale_';

function staleAnnotations(all: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(STALE_ANNOTATION_PREFIX)) out[k.slice(STALE_ANNOTATION_PREFIX.length)] = v;
  }
  return out;
}
