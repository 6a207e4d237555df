/** Inline SVG charts: the report must open without network or scripts. */

export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const W = 560;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** Short, stable number text for axes and tables. */
export function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

export interface Line {
  label: string;
  color: string;
  /** [time, value] in time order; null values break the line. */
  points: ReadonlyArray<readonly [number, number | null]>;
  dashed?: boolean;
}

/**
 * Keeps, per pixel column, the first, lowest, highest and last value: a week of 5-minute
 * windows draws in ~2 × the chart's width in points, and no spike disappears.
 */
function decimate(
  all: ReadonlyArray<readonly [number, number | null]>,
  x: (t: number) => number,
): Array<readonly [number, number | null]> {
  // A run of equal values (a threshold, mostly) is a straight line: its ends draw it.
  const points = all.filter(
    (p, i) =>
      i === 0 || i === all.length - 1 || p[1] !== all[i - 1]?.[1] || p[1] !== all[i + 1]?.[1],
  );
  if (points.length <= PLOT_W * 2) return points;
  const out: Array<readonly [number, number | null]> = [];
  let column = -1;
  let bucket: Array<readonly [number, number | null]> = [];
  const flush = () => {
    if (bucket.length === 0) return;
    const valued = bucket.filter((p) => p[1] !== null);
    if (valued.length < bucket.length) out.push(...bucket);
    else {
      const lo = valued.reduce((a, b) => ((b[1] as number) < (a[1] as number) ? b : a));
      const hi = valued.reduce((a, b) => ((b[1] as number) > (a[1] as number) ? b : a));
      const keep = new Set([bucket[0], lo, hi, bucket[bucket.length - 1]]);
      for (const p of bucket) if (keep.has(p)) out.push(p);
    }
    bucket = [];
  };
  for (const p of points) {
    const c = Math.floor(x(p[0]));
    if (c !== column) {
      flush();
      column = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

/** A time-series chart: one polyline per line, y from 0 to the largest value. */
export function lineChart(title: string, from: number, to: number, lines: readonly Line[]): string {
  let max = 0;
  for (const l of lines) for (const [, v] of l.points) if (v !== null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * PLOT_W;
  const y = (v: number) => PAD.top + PLOT_H - (v / max) * PLOT_H;
  const paths = lines.map((l) => {
    const segments: string[] = [];
    let current: string[] = [];
    for (const [t, v] of decimate(l.points, x)) {
      if (v === null) {
        if (current.length > 0) segments.push(current.join(' '));
        current = [];
        continue;
      }
      current.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    if (current.length > 0) segments.push(current.join(' '));
    const dash = l.dashed ? ' stroke-dasharray="4 3"' : '';
    return segments
      .map(
        (pts) =>
          `<polyline fill="none" stroke="${l.color}" stroke-width="1.3"${dash} points="${pts}"><title>${esc(l.label)}</title></polyline>`,
      )
      .join('');
  });
  const legend = lines
    .map(
      (l, i) =>
        `<text x="${PAD.left + 6 + i * 110}" y="${PAD.top + 10}" fill="${l.color}" font-size="10">${esc(l.label)}</text>`,
    )
    .join('');
  const axis = `<line x1="${PAD.left}" y1="${PAD.top + PLOT_H}" x2="${W - PAD.right}" y2="${PAD.top + PLOT_H}" stroke="#999"/><line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + PLOT_H}" stroke="#999"/><text x="2" y="${PAD.top + 8}" font-size="10">${fmt(max)}</text><text x="2" y="${PAD.top + PLOT_H}" font-size="10">0</text><text x="${PAD.left}" y="${H - 4}" font-size="10">${esc(iso(from))}</text><text x="${W - PAD.right}" y="${H - 4}" font-size="10" text-anchor="end">${esc(iso(to))}</text>`;
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${axis}${paths.join('')}${legend}</svg>`;
}

export interface Bars {
  labels: readonly string[];
  /** Proportions per label, one series per entry. */
  series: ReadonlyArray<{ label: string; color: string; values: readonly number[] }>;
}

/** Grouped bars of proportions: the baseline's distribution next to a window's. */
export function barChart(title: string, bars: Bars): string {
  const k = bars.labels.length;
  const groupW = PLOT_W / Math.max(1, k);
  const barW = Math.max(1, (groupW * 0.8) / Math.max(1, bars.series.length));
  let max = 0;
  for (const s of bars.series) for (const v of s.values) if (v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  const rects: string[] = [];
  bars.series.forEach((s, si) => {
    s.values.forEach((v, i) => {
      const h = (v / max) * PLOT_H;
      const x = PAD.left + i * groupW + groupW * 0.1 + si * barW;
      rects.push(
        `<rect x="${x.toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(`${s.label} ${bars.labels[i] ?? ''}: ${fmt(v)}`)}</title></rect>`,
      );
    });
  });
  const legend = bars.series
    .map(
      (s, i) =>
        `<text x="${PAD.left + 6 + i * 140}" y="${PAD.top + 10}" fill="${s.color}" font-size="10">${esc(s.label)}</text>`,
    )
    .join('');
  const first = bars.labels[0] ?? '';
  const last = bars.labels[k - 1] ?? '';
  const axis = `<line x1="${PAD.left}" y1="${PAD.top + PLOT_H}" x2="${W - PAD.right}" y2="${PAD.top + PLOT_H}" stroke="#999"/><text x="2" y="${PAD.top + 8}" font-size="10">${fmt(max)}</text><text x="${PAD.left}" y="${H - 4}" font-size="10">${esc(first)}</text><text x="${W - PAD.right}" y="${H - 4}" font-size="10" text-anchor="end">${esc(last)}</text>`;
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${axis}${rects.join('')}${legend}</svg>`;
}

export function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
