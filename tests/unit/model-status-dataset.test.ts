import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/tools/model-status.js';
import { describeModelStatus } from '../../src/tools/model-status-text.js';

const T = Date.parse('2026-01-02T00:00:00.000Z');
const MINUTE = 60_000;

function row(method: string, feature: string, fields: Record<string, unknown>) {
  return {
    result: '_result',
    table: 0,
    _time: new Date(T + MINUTE).toISOString(),
    _measurement: 'drift',
    model: 'pricing',
    model_version: '7',
    window: '1m',
    baseline: 'abc',
    method,
    feature,
    ...fields,
  };
}

describe('model status: the _dataset drift_share point', () => {
  it('is no feature: "drifted features" counts only features, and it is not listed as one', () => {
    // What evaluateWindow writes for every window: per-feature tests plus `_dataset drift_share`.
    const rows = [
      row('ops', '_model', { events: 100 }),
      row('ks', 'a', {
        n: 100,
        status: 'ok',
        drifted: true,
        p_value: 1e-9,
        rule: 'p_value',
        threshold: 0.05,
      }),
      row('psi', 'b', {
        n: 100,
        status: 'ok',
        drifted: false,
        statistic: 0.01,
        threshold: 0.25,
        rule: 'threshold',
      }),
      row('drift_share', '_dataset', {
        n: 2,
        status: 'ok',
        drifted: true,
        statistic: 0.5,
        threshold: 0.5,
        rule: 'threshold',
      }),
    ];
    const text = describeModelStatus(
      statusOf(rows, { model: 'pricing', from: T, to: T + 10 * MINUTE, last: 3 }, 'drift'),
    );
    const line = text.split('\n').find((l) => l.trimStart().startsWith('drifted features'));
    expect(line?.trim().split(/\s{3,}/)[1]).toBe('1 of 2');
    expect(text).not.toMatch(/_dataset +drift_share/);
  });
});
