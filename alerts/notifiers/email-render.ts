/**
 * Renders one AlertNotification as an email: subject, text and HTML bodies, threading ids and
 * headers. Pure (no I/O, no clock): the same notification always renders the same message.
 *
 * Threading follows Alertmanager's "phantom root": every mail of a group episode replies to a
 * root Message-ID that is never sent, so clients that thread by References/In-Reply-To put
 * firing, updates, repeats and the resolution in one thread, and the subject (which carries
 * neither status nor severity, both can change within an episode) keeps subject-threading
 * clients (Gmail) together too.
 *
 * Everything interpolated comes, in the end, from prediction logs and config (model, feature
 * and label values), so the HTML part escapes every string and only links http(s) URLs, and
 * single-line fields in the text part have their control characters made visible.
 */
import type { AlertNotification, AlertSnapshot, RetrainEvidence } from '../model.js';
import { compare, isOperator } from '../rule.js';

export interface RenderEmailOptions {
  /** The right-hand side of Message-IDs, e.g. "alerts.example.com". */
  mailDomain: string;
  /** Subject prefix, in brackets (default "driftwatch"). */
  subjectPrefix?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** This mail's Message-ID, `<notification id@domain>`. */
  messageId: string;
  /** The group episode's phantom root, `<ep-episode@domain>`, never sent itself. */
  inReplyTo: string;
  references: string[];
  headers: Record<string, string>;
}

const SUBJECT_MAX = 200;
/** Group labels shown in a fixed order (the rule schema's group_by labels), others after. */
const LABEL_ORDER = ['model', 'model_version', 'feature', 'method', 'window'];

