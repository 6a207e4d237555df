import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftObservation } from '../../alert-engine/model.js';
import { toObservation } from '../../src/alerting/observation.js';
import {
  backtest,
  formatBacktest,
  modelPrefixRegExp,
  observationFromRow,
} from '../../src/tools/backtest.js';
import { replayMessage, selectDeadLetters, type DeadLetter } from '../../src/tools/replay.js';
import { rulesJsonSchema } from '../../src/rules/rules-schema.js';
import type { WindowPoint } from '../../src/drift/window-points.js';
import { cli, ROOT } from '../support/cli.js';
import { WINDOW_MS, compileText, endOf, obs, ruleCounts } from '../support/rules.js';

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dw-rules-')), name);
  writeFileSync(file, text);
  return file;
}

// Receivers with secrets from variables that are not set: validating must not need them.
const VALID = `version: 1
receivers:
  hook:
    type: webhook
    url: https://hooks.example.com/drift
    secret_env: DW_TEST_UNSET_WEBHOOK_SECRET
  pager:
    type: webhook
    format: pagerduty
    url: https://events.pagerduty.com/v2/enqueue
    routing_key_env: DW_TEST_UNSET_ROUTING_KEY
  retrain:
    type: retrain
    url: https://ml.example.com/retrain
rules:
  - name: psi-high
    match: { model: fraud, method: psi }
    when: value > 0.25
    receivers: [hook, retrain]
  - name: ks-low
    when: p_value < 0.001
    for: 15m
    receivers: [pager]
`;

const INVALID = `version: 1
receivers:
  hook:
    type: webhook
    url: not-a-url
rules:
  - name: psi-high
    when: value >> 0.25
    receivers: [hook]
  - name: missing-high
    when: missing_share > 0.1
    min_samples: -1
    severity: urgent
    receivers: [hook]
`;

/** A PSI point of fraud@3 "amount" for window i. */
const psi = (i: number, statistic: number, extra: Partial<DriftObservation> = {}) =>
  obs({ windowEnd: endOf(i), statistic, drifted: statistic >= 0.2, ...extra });

