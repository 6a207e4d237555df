import { MEASURES_BY_METHOD } from '../../alert-engine/model.js';
import { DATASET_FEATURE } from '../drift/window-points.js';
import type { DriftRow, Fields, ModelStatus, NamedFields, WindowStatus } from './model-status.js';

const num = (f: Fields | undefined, name: string): number | undefined => {
  const v = f?.[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const str = (f: Fields | undefined, name: string) => (f?.[name] ?? '').toString();

function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined) return '–';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits);
}
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

/**
 * Column headings: the time of day when every window ends on one day (the date is in the
 * heading line), else the date and the time (daily windows all end at 00:00).
 */
function headingsOf(windows: readonly WindowStatus[]): string[] {
  const iso = windows.map((w) => new Date(w.end).toISOString());
  const oneDay = new Set(iso.map((t) => t.slice(0, 10))).size === 1;
  return iso.map((t) => (oneDay ? t.slice(11, 19) : `${t.slice(0, 10)} ${t.slice(11, 16)}`));
}

/** Rows of label + one cell per window, columns padded to their widest cell. */
function table(head: string[], rows: string[][]): string[] {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('   ')
      .trimEnd(),
  );
}

/** Per-feature drift points: not the window's `_dataset` drift share (it is no feature). */
const featureDrift = (w: WindowStatus): DriftRow[] =>
  w.drift.filter((d) => d.feature !== DATASET_FEATURE);

const labelled = (q: Fields | undefined) =>
  q ? `${fmt(num(q, 'labelled'))} (${pct(num(q, 'label_coverage'))})` : '–';

const names = (list: string) => (list === '' ? 'none' : list.split(',').join(', '));

/**
 * A readable status of one model version (`driftwatch model status`): volume, latency and
 * errors across the last windows, then the newest window's schema, classes, out-of-range
 * values, quality and drifted features — what `baseline inspect` is to a baseline.
 */
export function describeModelStatus(status: ModelStatus): string {
  const { windows } = status;
  const last = windows.at(-1) as WindowStatus;
  const lines: string[] = [];
  lines.push(
    `${status.model} ${status.modelVersion}, ${status.window} windows: the last ${windows.length}, ending ${new Date(last.end).toISOString()} (measurement ${status.measurement}${status.windowLengths.length > 1 ? `; lengths stored: ${status.windowLengths.join(', ')}` : ''})`,
  );
  const perWindow = (label: string, cell: (w: WindowStatus) => string) => [
    `  ${label}`,
    ...windows.map(cell),
  ];
  lines.push('');
  lines.push(
    ...table(
      ['window end', ...headingsOf(windows)],
      [
        // Count windows span what their predictions needed: their start says how long.
        ...(windows.some((w) => w.start !== undefined)
          ? [
              perWindow('window start', (w) =>
                w.start === undefined ? '–' : new Date(w.start).toISOString().slice(0, 16),
              ),
            ]
          : []),
        perWindow('events', (w) => fmt(num(w.ops, 'events'))),
        perWindow('events/s', (w) => fmt(num(w.ops, 'events_per_second'))),
        perWindow('errors', (w) =>
          w.ops ? `${fmt(num(w.ops, 'errors'))} (${pct(num(w.ops, 'error_share'))})` : '–',
        ),
        perWindow('late / future events', (w) =>
          w.ops ? `${fmt(num(w.ops, 'late_events'))} / ${fmt(num(w.ops, 'future_events'))}` : '–',
        ),
        perWindow('latency p50 ms', (w) => fmt(num(w.ops, 'latency_p50'))),
        perWindow('latency p90 ms', (w) => fmt(num(w.ops, 'latency_p90'))),
        perWindow('latency p99 ms', (w) => fmt(num(w.ops, 'latency_p99'))),
        perWindow('prediction mean', (w) => fmt(num(w.ops, 'prediction_mean'))),
        perWindow('wrong-typed values', (w) => fmt(num(w.schema, 'wrong_type'))),
        perWindow('drifted features', (w) => {
          const tests = featureDrift(w).filter((d) => d.fields.status !== undefined);
          return `${new Set(tests.filter((d) => d.fields.drifted === true).map((d) => d.feature)).size} of ${new Set(tests.map((d) => d.feature)).size}`;
        }),
        perWindow('labelled (coverage)', (w) => labelled(w.quality)),
        ...(windows.some((w) => w.delayedQuality)
          ? [perWindow('labelled later (coverage)', (w) => labelled(w.delayedQuality))]
          : []),
      ],
    ),
  );
  if (!last.ops) {
    lines.push('  (no ops points: the windows were merged from partials of an older version)');
  }
  lines.push('', `newest window, ${new Date(last.end).toISOString()}:`);
  lines.push(...schemaLines(last));
  lines.push(...classLines(last.classes));
  lines.push(...outOfRangeLines(last.features));
  lines.push(...qualityLines(last));
  lines.push(...driftLines(last));
  return `${lines.join('\n')}\n`;
}

