/**
 * Webhook request bodies for an AlertNotification. Pure: same notification, same bytes.
 *
 * `standard` (default) — driftwatch's own JSON, with CloudEvents 1.0 attribute names at the top
 * level so a structured-mode consumer (Knative, Event Grid, Argo Events) can take it as is:
 *
 *   specversion      "1.0"
 *   id               the delivery id: the notification id, or for a retrain request its
 *                    `requestId` (also sent as `webhook-id` / `idempotency-key`)
 *   source           "driftwatch/<instance>"
 *   type             io.driftwatch.alert.{firing|update|repeat|resolved} | io.driftwatch.retrain.requested
 *   time             ISO 8601 of the notification's event time
 *   subject          "<model>@<version>/<rule>[,<rule>…]"
 *   datacontenttype  "application/json"
 *   data             the payload below
 *
 * There is no top-level version extension (CloudEvents attribute names allow only [a-z0-9]);
 * the payload schema is versioned by `data.version`, currently 1. Additive changes keep the
 * version; renames and removals bump it. All `data` names are snake_case and all times ISO 8601:
 *
 *   data.version            1
 *   data.notification_id    the notification id (for retrain requests: the request id, as `id`)
 *   data.kind               firing | update | repeat | resolved | retrain
 *   data.status, .severity  the group's
 *   data.group              { key, labels, episode_id, seq }
 *   data.alerts[]           { fingerprint, rule, episode_id, seq, state, status, severity, flapping,
 *                             model, model_version, feature, method, window, baseline, statistic,
 *                             value, correction, op, threshold, recover_threshold, window_start,
 *                             window_end, samples, starts_at, ends_at, labels, annotations,
 *                             state_reason, silenced, schema }; correction is { method, tests }
 *                             when value is a p-value adjusted across a window's features, else
 *                             null; schema is null but for schema alerts: { missing_features,
 *                             wrong_type_features, new_features (names, at most 20 each),
 *                             unlisted: { the same three: names past those } }
 *   data.truncated_alerts   alerts of the group not listed (at most 100 are; firing, severe first)
 *   data.links              { dashboard, runbook } (null when not configured)
 *   data.retrain            null, or { request_id, model, model_version, baseline, window_start,
 *                             window_end, severity, episode_id, firing_since, drifted_features[] }
 *
 * `pagerduty` — a PagerDuty Events API v2 event. `dedup_key` is `<groupKey>:<groupEpisodeId>`, so
 * firing, updates, repeats and the resolve of one group episode all land on one PagerDuty alert.
 *
 * `slack` — a Slack-compatible incoming-webhook message (`text` fallback + mrkdwn `blocks`).
 */
import { schemaJson, schemaText } from './schema-text.js';
import { silencedJson, silencedText } from './silence-text.js';
import type {
  AlertNotification,
  AlertSnapshot,
  RetrainEvidence,
  Severity,
} from '../../../alert-engine/model.js';

export type WebhookFormat = 'standard' | 'pagerduty' | 'slack';
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['standard', 'pagerduty', 'slack'];

export interface WebhookBodyOptions {
  /** This daemon's instance name; the body says `driftwatch/<source>` (prefix not doubled). */
  source: string;
  /** PagerDuty integration key (required for the `pagerduty` format). */
  routingKey?: string;
}

export const STANDARD_BODY_VERSION = 1;

const PD_DEDUP_KEY_MAX = 255;
const PD_SUMMARY_MAX = 1024;
const SLACK_SECTION_MAX = 3000;
const SLACK_ALERTS_MAX = 20;

/** The id a receiver dedupes on: a retrain request's own id, else the notification's. */
export function deliveryId(n: AlertNotification): string {
  return n.kind === 'retrain' && n.retrain ? n.retrain.requestId : n.id;
}

export function eventSource(source: string): string {
  return source.startsWith('driftwatch/') ? source : `driftwatch/${source}`;
}

