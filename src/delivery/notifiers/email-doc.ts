/**
 * A format-neutral description of a notification that both email bodies are rendered from,
 * so they cannot disagree.
 */
import { namesText } from './schema-text.js';
import { silencedText } from './silence-text.js';
import type {
  AlertNotification,
  AlertSnapshot,
  RetrainEvidence,
  SchemaNames,
} from '../../../alert-engine/model.js';
import { compare, isOperator } from '../../../alert-engine/rule.js';
import { fmtCount, fmtNum, iso } from './email-format.js';

/** Group labels shown in a fixed order (the rule schema's group_by labels), others after. */
const LABEL_ORDER = ['model', 'model_version', 'feature', 'method', 'window'];

/** model@version from the group labels (stable); `*` for a part the group does not fix. */
export function modelVersion(n: AlertNotification): string {
  return `${n.groupLabels.model ?? '*'}@${n.groupLabels.model_version ?? '*'}`;
}

export function orderedLabels(labels: Record<string, string>): [string, string][] {
  const rank = (k: string) => {
    const i = LABEL_ORDER.indexOf(k);
    return i < 0 ? LABEL_ORDER.length : i;
  };
  return Object.entries(labels).sort(
    ([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

/** A value in a row: plain text, or a link (rendered as <a> only when it is an http(s) URL). */
export type Cell = { text: string } | { link: string };
export type Row = [label: string, value: Cell];

export interface Section {
  title: string;
  /** One-line summary shown right under the title (the summary annotation). */
  lead?: string;
  rows: Row[];
  /** Multi-line free text (annotations such as description). */
  notes?: [label: string, text: string][];
}

export interface Doc {
  headline: string;
  subline: string;
  sections: Section[];
  table?: { title: string; columns: string[]; rows: string[][] };
  links: Row[];
  footer: Row[];
}

const txt = (text: string): Cell => ({ text });

export function describe(n: AlertNotification): Doc {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  const mv = modelVersion(n);
  const doc: Doc = {
    headline: headline(n, mv, firing, resolved),
    subline: subline(n),
    sections: n.alerts.flatMap((a, i) => {
      const section = alertSection(a, i + 1, n.alerts.length);
      return a.schema ? [section, schemaSection(a, a.schema)] : [section];
    }),
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
  // Notifications were held: on-call learns why this is the first word since.
  if (a.silenced) rows.push(['silenced', txt(silencedText(a.silenced))]);
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

/** Row labels of the schema section (short: the text part aligns labels in 15 columns). */
const SCHEMA_ROWS = [
  ['newFeatures', 'new'],
  ['missingFeatures', 'missing'],
  ['wrongTypeFeatures', 'wrong type'],
] as const;

/**
 * Right after a schema alert: which features its window's counts are about, so on-call can go
 * to the producer without querying InfluxDB for the point's name fields.
 */
function schemaSection(a: AlertSnapshot, schema: SchemaNames): Section {
  return {
    title: `Schema: ${a.model}@${a.modelVersion}, window ${iso(a.windowStart)} – ${iso(a.windowEnd)}`,
    rows: SCHEMA_ROWS.map(([key, label]) => [label, txt(namesText(schema, key))]),
  };
}

/** `psi = 0.3124 — breaching: fires when > 0.25, recover threshold 0.15`. */
function valueLine(a: AlertSnapshot): string {
  // `value` is the method's own statistic (psi 0.31); others name themselves (ks p_value).
  const name =
    a.statistic === 'value' || a.statistic === a.method ? a.method : `${a.method} ${a.statistic}`;
  const value = `${fmtNum(a.value)}${adjustmentNote(a)}`;
  const breach = breaches(a.value, a.op, a.threshold);
  const verdict = breach === null ? 'no value' : breach ? 'breaching' : 'not breaching';
  const recover =
    a.recoverThreshold !== a.threshold ? `, recover threshold ${fmtNum(a.recoverThreshold)}` : '';
  return `${name} = ${value} — ${verdict}: fires when ${a.op} ${fmtNum(a.threshold)}${recover}`;
}

const CORRECTION_NAMES: Record<string, string> = {
  benjamini_hochberg: 'Benjamini-Hochberg',
  bonferroni: 'Bonferroni',
};

/** ` (adjusted: Benjamini-Hochberg across 20 tests)` when the value is an adjusted p-value. */
function adjustmentNote(a: AlertSnapshot): string {
  if (a.correction === null || a.value === null) return '';
  const name = CORRECTION_NAMES[a.correction.method] ?? a.correction.method;
  return ` (adjusted: ${name} across ${fmtCount(a.correction.tests)} tests)`;
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