describe('driftwatch rules validate / schema (CLI)', () => {
  it('accepts a valid file without the secrets its receivers name', () => {
    const file = tempFile('rules.yaml', VALID);
    const env = { DW_TEST_UNSET_WEBHOOK_SECRET: '', DW_TEST_UNSET_ROUTING_KEY: '' };
    const result = cli(['rules', 'validate', file], env);
    // Only the warnings about thresholds that differ from the default drift config's.
    expect(result.stderr.split('\n').filter((l) => l && !l.startsWith('warning: rule '))).toEqual(
      [],
    );
    expect(result.stdout).toBe('ok: 2 rules, 3 receivers\n');
    expect(result.status).toBe(0);
  });

  it('warns (exit 0) about a threshold that contradicts the drift config', () => {
    const file = tempFile('rules.yaml', VALID);
    const env = { DW_TEST_UNSET_WEBHOOK_SECRET: '', DW_TEST_UNSET_ROUTING_KEY: '' };
    const result = cli(['rules', 'validate', file], env);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: rule "psi-high": "value > 0.25" on psi contradicts drift\.thresholds\.psi of the default drift config/m,
    );
  });

  it('lists every problem with file, line and key path, exit code 2', () => {
    const file = tempFile('rules.yaml', INVALID);
    const result = cli(['rules', 'validate', file]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`driftwatch: error RULES_INVALID: ${file} is invalid:`);
    expect(result.stderr).toContain(`${file}:5 receivers.hook.url: expected an http(s) URL`);
    expect(result.stderr).toMatch(new RegExp(`${escape(file)}:8 rules\\[0\\]\\.when: expected`));
    expect(result.stderr).toMatch(new RegExp(`${escape(file)}:12 rules\\[1\\]\\.min_samples: `));
    expect(result.stderr).toMatch(new RegExp(`${escape(file)}:13 rules\\[1\\]\\.severity: `));
    expect(result.stderr.match(/^ {2}- /gm)).toHaveLength(4);
  });

  it('reports a file that cannot be read, and a wrong invocation', () => {
    const missing = cli(['rules', 'validate', path.join(os.tmpdir(), 'dw-no-such-rules.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error RULES_INVALID: cannot read rules file');
    const usage = cli(['rules', 'validate']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'rules.yaml'");
    const unknown = cli(['rules', 'frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('warns (exit 0) while the example rules still link to the example runbook host', () => {
    const rules = path.join(ROOT, 'examples', 'rules.yaml');
    const result = cli([
      'rules',
      'validate',
      rules,
      '--config',
      path.join(ROOT, 'examples', 'driftwatch.yaml'),
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('example host runbooks.example.com');
    expect(result.stderr).toContain('alerts.runbookBaseUrl');
  });

  it('prints the JSON Schema of the rules file', () => {
    const result = cli(['rules', 'schema']);
    expect(result.status).toBe(0);
    const schema = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(schema.title).toBe('driftwatch alert rules');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual([
      'version',
      'receivers',
      'rules',
      'inhibit',
      'versions',
    ]);
  });

  it('the committed rules.schema.json matches the zod definition (regenerate: npm run schema)', () => {
    const committed = JSON.parse(
      readFileSync(path.join(ROOT, 'rules.schema.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(rulesJsonSchema());
  });

  it('backtest refuses bad times before connecting to anything', () => {
    const rules = tempFile('rules.yaml', VALID);
    const result = cli([
      'rules',
      'backtest',
      rules,
      '--config',
      'nowhere.yaml',
      '--from',
      'yesterday',
      '--to',
      '2026-01-02',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error CLI_USAGE: --from needs a time');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('rules backtest: the replay', () => {
  const rules = compileText(VALID.replace('receivers: [hook, retrain]', 'receivers: [hook]'));

  it('a PSI series breaching for 3 windows then recovering: one episode, firing + resolved', () => {
    const values = [0.05, 0.1, 0.4, 0.45, 0.5, 0.1, 0.05, 0.08];
    const series = values.map((v, i) => psi(i + 1, v));
    const result = backtest(series.reverse(), rules); // order of the input does not matter
    expect(result.windows).toBe(8);
    expect(result.observations).toBe(8);
    expect(result.firstWindowEnd).toBe(endOf(1));
    expect(result.lastWindowEnd).toBe(endOf(8));
    const transitions = result.events.filter((e) => e.type === 'transition');
    expect(transitions.map((t) => [t.to, t.time, t.value])).toEqual([
      ['firing', endOf(3), 0.4],
      ['resolved', endOf(6), 0.1],
    ]);
    expect(transitions[0]).toMatchObject({ rule: 'psi-high', op: '>', threshold: 0.25 });
    const notifications = result.events.filter((e) => e.type === 'notification');
    expect(notifications.map((n) => [n.kind, n.time, n.receivers, n.alerts])).toEqual([
      ['firing', endOf(3), ['hook'], 1],
      ['resolved', endOf(6), ['hook'], 1],
    ]);
    expect(result.rules).toEqual([
      ruleCounts('psi-high', 1, { firing: 1, resolved: 1 }),
      ruleCounts('ks-low', 0),
    ]);
    // Deterministic: the same series gives the same notification ids.
    const again = backtest(
      values.map((v, i) => psi(i + 1, v)),
      rules,
    );
    expect(again.events).toEqual(result.events);

    const text = formatBacktest(result, { from: endOf(0), to: endOf(8) }, 'rules.yaml');
    expect(text).toContain('8 windows, 8 points, 1 model versions');
    expect(text).toMatch(/2026-01-01T00:15:00\.000Z {2}FIRING {3}\s*psi-high {2}fraud@3 {2}amount/);
    expect(text).toContain('value 0.4 (rule > 0.25)');
    expect(text).toMatch(
      /NOTIFY\s+resolved {2}psi-high {2}fraud@3 {2}→ hook {2}\(1 alert, warning\) {2}id [0-9a-f]{32}$/m,
    );
    expect(text).toMatch(/^psi-high\s+1\s+1\s+0\s+0\s+1\s+0$/m);
    expect(text).toMatch(/^ks-low\s+0\s+0\s+0\s+0\s+0\s+0$/m);
  });

  it('counts retraining requests and episodes per rule', () => {
    const withRetrain = compileText(
      VALID.replace(
        '    url: https://ml.example.com/retrain',
        '    url: https://ml.example.com/retrain\n    min_severity: warning',
      ),
    );
    // Two episodes: windows 2-3 and 6-7.
    const values = [0.1, 0.4, 0.4, 0.1, 0.1, 0.5, 0.5, 0.1];
    const result = backtest(
      values.map((v, i) => psi(i + 1, v)),
      withRetrain,
    );
    const psiHigh = result.rules.find((r) => r.rule === 'psi-high');
    expect(psiHigh?.episodes).toBe(2);
    expect(psiHigh?.notifications.firing).toBe(2);
    expect(psiHigh?.notifications.resolved).toBe(2);
    // The cooldown (24h) allows one request.
    expect(psiHigh?.retrainRequests).toBe(1);
    const request = result.events.find((e) => e.type === 'notification' && e.kind === 'retrain');
    expect(request).toMatchObject({ receivers: ['retrain'], time: endOf(2) });
  });

  it('insufficient windows keep the state (no false resolve)', () => {
    const series = [
      psi(1, 0.4),
      psi(2, 0.4),
      psi(3, 0.01, { status: 'insufficient_data', statistic: null, n: 10 }),
      psi(4, 0.4),
    ];
    const result = backtest(series, rules);
    expect(result.events.filter((e) => e.type === 'transition').map((e) => e.to)).toEqual([
      'firing',
    ]);
  });
});

describe('rules backtest: observations from stored rows', () => {
  const identity = {
    model: 'fraud',
    modelVersion: '3',
    baselineHash: 'abc123',
    windowStart: endOf(1) - WINDOW_MS,
    windowEnd: endOf(1),
  };
  const tags = {
    model: 'fraud',
    model_version: '3',
    baseline: 'abc123',
    window: '5m',
    _time: new Date(endOf(1)).toISOString(),
  };

  it('builds what toObservation builds from the live point', () => {
    const ks: WindowPoint = {
      ...identity,
      kind: 'drift',
      feature: 'amount',
      method: 'ks',
      status: 'ok',
      statistic: 0.31,
      pValue: 1e-9,
      adjustedPValue: 4e-9,
      threshold: 0.05,
      alpha: 0.05,
      rule: 'p_value',
      correction: 'benjamini_hochberg',
      tests: 20,
      drifted: true,
      warning: true,
      n: 900,
      nRef: 10_000,
      missing: 12,
      pValueMethod: 'asymp',
    };
    expect(toObservation(ks).correction).toEqual({ method: 'benjamini_hochberg', tests: 20 });
    expect(
      observationFromRow({
        ...tags,
        feature: 'amount',
        method: 'ks',
        status: 'ok',
        statistic: 0.31,
        p_value: 1e-9,
        p_value_adjusted: 4e-9,
        correction: 'benjamini_hochberg',
        tests: 20,
        threshold: 0.05,
        drifted: true,
        warning: true,
        n: 900,
        n_ref: 10_000,
        missing: 12,
        p_value_method: 'asymp',
        unseen: null,
        reason: null,
      }),
    ).toEqual(toObservation(ks));

    const insufficient: WindowPoint = {
      ...identity,
      kind: 'drift',
      feature: 'country',
      method: 'chi_square',
      status: 'insufficient_data',
      statistic: null,
      pValue: null,
      adjustedPValue: null,
      threshold: 0.05,
      alpha: 0.05,
      rule: 'min_samples',
      drifted: false,
      warning: false,
      n: 3,
      nRef: 10_000,
      missing: 0,
      unseen: 1,
    };
    expect(
      observationFromRow({
        ...tags,
        feature: 'country',
        method: 'chi_square',
        status: 'insufficient_data',
        threshold: 0.05,
        drifted: false,
        warning: false,
        n: 3,
        n_ref: 10_000,
        missing: 0,
        unseen: 1,
      }),
    ).toEqual(toObservation(insufficient));

    const summary: WindowPoint = {
      ...identity,
      kind: 'summary',
      feature: 'country',
      n: 3,
      missing: 1,
      categories: 2,
      unseen: 1,
    };
    expect(
      observationFromRow({
        ...tags,
        feature: 'country',
        method: 'summary',
        n: 3,
        missing: 1,
        categories: 2,
        unseen: 1,
      }),
    ).toEqual(toObservation(summary));
  });

  it('falls back to the raw p-value without an adjusted one; skips rows without identity', () => {
    const o = observationFromRow({
      ...tags,
      feature: 'amount',
      method: 'ks',
      status: 'ok',
      p_value: 0.01,
      n: 5,
      missing: 0,
    });
    expect(o?.adjustedPValue).toBe(0.01);
    expect(o?.windowStart).toBe(endOf(1) - WINDOW_MS);
    expect(observationFromRow({ ...tags, method: 'psi' })).toBeUndefined();
    expect(observationFromRow({ ...tags, feature: 'a', method: 'psi', window: 'x' })).toBe(
      undefined,
    );
  });

  it("narrows InfluxDB's rows by the model glob's literal prefix (the glob is matched locally)", () => {
    expect(String(modelPrefixRegExp('fraud-*.v?'))).toBe('/^fraud\\-/');
    expect(String(modelPrefixRegExp('fraud.v2'))).toBe('/^fraud\\.v2$/');
    expect(String(modelPrefixRegExp('a/b(c)?'))).toBe('/^a\\/b\\(c\\)/');
    expect(modelPrefixRegExp('*-rc*')).toBeUndefined();
    expect(modelPrefixRegExp('?x')).toBeUndefined();
    const re = modelPrefixRegExp('fraud-*.v?');
    expect(['fraud-eu.v2', 'fraud-', 'xfraud-eu.v2'].map((m) => re?.test(m))).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe('notifications replay: selection', () => {
  const letter = (id: string, receiver: string | undefined, timestamp: number): DeadLetter => ({
    partition: 0,
    offset: String(timestamp),
    timestamp,
    receiver,
    reason: `failed ${timestamp}`,
    attempts: 3,
    notification: { id, kind: 'firing', receivers: ['hook', 'mail'] } as DeadLetter['notification'],
  });
  const letters = [
    letter('n1', 'hook', 1),
    letter('n2', 'mail', 2),
    letter('n1', 'hook', 3),
    letter('n3', undefined, 4),
    letter('n1', 'mail', 5),
  ];

  it('filters by receiver and id, one per id and receiver (the newest)', () => {
    const all = selectDeadLetters(letters, {});
    expect(all.withoutReceiver).toBe(1);
    expect(all.selected.map((l) => [l.notification.id, l.receiver, l.timestamp])).toEqual([
      ['n2', 'mail', 2],
      ['n1', 'hook', 3],
      ['n1', 'mail', 5],
    ]);
    expect(selectDeadLetters(letters, { receiver: 'hook' }).selected).toHaveLength(1);
    expect(selectDeadLetters(letters, { id: 'n1' }).selected.map((l) => l.receiver)).toEqual([
      'hook',
      'mail',
    ]);
    expect(selectDeadLetters(letters, { id: 'n1', receiver: 'mail' }).selected).toHaveLength(1);
  });
});

describe('notifications replay: the record', () => {
  it('is the notification for the dead letter receiver only, flagged replay, same id, a key of its own', () => {
    const notification = {
      id: 'abc',
      kind: 'resolved',
      receivers: ['hook', 'mail'],
    } as DeadLetter['notification'];
    const message = replayMessage({
      partition: 0,
      offset: '7',
      timestamp: 1,
      receiver: 'mail',
      reason: 'timeout',
      attempts: 9,
      notification,
    });
    // Not the original's n/abc: compaction must never remove the original for a replay.
    expect(message.key).toBe('n/abc/replay/mail/0:7');
    expect(JSON.parse(String(message.value))).toEqual({
      v: 1,
      type: 'notification',
      notification: { ...notification, receivers: ['mail'] },
      replay: true,
    });
  });
});