export function eventType(n: AlertNotification): string {
  return n.kind === 'retrain' ? 'io.driftwatch.retrain.requested' : `io.driftwatch.alert.${n.kind}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

function rules(n: AlertNotification): string[] {
  return unique(n.alerts.map((a) => a.rule));
}

/** `model@version` of the group (several, comma-joined, if a group spans versions). */
function modelRef(n: AlertNotification): string {
  const refs = unique(n.alerts.map((a) => `${a.model}@${a.modelVersion}`));
  if (refs.length === 0 && n.retrain) return `${n.retrain.model}@${n.retrain.modelVersion}`;
  return refs.join(',');
}

function modelName(n: AlertNotification): string {
  const models = unique(n.alerts.map((a) => a.model));
  if (models.length === 0 && n.retrain) return n.retrain.model;
  return models.join(',');
}

function snapshot(a: AlertSnapshot): Record<string, unknown> {
  return {
    fingerprint: a.fingerprint,
    rule: a.rule,
    episode_id: a.episodeId,
    seq: a.seq,
    state: a.state,
    status: a.status,
    severity: a.severity,
    flapping: a.flapping,
    model: a.model,
    model_version: a.modelVersion,
    feature: a.feature,
    method: a.method,
    window: a.window,
    baseline: a.baseline,
    statistic: a.statistic,
    value: a.value,
    correction: a.correction,
    op: a.op,
    threshold: a.threshold,
    recover_threshold: a.recoverThreshold,
    window_start: iso(a.windowStart),
    window_end: iso(a.windowEnd),
    samples: a.samples,
    starts_at: iso(a.startsAt),
    ends_at: isoOrNull(a.endsAt),
    labels: a.labels,
    annotations: a.annotations,
    state_reason: a.stateReason,
    silenced: silencedJson(a.silenced),
    schema: schemaJson(a.schema),
  };
}

function retrainEvidence(r: RetrainEvidence): Record<string, unknown> {
  return {
    request_id: r.requestId,
    model: r.model,
    model_version: r.modelVersion,
    baseline: r.baseline,
    window_start: iso(r.windowStart),
    window_end: iso(r.windowEnd),
    severity: r.severity,
    episode_id: r.episodeId,
    firing_since: iso(r.firingSince),
    drifted_features: r.driftedFeatures.map((f) => ({
      feature: f.feature,
      method: f.method,
      statistic: f.statistic,
      value: f.value,
      threshold: f.threshold,
      samples: f.samples,
    })),
  };
}

export function standardBody(n: AlertNotification, opts: WebhookBodyOptions): object {
  return {
    specversion: '1.0',
    id: deliveryId(n),
    source: eventSource(opts.source),
    type: eventType(n),
    time: iso(n.time),
    subject: `${modelRef(n)}/${rules(n).join(',')}`,
    datacontenttype: 'application/json',
    data: {
      version: STANDARD_BODY_VERSION,
      notification_id: n.id,
      kind: n.kind,
      status: n.status,
      severity: n.severity,
      group: {
        key: n.groupKey,
        labels: n.groupLabels,
        episode_id: n.groupEpisodeId,
        seq: n.groupSeq,
      },
      alerts: n.alerts.map(snapshot),
      truncated_alerts: n.truncatedAlerts,
      links: { dashboard: n.links.dashboard, runbook: n.links.runbook },
      retrain: n.retrain ? retrainEvidence(n.retrain) : null,
    },
  };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function formatValue(v: number | null): string {
  if (v === null) return 'n/a';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** "amount psi value=0.31 (> 0.25)" — one alert on one line, as a pager shows it. */
function alertLine(a: AlertSnapshot): string {
  const reason = a.stateReason ? ` [${a.stateReason}]` : '';
  const flap = a.flapping ? ' [flapping]' : '';
  const silenced = a.silenced ? ` [${silencedText(a.silenced)}]` : '';
  const schema = a.schema ? ` [${schemaText(a.schema)}]` : '';
  return `${a.feature} ${a.method} ${a.statistic}=${formatValue(a.value)} (${a.op} ${formatValue(a.threshold)})${schema}${reason}${flap}${silenced}`;
}

function headline(n: AlertNotification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  if (n.kind === 'retrain') return `[RETRAIN] ${modelRef(n)}`;
  const label = n.status === 'resolved' ? 'RESOLVED' : 'FIRING';
  const count = n.status === 'resolved' ? n.alerts.length : firing;
  return `[${label}:${count}] ${modelRef(n)} ${rules(n).join(',')}`;
}

function summaryLine(n: AlertNotification): string {
  if (n.kind === 'retrain' && n.retrain) {
    const features = n.retrain.driftedFeatures.map((f) => f.feature).join(', ');
    return `${headline(n)}: retraining requested (${n.retrain.severity}); drifted: ${features}`;
  }
  return `${headline(n)} (${n.severity}): ${n.alerts.map(alertLine).join('; ')}`;
}

export function pagerDutySeverity(s: Severity): 'critical' | 'error' | 'warning' | 'info' {
  switch (s) {
    case 'critical':
      return 'critical';
    case 'warning':
      return 'warning';
    case 'info':
      return 'info';
  }
}

/** `<groupKey>:<groupEpisodeId>`; never longer than PagerDuty's 255 (cut, stays stable). */
export function pagerDutyDedupKey(n: AlertNotification): string {
  return `${n.groupKey}:${n.groupEpisodeId}`.slice(0, PD_DEDUP_KEY_MAX);
}

export function pagerDutyBody(n: AlertNotification, opts: WebhookBodyOptions): object {
  if (!opts.routingKey) throw new Error('the pagerduty webhook format needs a routing key');
  const links: { href: string; text: string }[] = [];
  if (n.links.runbook) links.push({ href: n.links.runbook, text: 'Runbook' });
  if (n.links.dashboard) links.push({ href: n.links.dashboard, text: 'Dashboard' });
  return {
    routing_key: opts.routingKey,
    event_action: n.kind === 'resolved' ? 'resolve' : 'trigger',
    dedup_key: pagerDutyDedupKey(n),
    payload: {
      summary: truncate(summaryLine(n), PD_SUMMARY_MAX),
      source: eventSource(opts.source),
      severity: pagerDutySeverity(n.severity),
      timestamp: iso(n.time),
      component: modelName(n),
      group: modelRef(n),
      class: rules(n).join(','),
      custom_details: {
        notification_id: n.id,
        kind: n.kind,
        status: n.status,
        group_key: n.groupKey,
        group_labels: n.groupLabels,
        group_episode_id: n.groupEpisodeId,
        group_seq: n.groupSeq,
        firing: n.alerts.filter((a) => a.status === 'firing').length,
        resolved: n.alerts.filter((a) => a.status === 'resolved').length,
        alerts: n.alerts.map((a) => ({
          rule: a.rule,
          status: a.status,
          severity: a.severity,
          feature: a.feature,
          method: a.method,
          window: a.window,
          statistic: a.statistic,
          value: a.value,
          op: a.op,
          threshold: a.threshold,
          samples: a.samples,
          state_reason: a.stateReason,
          flapping: a.flapping,
          silenced: silencedJson(a.silenced),
          schema: schemaJson(a.schema),
        })),
        ...(n.retrain ? { retrain: retrainEvidence(n.retrain) } : {}),
      },
    },
    links,
    client: 'driftwatch',
    ...(n.links.dashboard ? { client_url: n.links.dashboard } : {}),
  };
}

/** Slack mrkdwn escaping: only &, < and > are special (and must be entity-encoded). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut already-escaped mrkdwn without leaving half an entity (`&am…`) at the end. */
function truncateMrkdwn(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1).replace(/&[a-z]*$/, '')}…`;
}

