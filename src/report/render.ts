import { DATASET_FEATURE } from '../drift/window-points.js';
import type { FeatureBaseline } from '../baseline/baseline.js';
import type { ReportData, SeriesPoint } from './report-data.js';
import { barChart, esc, fmt, iso, lineChart, type Line } from './svg.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const THRESHOLD_COLOR = '#d62728';

/** How far a feature went past its threshold in the range: the ranking at the top. */
interface Ranked {
  feature: string;
  method: string;
  /** Worst point against its threshold: statistic / threshold, or alpha / p-value. */
  severity: number;
  /** The worst point's value as the method decides on it (its statistic or its p-value). */
  worst: string;
  drifted: number;
  windows: number;
}

/** A method decided on its p-value (the threshold is an alpha) rather than its statistic. */
function decidesOnPValue(points: readonly SeriesPoint[]): boolean {
  return points.some((p) => p.rule === 'p_value');
}

function rankMethod(feature: string, method: string, points: readonly SeriesPoint[]): Ranked {
  const onP = decidesOnPValue(points);
  let severity = 0;
  let worst: SeriesPoint | undefined;
  let drifted = 0;
  for (const p of points) {
    if (p.drifted) drifted++;
    const s = onP
      ? p.pValue !== null && p.threshold !== null
        ? p.threshold / Math.max(p.pValue, Number.MIN_VALUE)
        : 0
      : p.statistic !== null && p.threshold !== null && p.threshold > 0
        ? p.statistic / p.threshold
        : 0;
    if (s > severity || !worst) {
      severity = s;
      worst = p;
    }
  }
  const text = !worst
    ? '—'
    : onP
      ? `p ${fmt(worst.pValue)} (alpha ${fmt(worst.threshold)})`
      : `${fmt(worst.statistic)} (threshold ${fmt(worst.threshold)})`;
  return { feature, method, severity, worst: text, drifted, windows: points.length };
}

function rank(data: ReportData): Ranked[] {
  const ranked: Ranked[] = [];
  for (const [feature, methods] of data.series) {
    if (feature === DATASET_FEATURE) continue;
    let best: Ranked | undefined;
    for (const [method, points] of methods) {
      const entry = rankMethod(feature, method, points);
      const better =
        !best ||
        entry.drifted > best.drifted ||
        (entry.drifted === best.drifted && entry.severity > best.severity);
      if (better) best = entry;
    }
    if (best) ranked.push(best);
  }
  return ranked.sort(
    (a, b) =>
      b.drifted - a.drifted || b.severity - a.severity || a.feature.localeCompare(b.feature),
  );
}

/** Bin labels and the baseline's proportions, in the order the window's counts come in. */
function baselineDistribution(ref: FeatureBaseline): { labels: string[]; proportions: number[] } {
  if (ref.kind === 'numeric') {
    const cuts = [...ref.cuts];
    const labels = [
      `< ${fmt(cuts[0] ?? null)}`,
      ...cuts.slice(1).map((c, i) => `[${fmt(cuts[i] ?? null)}, ${fmt(c)})`),
      `≥ ${fmt(cuts.at(-1) ?? null)}`,
    ];
    if (cuts.length === 0) labels.splice(0, labels.length, 'all');
    return { labels, proportions: proportions([...ref.binCounts]) };
  }
  return {
    labels: [...ref.categories, ref.other > 0 ? 'other / unseen' : 'unseen'],
    proportions: proportions([...ref.counts, ref.other]),
  };
}

function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

function featureSection(data: ReportData, feature: string): string {
  const methods = data.series.get(feature) ?? new Map<string, readonly SeriesPoint[]>();
  // Statistics against thresholds, and p-values against alphas: two scales, two charts.
  const statistics: Line[] = [];
  const pValues: Line[] = [];
  let color = 0;
  for (const [method, points] of methods) {
    const onP = decidesOnPValue(points);
    const lines = onP ? pValues : statistics;
    lines.push({
      label: onP ? `${method} p-value` : method,
      color: COLORS[color++ % COLORS.length] as string,
      points: points.map((p) => [p.time, onP ? p.pValue : p.statistic] as const),
    });
    lines.push({
      label: onP ? `${method} alpha` : `${method} threshold`,
      color: THRESHOLD_COLOR,
      dashed: true,
      points: points.map((p) => [p.time, p.threshold] as const),
    });
  }
  const charts: string[] = [];
  if (statistics.length > 0) {
    charts.push(lineChart(`${feature}: statistics vs thresholds`, data.from, data.to, statistics));
  }
  if (pValues.length > 0) {
    charts.push(lineChart(`${feature}: p-values vs alpha`, data.from, data.to, pValues));
  }
  const ref = data.baseline?.features.get(feature);
  const counts = data.distribution?.counts.get(feature);
  if (ref && counts && data.distribution) {
    const base = baselineDistribution(ref);
    if (base.proportions.length === counts.length) {
      charts.push(
        barChart(`${feature}: baseline vs window`, {
          labels: base.labels,
          series: [
            { label: 'baseline', color: '#7f7f7f', values: base.proportions },
            {
              label: `window ending ${iso(data.distribution.windowEnd)}`,
              color: COLORS[0] as string,
              values: proportions(counts),
            },
          ],
        }),
      );
    }
  }
  return `<section class="feature" id="f-${esc(feature)}"><h3>${esc(feature)}</h3><div class="charts">${charts.join('')}</div></section>`;
}

