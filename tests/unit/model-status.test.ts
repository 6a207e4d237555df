import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/tools/model-status.js';
import { describeModelStatus } from '../../src/tools/model-status-text.js';

const T = Date.parse('2026-01-02T00:00:00.000Z');
const MINUTE = 60_000;

/** A pivoted row as the Flux query returns it. */
function row(
  minute: number,
  method: string,
  feature: string,
  fields: Record<string, unknown>,
  tags: { version?: string; window?: string } = {},
): Record<string, unknown> {
  return {
    result: '_result',
    table: 0,
    _time: new Date(T + minute * MINUTE).toISOString(),
    _measurement: 'drift',
    model: 'pricing',
    model_version: tags.version ?? '7',
    window: tags.window ?? '1m',
    baseline: 'abc',
    method,
    feature,
    ...fields,
  };
}

function rows(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let m = 1; m <= 4; m++) {
    const incident = m >= 4;
    out.push(
      row(m, 'ops', '_model', {
        events: incident ? 200 : 600,
        events_per_second: incident ? 200 / 60 : 10,
        errors: incident ? 67 : 0,
        error_share: incident ? 0.335 : 0,
        late_events: 0,
        future_events: 0,
        latency_p50: incident ? 480 : 25,
        latency_p99: incident ? 549 : 49,
      }),
      row(m, 'schema', '_dataset', {
        missing_features: 0,
        wrong_type: incident ? 50 : 0,
        wrong_type_feature_names: incident ? 'a' : '',
        missing_feature_names: '',
        new_feature_names: incident ? 'region' : '',
        new_feature_other: 0,
      }),
      row(m, 'summary', 'a', {
        n: 150,
        missing: 0,
        wrong_type: incident ? 50 : 0,
        below_min: incident ? 3 : 0,
        above_max: 0,
        below_q001: 4,
        above_q999: 1,
      }),
      row(m, 'ks', 'a', {
        n: 150,
        status: 'ok',
        drifted: incident,
        statistic: incident ? 0.4 : 0.05,
        threshold: 0.01,
        p_value: incident ? 1e-9 : 0.6,
        rule: 'p_value',
      }),
      row(m, 'psi', 'b', {
        n: 200,
        status: 'ok',
        drifted: false,
        statistic: 0.01,
        threshold: 0.2,
        rule: 'threshold',
      }),
    );
    if (incident) out.push(row(m, 'new_feature', 'region', { events: 200, share: 1 }));
  }
  // The 5m view of the same version, and an older version: neither is shown by default.
  out.push(row(4, 'ops', '_model', { events: 2000 }, { window: '5m' }));
  out.unshift(row(0, 'ops', '_model', { events: 5 }, { version: '6' }));
  out.push(
    row(4, 'quality', '_model', {
      labelled: 150,
      label_coverage: 0.75,
      unusable_labels: 0,
      accuracy: 0.9,
      f1: 0.85,
    }),
    row(4, 'quality_class', 'yes', { support: 90, precision: 0.9, recall: 0.8, f1: 0.847 }),
    row(4, 'prediction_class', 'yes', { count: 120, class_share: 0.6 }),
    row(4, 'quality_delayed', '_model', {
      labelled: 40,
      label_coverage: 0.2,
      unusable_labels: 0,
      accuracy: 0.75,
    }),
    row(4, 'prediction_class', 'no', { count: 80, class_share: 0.4 }),
  );
  return out;
}

const query = { model: 'pricing', from: T, to: T + 10 * MINUTE, last: 3 };

describe('model status (driftwatch model status)', () => {
  it('shows the newest version, the base window length and the last windows in time order', () => {
    const status = statusOf(rows(), query, 'drift');
    expect(status.modelVersion).toBe('7');
    expect(status.window).toBe('1m');
    expect(status.windowLengths).toEqual(['1m', '5m']);
    expect(status.windows.map((w) => w.end)).toEqual([2, 3, 4].map((m) => T + m * MINUTE));
    const last = status.windows.at(-1);
    expect(last?.ops?.events).toBe(200);
    expect(last?.newFeatures.map((f) => f.name)).toEqual(['region']);
    expect(last?.features.map((f) => f.name)).toEqual(['a']);
    expect(last?.drift.map((d) => `${d.feature}/${d.method}`)).toEqual(['a/ks', 'b/psi']);
  });

  it('reads another length or version when asked, and names what is stored when it is not', () => {
    expect(statusOf(rows(), { ...query, window: '5m' }, 'drift').windows[0]?.ops?.events).toBe(
      2000,
    );
    expect(statusOf(rows(), { ...query, modelVersion: '6' }, 'drift').windows).toHaveLength(1);
    expect(() => statusOf(rows(), { ...query, window: '1h' }, 'drift')).toThrow(/stored: 1m, 5m/);
    expect(() => statusOf([], query, 'drift')).toThrow(/no points of pricing/);
  });

  it('prints volume, latency and errors per window and the newest window in detail', () => {
    const text = describeModelStatus(statusOf(rows(), query, 'drift'));
    const lines = text.split('\n');
    const cells = (label: string) =>
      lines
        .find((l) => l.trimStart().startsWith(label))
        ?.slice(label.length + 2)
        .trim()
        .split(/\s{3,}/);
    expect(lines[0]).toContain('pricing 7, 1m windows: the last 3, ending');
    expect(cells('events')).toEqual(['600', '600', '200']);
    expect(cells('errors')).toEqual(['0 (0.0%)', '0 (0.0%)', '67 (33.5%)']);
    expect(cells('latency p99 ms')).toEqual(['49', '49', '549']);
    expect(cells('drifted features')).toEqual(['0 of 2', '0 of 2', '1 of 2']);
    expect(text).toMatch(/wrong-type features +a\n/);
    expect(text).toMatch(/new features +region \(200 events\)\n/);
    expect(text).toMatch(/predicted classes +yes 60\.0%, no 40\.0%/);
    // a: 3 of 150 below the training minimum; 5 of 150 outside the 0.1–99.9 % quantiles.
    expect(text).toMatch(/ {4}a +150 +0 +50 +2\.0% +3\.3%/);
    expect(text).toContain('quality (inline labels): 150 labelled (75.0% of the predictions)');
    expect(text).toContain(
      'quality (delayed labels, so far): 40 labelled (20.0% of the predictions)',
    );
    expect(cells('labelled later (coverage)')).toEqual(['–', '–', '40 (20.0%)']);
    expect(text).toContain('accuracy 0.900  f1 0.850');
    expect(text).toMatch(/class yes \(90\): precision 0\.900/);
    expect(text).toMatch(/drifted\n {4}a {2}ks {2}p 1\.00e-9 < 0\.0100/);
  });
});

describe('model status of daily and count windows', () => {
  it('dates the columns when the windows end on different days, and shows a count window’s start', () => {
    const day = 86_400_000;
    const rows = [1, 2].map((d) => ({
      _time: new Date(T + d * day).toISOString(),
      model: 'pricing',
      model_version: '7',
      window: 'count:500',
      method: 'ops',
      feature: '_model',
      events: 500 + d,
      window_start: T + d * day - 7 * 3_600_000,
    }));
    const text = describeModelStatus(
      statusOf(rows, { model: 'pricing', from: T, to: T + 3 * day, last: 3 }, 'drift'),
    );
    expect(text).toMatch(/window end +2026-01-03 00:00 +2026-01-04 00:00/);
    expect(text).toMatch(/window start +2026-01-02T17:00 +2026-01-03T17:00/);
  });
});
