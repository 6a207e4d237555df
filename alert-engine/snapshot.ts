import { alertLabels, labelsOf } from './engine-store.js';
import { criterionOf, type InstanceState } from './instance.js';
import type { AlertSnapshot, AlertState } from './model.js';
import type { AlertRule } from './rule.js';
import { schemaNamesOf } from './schema-names.js';
import { STALE_ANNOTATION_PREFIX } from './stale.js';
import { fillTemplate } from './template.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** An instance as receivers see it, with the rule's annotations filled in. */
export function snapshotOf(
  st: InstanceState,
  rule: AlertRule,
  status: 'firing' | 'resolved',
  state: AlertState,
): AlertSnapshot {
  const stale = st.rule.endsWith(':stale');
  const statistic = stale
    ? 'seconds_without_data'
    : rule.statistic === 'value'
      ? st.method
      : rule.statistic;
  const series = labelsOf(st);
  const { op, threshold } = criterionOf(st, rule);
  const values = {
    rule: st.rule,
    ...series,
    baseline: st.baseline,
    statistic,
    value: st.value,
    op,
    threshold,
    recover_threshold: rule.condition.kind === 'drifted' ? threshold : rule.recoverThreshold,
    severity: st.severity,
    samples: st.samples,
    min_samples: rule.minSamples,
    window_start: iso(st.windowStart),
    window_end: iso(st.windowEnd),
    state,
  };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) {
    // A stale alert's own annotations (stale.ts) are never shown under their prefixed names.
    if (k.startsWith(STALE_ANNOTATION_PREFIX)) continue;
    annotations[k] = fillTemplate(v, values, k.endsWith('_url') ? encodeURIComponent : undefined);
  }
  return {
    fingerprint: st.fingerprint,
    rule: st.rule,
    episodeId: st.episodeId ?? '',
    seq: st.seq,
    state,
    status,
    severity: st.severity,
    flapping: st.flapping,
    model: st.model,
    modelVersion: st.modelVersion,
    feature: st.feature,
    method: st.method,
    window: st.window,
    baseline: st.baseline,
    statistic,
    value: st.value,
    correction: st.correction ?? null,
    op,
    threshold,
    recoverThreshold: rule.condition.kind === 'drifted' ? threshold : rule.recoverThreshold,
    windowStart: st.windowStart,
    windowEnd: st.windowEnd,
    samples: st.samples,
    startsAt: st.startsAt ?? st.windowEnd,
    endsAt: status === 'resolved' ? (st.endsAt ?? st.windowEnd) : null,
    labels: alertLabels(st, rule),
    annotations,
    stateReason: st.stateReason,
    silenced: st.silencedBy ?? null,
    schema: schemaNamesOf(st.method, st.details),
  };
}

/** Grafana's value of a multi-value variable that selects every option. */
export const ALL_FEATURES = '$__all';

/**
 * The dashboard link (config template) and the first runbook among the alerts. The time range
 * runs from one window before the earliest alert started to one window past the latest window
 * end, so the firing window is inside it and not on its right edge; `feature` is the alerts'
 * feature when they share one, else every feature.
 */
export function linksFor(
  alerts: readonly AlertSnapshot[],
  dashboardTemplate: string | undefined,
): { dashboard: string | null; runbook: string | null } {
  const first = alerts[0];
  const runbook = alerts.find((a) => a.annotations.runbook_url)?.annotations.runbook_url ?? null;
  if (!first || !dashboardTemplate) return { dashboard: null, runbook };
  const from = Math.min(...alerts.map((a) => a.startsAt - (a.windowEnd - a.windowStart)));
  const to = Math.max(...alerts.map((a) => a.windowEnd + (a.windowEnd - a.windowStart)));
  const features = new Set(alerts.map((a) => a.feature));
  const feature = features.size === 1 && first.feature !== '*' ? first.feature : ALL_FEATURES;
  const dashboard = fillTemplate(
    dashboardTemplate,
    // The dashboard shows one window length at a time: the first alert's (a group rarely mixes).
    {
      model: first.model,
      model_version: first.modelVersion,
      feature,
      window: first.window,
      from,
      to,
    },
    encodeURIComponent,
  );
  return { dashboard, runbook };
}
