import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../src/baseline/build.js';
import { toBaseline, type Baseline } from '../../src/baseline/baseline.js';
import { parseBaselineBytes } from '../../src/baseline/load-file.js';
import type { ReportData, SeriesPoint } from '../../src/report/report-data.js';
import { renderReport } from '../../src/report/render.js';
import { trainingColumns } from '../../scripts/synthetic.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const FIVE_MINUTES = 300_000;

function baselineOf(numeric: string[]): Baseline {
  const columns = trainingColumns(
    { model: 'fraud', modelVersion: '3', numericFeatures: numeric, seed: 3 },
    2_000,
  );
  const file = buildBaseline(columns, {
    model: 'fraud',
    modelVersion: '3',
    sourceFile: 'synthetic',
  });
  const { parsed, hash } = parseBaselineBytes(Buffer.from(JSON.stringify(file)), 'fraud-3.json');
  return toBaseline(parsed, hash, 'fraud-3.json');
}

function series(windows: number, drifting: boolean, rule = 'threshold'): SeriesPoint[] {
  return Array.from({ length: windows }, (_, i) => {
    const shifted = drifting && i > windows / 2;
    const statistic = shifted ? 0.4 : 0.02 + (i % 7) / 1000;
    const pValue = rule === 'p_value' ? (shifted ? 1e-9 : 0.3 + (i % 5) / 10) : null;
    const threshold = rule === 'p_value' ? 0.05 : 0.2;
    return {
      time: T0 + (i + 1) * FIVE_MINUTES,
      statistic,
      threshold,
      pValue,
      drifted: pValue === null ? statistic >= threshold : pValue < threshold,
      n: 300,
      rule,
    };
  });
}

function reportOf(features: number, windows: number): ReportData {
  const numeric = Array.from({ length: features }, (_, i) => `f${i}`);
  const baseline = baselineOf(numeric);
  const bySeries = new Map<string, Map<string, SeriesPoint[]>>();
  const counts = new Map<string, number[]>();
  for (const [name, ref] of baseline.features) {
    bySeries.set(
      name,
      new Map([
        ['psi', series(windows, name === 'f1')],
        ['ks', series(windows, false, 'p_value')],
      ]),
    );
    const bins = ref.kind === 'numeric' ? ref.cuts.length + 1 : ref.categories.length + 1;
    counts.set(
      name,
      Array.from({ length: bins }, (_, i) => i + 1),
    );
  }
  bySeries.set('_dataset', new Map([['drift_share', series(windows, true)]]));
  return {
    model: 'fraud',
    modelVersion: '3',
    from: T0,
    to: T0 + (windows + 1) * FIVE_MINUTES,
    generatedAt: T0,
    baseline,
    baselineHash: baseline.hash,
    series: bySeries,
    distribution: { windowEnd: T0 + windows * FIVE_MINUTES, counts },
    alerts: [
      {
        time: T0 + FIVE_MINUTES * 3,
        rule: 'feature_psi',
        severity: 'warning',
        state: 'firing',
        from: 'pending',
        feature: 'f1',
        method: 'psi',
        value: 0.4,
        threshold: 0.2,
      },
    ],
  };
}

describe('drift report', () => {
  it('ranks what drifted most first and draws each feature against its baseline', () => {
    const html = renderReport(reportOf(3, 48));
    const ranking = html.slice(html.indexOf('What drifted most'), html.indexOf('Alert episodes'));
    expect(ranking.indexOf('>f1<')).toBeGreaterThan(0);
    expect(ranking.indexOf('>f1<')).toBeLessThan(ranking.indexOf('>f0<'));
    // Dataset share, then per feature (country included): statistics, p-values, baseline vs window.
    expect(html.match(/<svg class="chart"/g)).toHaveLength(1 + 4 * 3);
    expect(html).toContain('feature_psi');
    expect(html).toContain('pending → firing');
  });

  it('is self-contained: no script, no external resource', () => {
    const html = renderReport(reportOf(2, 12));
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes names taken from the logs', () => {
    const data = reportOf(1, 4);
    const evil = '<img src=x onerror=alert(1)>';
    const html = renderReport({ ...data, model: evil });
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('stays small for 50 features over a week of 5-minute windows', () => {
    const html = renderReport(reportOf(50, 7 * 24 * 12));
    const bytes = Buffer.byteLength(html);
    // README "HTML drift report" states the figure; the charts keep ~2 points per pixel column.
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(1 + 51 * 3);
  });
});