export function renderEmail(n: AlertNotification, opts: RenderEmailOptions): RenderedEmail {
  const domain = msgIdPart(opts.mailDomain) || 'driftwatch.invalid';
  const root = `<ep-${msgIdPart(n.groupEpisodeId)}@${domain}>`;
  const doc = describe(n);
  return {
    subject: subject(n, opts.subjectPrefix ?? 'driftwatch'),
    text: renderText(doc),
    html: renderHtml(doc),
    messageId: `<${msgIdPart(n.id)}@${domain}>`,
    inReplyTo: root,
    references: [root],
    headers: {
      'X-Driftwatch-Status': n.status,
      'X-Driftwatch-Kind': n.kind,
      'X-Driftwatch-Severity': n.severity,
      'X-Driftwatch-Group': headerValue(n.groupKey),
      'X-Driftwatch-Episode': headerValue(n.groupEpisodeId),
      // RFC 3834: machine-generated, so vacation responders and auto-repliers stay quiet.
      'Auto-Submitted': 'auto-generated',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Subject

/**
 * `[prefix] <rules> — <model>@<version> (<other group labels>)`. Built only from what stays
 * fixed for a group episode: the group labels and the rule (a group is one rule; its
 * `<rule>:stale` alert counts as the same rule). Status and severity go in the body/headers.
 */
function subject(n: AlertNotification, prefix: string): string {
  const shown = new Set(['model', 'model_version', 'rule']);
  if (n.kind === 'retrain') {
    const model = n.retrain ? `${n.retrain.model}@${n.retrain.modelVersion}` : modelVersion(n);
    return clip(oneLine(`[${prefix}] retraining request — ${model}`), SUBJECT_MAX);
  }
  // The group's rule (one per group) keeps the subject stable whatever the alerts are.
  const rules = n.groupLabels.rule
    ? [n.groupLabels.rule]
    : [...new Set(n.alerts.map((a) => a.rule))].sort();
  const rest = orderedLabels(n.groupLabels)
    .filter(([k]) => !shown.has(k))
    .map(([k, v]) => `${k}=${v}`);
  const head = `[${prefix}] ${rules.length > 0 ? rules.join(', ') : 'drift alert'} — ${modelVersion(n)}`;
  return clip(oneLine(rest.length > 0 ? `${head} (${rest.join(', ')})` : head), SUBJECT_MAX);
}

/** model@version from the group labels (stable); `*` for a part the group does not fix. */
function modelVersion(n: AlertNotification): string {
  return `${n.groupLabels.model ?? '*'}@${n.groupLabels.model_version ?? '*'}`;
}

function orderedLabels(labels: Record<string, string>): [string, string][] {
  const rank = (k: string) => {
    const i = LABEL_ORDER.indexOf(k);
    return i < 0 ? LABEL_ORDER.length : i;
  };
  return Object.entries(labels).sort(
    ([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

// ---------------------------------------------------------------------------------------------
// A format-neutral description both bodies are rendered from, so they cannot disagree.

/** A value in a row: plain text, or a link (rendered as <a> only when it is an http(s) URL). */
type Cell = { text: string } | { link: string };
type Row = [label: string, value: Cell];

interface Section {
  title: string;
  /** One-line summary shown right under the title (the summary annotation). */
  lead?: string;
  rows: Row[];
  /** Multi-line free text (annotations such as description). */
  notes?: [label: string, text: string][];
}

interface Doc {
  headline: string;
  subline: string;
  sections: Section[];
  table?: { title: string; columns: string[]; rows: string[][] };
  links: Row[];
  footer: Row[];
}

const txt = (text: string): Cell => ({ text });

function describe(n: AlertNotification): Doc {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  const mv = modelVersion(n);
  const doc: Doc = {
    headline: headline(n, mv, firing, resolved),
    subline: subline(n),
    sections: n.alerts.map((a, i) => alertSection(a, i + 1, n.alerts.length)),
    links: [],
    footer: [
      ...(n.truncatedAlerts > 0
        ? ([
            [
              'not listed',
              txt(`${count(n.truncatedAlerts)} more in this group (see the dashboard)`),
            ],
          ] as Row[])
        : []),
      ['notification', txt(`${n.id} (${n.kind} #${n.groupSeq} of this group episode)`)],
      ['group', txt(n.groupKey)],
      ['group episode', txt(n.groupEpisodeId)],
      ['decided at', txt(iso(n.time))],
      ['receivers', txt(n.receivers.join(', ') || 'n/a')],
    ],
  };
  if (n.retrain) {
    const { section, table } = retrainParts(n.retrain);
    doc.sections.unshift(section);
    doc.table = table;
  }
  if (n.links.dashboard) doc.links.push(['dashboard', { link: n.links.dashboard }]);
  if (n.links.runbook) doc.links.push(['runbook', { link: n.links.runbook }]);
  return doc;
}

function count(k: number, what = 'alert'): string {
  return `${k} ${what}${k === 1 ? '' : 's'}`;
}

function headline(
  n: AlertNotification,
  mv: string,
  firing: AlertSnapshot[],
  resolved: AlertSnapshot[],
): string {
  const alsoResolved = resolved.length > 0 ? `; ${resolved.length} resolved` : '';
  switch (n.kind) {
    case 'firing':
      return `FIRING (new, ${n.severity}): ${count(firing.length)} for ${mv}${alsoResolved}`;
    case 'update':
      return n.status === 'resolved'
        ? `UPDATE (resolved): ${count(resolved.length)} for ${mv}`
        : `UPDATE (firing, ${n.severity}): ${count(firing.length)} for ${mv}${alsoResolved}`;
    case 'repeat': {
      const since = Math.min(...firing.map((a) => a.startsAt));
      return `REPEAT (still firing since ${iso(since)}, ${n.severity}): ${count(firing.length)} for ${mv}`;
    }
    case 'resolved':
      return `RESOLVED: ${count(resolved.length)} for ${mv}${
        firing.length > 0 ? `; ${firing.length} still firing` : ''
      }`;
    case 'retrain': {
      const r = n.retrain;
      const what = r ? `${r.model}@${r.modelVersion}` : mv;
      return `RETRAINING REQUESTED (${r?.severity ?? n.severity}): ${what}${
        r ? `, ${count(r.driftedFeatures.length, 'drifted feature')}` : ''
      }`;
    }
  }
}

function subline(n: AlertNotification): string {
  const rules = [...new Set(n.alerts.map((a) => a.rule))];
  const labels = orderedLabels(n.groupLabels).map(([k, v]) => `${k}=${v}`);
  const parts = [
    rules.length > 0 ? `rule ${rules.join(', ')}` : null,
    labels.length > 0 ? `group ${labels.join(', ')}` : null,
    `status ${n.status}`,
    `severity ${n.severity}`,
    `at ${iso(n.time)}`,
  ];
  return parts.filter((p): p is string => p !== null).join(' · ');
}

function alertSection(a: AlertSnapshot, index: number, total: number): Section {
  const rows: Row[] = [
    ['rule', txt(a.rule)],
    ['severity', txt(a.severity)],
    ['model', txt(`${a.model}@${a.modelVersion}`)],
    ['feature', txt(a.feature)],
    ['method', txt(`${a.method} (window ${a.window})`)],
    ['value', txt(valueLine(a))],
    ['state', txt(a.flapping ? `${a.state} — FLAPPING (held until stable)` : a.state)],
  ];
  if (a.stateReason) rows.push(['reason', txt(a.stateReason)]);
  rows.push(
    ['samples', txt(`n = ${fmtCount(a.samples)}`)],
    ['window range', txt(`${iso(a.windowStart)} – ${iso(a.windowEnd)}`)],
    ['baseline', txt(a.baseline)],
    [
      'episode',
      txt(
        `${a.episodeId} (firing since ${iso(a.startsAt)}${
          a.endsAt !== null ? `, resolved at ${iso(a.endsAt)}` : ''
        })`,
      ),
    ],
  );
  const labels = orderedLabels(a.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) rows.push(['labels', txt(labels.join(', '))]);
  const notes = Object.entries(a.annotations)
    .filter(([k]) => k !== 'runbook_url' && k !== 'summary')
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  if (a.annotations.runbook_url) rows.push(['runbook', { link: a.annotations.runbook_url }]);
  rows.push(['fingerprint', txt(`${a.fingerprint} (seq ${a.seq})`)]);
  const title = `Alert ${index}/${total}: ${a.rule} on ${a.feature} — ${a.status.toUpperCase()}`;
  const summary = a.annotations.summary;
  return summary ? { title, lead: summary, rows, notes } : { title, rows, notes };
}

/** `psi = 0.3124 — breaching: fires when > 0.25, recover threshold 0.15`. */
function valueLine(a: AlertSnapshot): string {
  // `value` is the method's own statistic (psi 0.31); others name themselves (ks p_value).
  const name =
    a.statistic === 'value' || a.statistic === a.method ? a.method : `${a.method} ${a.statistic}`;
  const value = fmtNum(a.value);
  const breach = breaches(a.value, a.op, a.threshold);
  const verdict = breach === null ? 'no value' : breach ? 'breaching' : 'not breaching';
  const recover =
    a.recoverThreshold !== a.threshold ? `, recover threshold ${fmtNum(a.recoverThreshold)}` : '';
  return `${name} = ${value} — ${verdict}: fires when ${a.op} ${fmtNum(a.threshold)}${recover}`;
}

function breaches(value: number | null, op: string, threshold: number): boolean | null {
  if (value === null || Number.isNaN(value) || !isOperator(op)) return null;
  return compare(op, value, threshold);
}

function retrainParts(r: RetrainEvidence): { section: Section; table: Doc['table'] } {
  const section: Section = {
    title: `Retraining request ${r.requestId}`,
    rows: [
      ['request id', txt(r.requestId)],
      ['model', txt(`${r.model}@${r.modelVersion}`)],
      ['severity', txt(r.severity)],
      ['baseline', txt(r.baseline)],
      ['window range', txt(`${iso(r.windowStart)} – ${iso(r.windowEnd)}`)],
      ['episode', txt(`${r.episodeId} (firing since ${iso(r.firingSince)})`)],
    ],
  };
  const table = {
    title: 'Drifted features',
    columns: ['feature', 'method', 'statistic', 'value', 'threshold', 'samples'],
    rows: r.driftedFeatures.map((f) => [
      f.feature,
      f.method,
      f.statistic,
      fmtNum(f.value),
      fmtNum(f.threshold),
      fmtCount(f.samples),
    ]),
  };
  return { section, table };
}

// ---------------------------------------------------------------------------------------------
// Text part

function renderText(doc: Doc): string {
  const out: string[] = [oneLine(doc.headline), oneLine(doc.subline), ''];
  const width = 15;
  const row = ([label, cell]: Row) =>
    `  ${`${label}:`.padEnd(width)}${oneLine('text' in cell ? cell.text : cell.link)}`;
  for (const s of doc.sections) {
    out.push(oneLine(s.title));
    if (s.lead !== undefined) out.push(...multiLine(s.lead).map((l) => `  ${l}`));
    out.push(...s.rows.map(row));
    for (const [label, note] of s.notes ?? []) {
      const lines = multiLine(note);
      out.push(`  ${`${label}:`.padEnd(width)}${lines[0] ?? ''}`);
      for (const l of lines.slice(1)) out.push(`  ${''.padEnd(width)}${l}`);
    }
    out.push('');
  }
  if (doc.table) {
    const t = doc.table;
    out.push(oneLine(t.title));
    const cells = [t.columns, ...t.rows].map((r) => r.map(oneLine));
    const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
    for (const r of cells) {
      out.push(`  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
    }
    out.push('');
  }
  if (doc.links.length > 0) {
    out.push('Links');
    out.push(...doc.links.map(row));
    out.push('');
  }
  out.push('--');
  out.push(...doc.footer.map(row));
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// HTML part

const TH = 'style="text-align:left;padding:2px 12px 2px 0;vertical-align:top;color:#555"';
const TD = 'style="padding:2px 0;vertical-align:top"';
const TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:14px"';

function renderHtml(doc: Doc): string {
  const rowHtml = ([label, cell]: Row) =>
    `<tr><th ${TH}>${esc(label)}</th><td ${TD}>${cellHtml(cell)}</td></tr>`;
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="font-family:sans-serif;font-size:14px">',
    `<p style="font-size:16px"><strong>${esc(doc.headline)}</strong></p>`,
    `<p style="color:#555">${esc(doc.subline)}</p>`,
  ];
  for (const s of doc.sections) {
    parts.push(`<h3 style="margin:16px 0 4px">${esc(s.title)}</h3>`);
    if (s.lead !== undefined) parts.push(`<p>${multiLine(s.lead).map(esc).join('<br>')}</p>`);
    parts.push(`<table ${TABLE}>`);
    parts.push(...s.rows.map(rowHtml));
    for (const [label, note] of s.notes ?? []) {
      parts.push(
        `<tr><th ${TH}>${esc(label)}</th><td ${TD}>${multiLine(note).map(esc).join('<br>')}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (doc.table) {
    const t = doc.table;
    parts.push(`<h3 style="margin:16px 0 4px">${esc(t.title)}</h3>`, `<table ${TABLE}>`);
    parts.push(`<tr>${t.columns.map((c) => `<th ${TH}>${esc(c)}</th>`).join('')}</tr>`);
    for (const r of t.rows) {
      parts.push(`<tr>${r.map((c) => `<td ${TD}>${esc(c)}</td>`).join('')}</tr>`);
    }
    parts.push('</table>');
  }
  if (doc.links.length > 0) {
    parts.push('<h3 style="margin:16px 0 4px">Links</h3>', `<table ${TABLE}>`);
    parts.push(...doc.links.map(rowHtml), '</table>');
  }
  parts.push(
    '<hr>',
    `<table style="border-collapse:collapse;font-size:12px;color:#777">`,
    ...doc.footer.map(rowHtml),
    '</table>',
    '</body></html>',
  );
  return `${parts.join('\n')}\n`;
}

function cellHtml(cell: Cell): string {
  if ('text' in cell) return esc(cell.text);
  return isHttpUrl(cell.link)
    ? `<a href="${esc(cell.link)}">${esc(cell.link)}</a>`
    : esc(oneLine(cell.link));
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function isHttpUrl(s: string): boolean {
  if (/[\s<>"'`]/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Values

/**
 * 4 significant digits without trailing zeros; exponent form below 1e-3 (p-values, tiny
 * statistics) and at 1e6 and above; integers as they are; null → "n/a".
 */
export function fmtNum(v: number | null): string {
  if (v === null) return 'n/a';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) return trimExp(v.toExponential(3));
  if (Number.isInteger(v)) return String(v);
  const s = v.toPrecision(4);
  return s.includes('e') ? trimExp(s) : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function trimExp(s: string): string {
  const [mant = s, exp = ''] = s.split('e');
  const m = mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant;
  return `${m}e${exp.replace(/^\+/, '')}`;
}

function fmtCount(k: number): string {
  return Number.isFinite(k) ? String(Math.round(k)) : 'n/a';
}

/** ISO 8601 UTC, without a `.000` millisecond part; "n/a" for a time that is not one. */
export function iso(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'n/a' : d.toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Sanitising

/* eslint-disable no-control-regex */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/* eslint-enable no-control-regex */

/** One line: control characters (newlines included) shown as `\uXXXX`, never acted on. */
function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Free text: split on line breaks, other control characters made visible. */
function multiLine(s: string): string[] {
  return s.split(/\r\n|\r|\n/).map(oneLine);
}

/** A header value: single line, control characters replaced by spaces. */
function headerValue(s: string): string {
  return s.replace(CONTROL, ' ').trim();
}

/** Part of a msg-id (RFC 5322 dot-atom-text): anything outside atext becomes "-". */
function msgIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-');
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