function alertTable(data: ReportData): string {
  if (data.alerts.length === 0) return '<p>No alert transitions in the range.</p>';
  const rows = data.alerts
    .map(
      (a) =>
        `<tr><td>${esc(iso(a.time))}</td><td>${esc(a.rule)}</td><td>${esc(a.severity)}</td><td>${esc(a.from)} → ${esc(a.state)}</td><td>${esc(a.feature)}</td><td>${esc(a.method)}</td><td>${fmt(a.value)}</td><td>${fmt(a.threshold)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>time</th><th>rule</th><th>severity</th><th>transition</th><th>feature</th><th>method</th><th>value</th><th>threshold</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function baselineBlock(data: ReportData): string {
  const b = data.baseline;
  if (!b) {
    return `<p>Baseline <code>${esc(data.baselineHash ?? 'unknown')}</code> is not in baselines.dir: distributions are not drawn.</p>`;
  }
  const rows = [...b.features]
    .map(([name, f]) => {
      const what =
        f.kind === 'numeric'
          ? `${f.cuts.length + 1} bins, std ${fmt(f.std)}`
          : `${f.categories.length} categories`;
      return `<tr><td>${esc(name)}</td><td>${f.kind}</td><td>${f.count}</td><td>${esc(what)}</td></tr>`;
    })
    .join('');
  return `<p>Baseline <code>${esc(b.hash)}</code>, created ${esc(b.createdAt)}, file ${esc(b.file)}${b.prediction ? `, prediction feature ${esc(b.prediction)}` : ''}.</p><details><summary>Training summary (${b.features.size} features)</summary><table><thead><tr><th>feature</th><th>kind</th><th>training values</th><th>reference</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

const STYLE = `body{font:13px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:16px 0 4px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}.drifted{color:${THRESHOLD_COLOR};font-weight:600}code{background:#f4f4f4;padding:0 3px}`;

/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no external
 * resource, so it opens the same offline, in a mail attachment or in an incident doc.
 */
export function renderReport(data: ReportData): string {
  const ranked = rank(data);
  const ranking = ranked
    .slice(0, 10)
    .map(
      (r) =>
        `<tr><td><a href="#f-${esc(r.feature)}">${esc(r.feature)}</a></td><td>${esc(r.method)}</td><td class="${r.drifted > 0 ? 'drifted' : ''}">${r.drifted} / ${r.windows}</td><td>${esc(r.worst)}</td></tr>`,
    )
    .join('');
  const dataset = data.series.get(DATASET_FEATURE)?.values().next().value;
  const datasetChart = dataset
    ? lineChart('dataset drift share', data.from, data.to, [
        {
          label: 'drifted share',
          color: COLORS[0] as string,
          points: dataset.map((p) => [p.time, p.statistic] as const),
        },
        {
          label: 'threshold',
          color: THRESHOLD_COLOR,
          dashed: true,
          points: dataset.map((p) => [p.time, p.threshold] as const),
        },
      ])
    : '';
  const features = ranked.map((r) => featureSection(data, r.feature)).join('');
  const title = `Drift report: ${data.model} ${data.modelVersion}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(title)}</h1>
<p>${esc(iso(data.from))} to ${esc(iso(data.to))} · generated ${esc(iso(data.generatedAt))} by driftwatch</p>
<h2>What drifted most</h2>
<table><thead><tr><th>feature</th><th>method</th><th>drifted windows</th><th>worst window</th></tr></thead><tbody>${ranking}</tbody></table>
${datasetChart}
<h2>Alert episodes</h2>
${alertTable(data)}
<h2>Baseline</h2>
${baselineBlock(data)}
<h2>Features</h2>
${features}
</body></html>
`;
}