function schemaLines(w: WindowStatus): string[] {
  if (!w.schema) return ['  schema: no schema point'];
  const out = ['  schema'];
  out.push(`    missing features     ${names(str(w.schema, 'missing_feature_names'))}`);
  out.push(`    wrong-type features  ${names(str(w.schema, 'wrong_type_feature_names'))}`);
  const extra = num(w.schema, 'new_feature_other') ?? 0;
  const news = w.newFeatures.map((f) => `${f.name} (${fmt(num(f.fields, 'events'))} events)`);
  out.push(
    `    new features         ${news.length === 0 ? 'none' : news.join(', ')}${extra > 0 ? `, and ${fmt(extra)} events naming others` : ''}`,
  );
  return out;
}

function classLines(classes: readonly NamedFields[]): string[] {
  if (classes.length === 0) return [];
  const cells = [...classes]
    .sort((a, b) => (num(b.fields, 'count') ?? 0) - (num(a.fields, 'count') ?? 0))
    .map((c) => `${c.name} ${pct(num(c.fields, 'class_share'))}`);
  return [`  predicted classes    ${cells.join(', ')}`];
}

function outOfRangeLines(features: readonly NamedFields[]): string[] {
  const numeric = features.filter((f) => num(f.fields, 'below_min') !== undefined);
  if (numeric.length === 0) return [];
  const share = (f: Fields, a: string, b: string) => {
    const n = num(f, 'n') ?? 0;
    const k = (num(f, a) ?? 0) + (num(f, b) ?? 0);
    return n > 0 ? pct(k / n) : '–';
  };
  const rows = [...numeric]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((f) => [
      `    ${f.name}`,
      fmt(num(f.fields, 'n')),
      fmt(num(f.fields, 'missing')),
      fmt(num(f.fields, 'wrong_type')),
      share(f.fields, 'below_min', 'above_max'),
      num(f.fields, 'below_q001') === undefined ? '–' : share(f.fields, 'below_q001', 'above_q999'),
    ]);
  return [
    '  numeric features (out of range: outside the training min–max, or its 0.1–99.9 % quantiles)',
    ...table(
      ['    feature', 'values', 'missing', 'wrong type', 'out of range', 'out of quantiles'],
      rows,
    ),
  ];
}

function qualityLines(w: WindowStatus): string[] {
  const lines = qualityOf('quality (inline labels)', w.quality, w.qualityClasses);
  if (w.delayedQuality) {
    lines.push(
      ...qualityOf('quality (delayed labels, so far)', w.delayedQuality, w.delayedQualityClasses),
    );
  }
  return lines;
}

function qualityOf(
  title: string,
  q: Fields | undefined,
  classes: readonly NamedFields[],
): string[] {
  if (!q) return [`  ${title}: no labelled predictions`];
  const metrics = MEASURES_BY_METHOD.quality.filter(
    (m) => m !== 'label_coverage' && num(q, m) !== undefined,
  );
  const out = [
    `  ${title}: ${fmt(num(q, 'labelled'))} labelled (${pct(num(q, 'label_coverage'))} of the predictions), ${fmt(num(q, 'unusable_labels'))} unusable labels`,
  ];
  if (metrics.length > 0)
    out.push(`    ${metrics.map((m) => `${m} ${fmt(num(q, m))}`).join('  ')}`);
  for (const c of [...classes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    out.push(
      `    class ${c.name} (${fmt(num(c.fields, 'support'))}): precision ${fmt(num(c.fields, 'precision'))}  recall ${fmt(num(c.fields, 'recall'))}  f1 ${fmt(num(c.fields, 'f1'))}`,
    );
  }
  return out;
}

function driftLines(w: WindowStatus): string[] {
  const drifted = featureDrift(w)
    .filter((d) => d.fields.drifted === true)
    .sort((a, b) =>
      a.feature === b.feature ? (a.method < b.method ? -1 : 1) : a.feature < b.feature ? -1 : 1,
    );
  if (drifted.length === 0) return ['  drift: no feature drifted'];
  return [
    '  drifted',
    ...drifted.map((d) => {
      const p = num(d.fields, 'p_value_adjusted') ?? num(d.fields, 'p_value');
      const by =
        str(d.fields, 'rule') === 'p_value'
          ? `p ${fmt(p)} < ${fmt(num(d.fields, 'threshold'))}`
          : `statistic ${fmt(num(d.fields, 'statistic'))} > ${fmt(num(d.fields, 'threshold'))}`;
      return `    ${d.feature}  ${d.method}  ${by}  (n ${fmt(num(d.fields, 'n'))})`;
    }),
  ];
}
