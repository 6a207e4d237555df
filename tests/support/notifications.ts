/**
 * AlertNotification fixtures for notifier tests (email, webhook, …).
 *
 * `sampleNotification()` is the first firing notification of one group episode: rule
 * `drift_high` on model `fraud` version `3`, two alerts (feature `amount` by PSI, feature
 * `country` by chi-square p-value), with a runbook annotation and a dashboard link. Times are
 * fixed, so renderings are deterministic. `resolvedNotification()` / `repeatNotification()`
 * give later notifications of the same group episode.
 */
import type { AlertNotification, AlertSnapshot } from '../../alert-engine/model.js';

export const T0 = Date.parse('2026-01-15T10:00:00Z');
const MIN = 60_000;

export const RUNBOOK_URL = 'https://runbooks.example.com/drift/fraud';
export const DASHBOARD_URL =
  'https://grafana.example.com/d/driftwatch?var-model=fraud&var-version=3';

/** The first alert (amount, PSI), firing; any field can be overridden. */
export function sampleAlert(overrides: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return {
    fingerprint: '3f1c9a0e5b7d42e8a6c1f0b9d8e7a654',
    rule: 'drift_high',
    episodeId: 'ep-3f1c9a0e5b7d42e8-1768471200000',
    seq: 3,
    state: 'firing',
    status: 'firing',
    severity: 'warning',
    flapping: false,
    model: 'fraud',
    modelVersion: '3',
    feature: 'amount',
    method: 'psi',
    window: '5m',
    baseline: 'fraud-3-abcdef012345',
    statistic: 'psi',
    value: 0.31234,
    correction: null,
    op: '>',
    threshold: 0.25,
    recoverThreshold: 0.15,
    windowStart: T0 - 5 * MIN,
    windowEnd: T0,
    samples: 4210,
    startsAt: T0,
    endsAt: null,
    labels: { team: 'risk' },
    annotations: {
      summary: 'Input drift on amount (psi 0.3123 > 0.25)',
      description: 'The distribution of amount moved away from the training baseline.',
      runbook_url: RUNBOOK_URL,
    },
    stateReason: null,
    silenced: null,
    schema: null,
    ...overrides,
  };
}

/** The second alert (country, chi-square p-value), firing. */
export function sampleAlert2(overrides: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return sampleAlert({
    fingerprint: '9b2e47d1c0a8f3e6b5d4c3a2f1e0d9c8',
    episodeId: 'ep-9b2e47d1c0a8f3e6-1768471200000',
    seq: 2,
    severity: 'critical',
    feature: 'country',
    method: 'chi_square',
    statistic: 'p_value',
    value: 0.00001234,
    correction: { method: 'benjamini_hochberg', tests: 20 },
    op: '<',
    threshold: 0.001,
    recoverThreshold: 0.01,
    samples: 4198,
    annotations: {
      summary: 'Input drift on country (chi-square p 1.234e-5 < 0.001)',
      runbook_url: RUNBOOK_URL,
    },
    ...overrides,
  });
}

/**
 * A schema alert (`new_features > 0` on the `_dataset` schema point): two new features, one
 * missing, one past the listed names, and one with markup in its name (names are untrusted).
 */
export function schemaAlert(overrides: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return sampleAlert({
    fingerprint: '7c6b5a49382716059f8e7d6c5b4a3928',
    rule: 'schema_changed',
    feature: '_dataset',
    method: 'schema',
    statistic: 'new_features',
    value: 2,
    op: '>',
    threshold: 0,
    recoverThreshold: 0,
    annotations: {},
    schema: {
      missingFeatures: ['age'],
      wrongTypeFeatures: [],
      newFeatures: ['new_signal', '<b>promo</b>'],
      unlisted: { missingFeatures: 3, wrongTypeFeatures: 0, newFeatures: 0 },
    },
    ...overrides,
  });
}

/** The first firing notification of the group episode (groupSeq 1). */
export function sampleNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    id: 'n-5d0c2b9e7a13f468-0001',
    kind: 'firing',
    receivers: ['oncall-email', 'ops-webhook'],
    groupKey: '5d0c2b9e7a13f468c2a1b0e9d8f7a6b5',
    groupLabels: { model: 'fraud', model_version: '3' },
    groupEpisodeId: 'gep-5d0c2b9e7a13f468-1768471200000',
    groupSeq: 1,
    severity: 'critical',
    status: 'firing',
    time: T0,
    alerts: [sampleAlert(), sampleAlert2()],
    truncatedAlerts: 0,
    links: { dashboard: DASHBOARD_URL, runbook: RUNBOOK_URL },
    ...overrides,
  };
}

/** A later repeat of the same episode, still firing (window 1 h later). */
export function repeatNotification(
  base: AlertNotification = sampleNotification(),
  overrides: Partial<AlertNotification> = {},
): AlertNotification {
  const later = 60 * MIN;
  return {
    ...base,
    id: base.id.replace(/-\d+$/, '-0002'),
    kind: 'repeat',
    groupSeq: base.groupSeq + 1,
    time: base.time + later,
    alerts: base.alerts.map((a) => ({
      ...a,
      seq: a.seq + 1,
      windowStart: a.windowStart + later,
      windowEnd: a.windowEnd + later,
    })),
    ...overrides,
  };
}

/** The resolution of the same episode: every alert resolved, values back under threshold. */
export function resolvedNotification(
  base: AlertNotification = sampleNotification(),
  overrides: Partial<AlertNotification> = {},
): AlertNotification {
  const later = 90 * MIN;
  return {
    ...base,
    id: base.id.replace(/-\d+$/, '-0003'),
    kind: 'resolved',
    status: 'resolved',
    groupSeq: base.groupSeq + 2,
    time: base.time + later,
    alerts: base.alerts.map((a) => ({
      ...a,
      seq: a.seq + 2,
      state: 'resolved',
      status: 'resolved',
      value: a.op.startsWith('>') ? a.recoverThreshold / 2 : Math.min(1, a.recoverThreshold * 20),
      windowStart: a.windowStart + later,
      windowEnd: a.windowEnd + later,
      endsAt: a.windowEnd + later,
    })),
    ...overrides,
  };
}
