/**
 * Notifications as Alertmanager alerts (`POST /api/v2/alerts`, a JSON array of postable
 * alerts). Pure: no I/O, the wall clock comes in as `now`.
 *
 * An Alertmanager alert is identified by its label set, so the labels hold only identity:
 * `alertname` (the rule), `model`, `version`, `feature`, `method`, `window`, `severity` and
 * the rule's own `labels`. Everything else is an annotation. Firing alerts carry an `endsAt`
 * a few re-post intervals ahead (as Prometheus does), so Alertmanager resolves them by itself
 * if driftwatch stops re-posting; resolved alerts carry their end, at the latest now.
 */
import { schemaText } from './schema-text.js';
import { silencedText } from './silence-text.js';
import type { AlertNotification, AlertSnapshot } from '../../../alert-engine/model.js';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** Alertmanager's label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Series labels the body names differently (`alertname`, `version`). */
const RENAMED = new Set(['rule', 'model_version']);

const iso = (ms: number) => new Date(ms).toISOString();

/** The label set of an alert: its identity in Alertmanager. */
export function alertLabels(a: AlertSnapshot): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: a.rule,
    model: a.model,
    version: a.modelVersion,
    feature: a.feature,
    method: a.method,
    window: a.window,
    severity: a.severity,
  };
  for (const [k, v] of Object.entries(a.labels)) {
    if (!RENAMED.has(k) && LABEL_NAME.test(k) && !(k in labels)) labels[k] = v;
  }
  // An empty value is the same as no label to Alertmanager; leave it out.
  for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
  return labels;
}

const num = (v: number | null) => (v === null ? 'n/a' : String(Number(v.toPrecision(4))));

function annotationsOf(a: AlertSnapshot, dashboard: string | null): Record<string, string> {
  const annotations: Record<string, string> = {
    summary: `${a.statistic} ${num(a.value)} on ${a.feature} of ${a.model}@${a.modelVersion} (${a.op} ${num(a.threshold)})`,
    description:
      `${a.rule}: ${a.statistic} ${num(a.value)} ${a.op} ${num(a.threshold)} in the window ` +
      `${iso(a.windowStart)} – ${iso(a.windowEnd)} (${a.samples} samples, baseline ${a.baseline})` +
      (a.schema ? `; ${schemaText(a.schema)}` : '') +
      (a.stateReason ? `; ${a.stateReason}` : '') +
      (a.silenced ? `; ${silencedText(a.silenced)}` : ''),
    ...a.annotations,
  };
  if (dashboard) annotations.dashboard = dashboard;
  return annotations;
}

/** The dashboard link as generatorURL, when it is an http(s) URL (Alertmanager wants a URI). */
function generatorUrl(dashboard: string | null): string | undefined {
  if (!dashboard) return undefined;
  try {
    const u = new URL(dashboard);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** A firing alert as posted now: valid until now + validForMs (never before it started). */
export function firingAlert(
  a: AlertSnapshot,
  dashboard: string | null,
  now: number,
  validForMs: number,
): PostableAlert {
  const url = generatorUrl(dashboard);
  return {
    labels: alertLabels(a),
    annotations: annotationsOf(a, dashboard),
    startsAt: iso(a.startsAt),
    endsAt: iso(Math.max(now + validForMs, a.startsAt + 1)),
    ...(url ? { generatorURL: url } : {}),
  };
}

/** An alert posted again with `endsAt` at `endsAt`, clamped to [startsAt, now]. */
export function endedAt(alert: PostableAlert, endsAt: number, now: number): PostableAlert {
  const start = Date.parse(alert.startsAt);
  return { ...alert, endsAt: iso(Math.max(start, Math.min(endsAt, now))) };
}

/** The alerts of one notification: firing ones valid for a while, resolved ones ended. */
export function notificationAlerts(
  n: AlertNotification,
  now: number,
  validForMs: number,
): { firing: Map<string, PostableAlert>; resolved: Map<string, PostableAlert> } {
  const firing = new Map<string, PostableAlert>();
  const resolved = new Map<string, PostableAlert>();
  for (const a of n.alerts) {
    const alert = firingAlert(a, n.links.dashboard, now, validForMs);
    if (a.status === 'firing') firing.set(a.fingerprint, alert);
    else resolved.set(a.fingerprint, endedAt(alert, a.endsAt ?? now, now));
  }
  return { firing, resolved };
}

/** Same label set (Alertmanager's identity)? */
export function sameLabels(x: PostableAlert, y: PostableAlert): boolean {
  const a = Object.entries(x.labels).sort();
  const b = Object.entries(y.labels).sort();
  return a.length === b.length && a.every(([k, v], i) => b[i]?.[0] === k && b[i]?.[1] === v);
}