function slackLink(url: string, text: string): string {
  // `|` would end the URL part of the link; percent-encode it.
  return `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${escapeMrkdwn(text)}>`;
}

export function slackBody(n: AlertNotification): object {
  const text = truncateMrkdwn(escapeMrkdwn(summaryLine(n)), SLACK_SECTION_MAX);
  const head = `*${escapeMrkdwn(headline(n))}* (${n.severity})`;
  const lines = n.alerts
    .slice(0, SLACK_ALERTS_MAX)
    .map(
      (a) =>
        `• ${a.status === 'resolved' ? '✅' : '🔥'} ${escapeMrkdwn(`${a.rule}: ${alertLine(a)}`)}`,
    );
  if (n.alerts.length > SLACK_ALERTS_MAX || n.truncatedAlerts > 0) {
    lines.push(`… and ${Math.max(0, n.alerts.length - SLACK_ALERTS_MAX) + n.truncatedAlerts} more`);
  }
  if (n.kind === 'retrain' && n.retrain) {
    for (const f of n.retrain.driftedFeatures.slice(0, SLACK_ALERTS_MAX)) {
      lines.push(
        `• ${escapeMrkdwn(`${f.feature} ${f.method} ${f.statistic}=${formatValue(f.value)} (threshold ${formatValue(f.threshold)})`)}`,
      );
    }
  }
  const blocks: object[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(head, SLACK_SECTION_MAX) } },
  ];
  if (lines.length > 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncateMrkdwn(lines.join('\n'), SLACK_SECTION_MAX) },
    });
  }
  const links: string[] = [];
  if (n.links.runbook) links.push(slackLink(n.links.runbook, 'Runbook'));
  if (n.links.dashboard) links.push(slackLink(n.links.dashboard, 'Dashboard'));
  if (links.length > 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  }
  return { text, blocks };
}

export function renderWebhookBody(
  n: AlertNotification,
  format: WebhookFormat = 'standard',
  opts: WebhookBodyOptions,
): string {
  switch (format) {
    case 'standard':
      return JSON.stringify(standardBody(n, opts));
    case 'pagerduty':
      return JSON.stringify(pagerDutyBody(n, opts));
    case 'slack':
      return JSON.stringify(slackBody(n));
  }
}
