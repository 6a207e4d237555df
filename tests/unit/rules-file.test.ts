import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkRulesText,
  compileRules,
  formatProblems,
  loadRulesFile,
  type RulesProblem,
} from '../../src/rules/rules-file.js';
import { DriftwatchError } from '../../src/errors.js';
import { HOUR, MINUTE, SECOND, compileText } from '../support/rules.js';

/** 1-based line of the first line containing `needle` (so tests don't hard-code numbers). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not in the text`);
  return index + 1;
}

function problemsOf(text: string): RulesProblem[] {
  const checked = checkRulesText(text);
  if (checked.ok) throw new Error('expected the rules text to be invalid');
  return checked.problems;
}

const RECEIVERS = `version: 1
receivers:
  oncall:
    type: webhook
    url: https://hooks.example.com/drift
  team-mail:
    type: email
    to: [ml-oncall@example.com]
    send_resolved: false
`;

/** A rules file with the receivers above and one rule whose extra lines are given. */
const withRule = (extra = '', when = 'value > 0.25') => `${RECEIVERS}rules:
  - name: psi-high
    when: "${when}"
    receivers: [oncall]
${extra}`;

describe('a valid rules file', () => {
  const text = `version: 1
receivers:
  oncall:
    type: webhook
    url: https://hooks.example.com/drift
    format: standard
    secret_env: DRIFT_HOOK_SECRET
  pd:
    type: webhook
    format: pagerduty
    url: https://events.pagerduty.com/v2/enqueue
    routing_key_env: PD_KEY
    send_resolved: true
  team-mail:
    type: email
    to: [ml-oncall@example.com, risk@example.com]
    send_resolved: false
  retrain:
    type: retrain
    url: https://ml.example.com/retrain
    min_severity: warning
    min_drifted_features: 3
    min_firing_for: 30m
    cooldown: 12h
rules:
  - name: psi-high
    match:
      model: fraud*
      model_version: ["3", "4"]
      feature: [amount, "merchant_?"]
      method: psi
      window: 5m
    when: "value > 0.25"
    recover_threshold: 0.15
    escalate: { threshold: 0.5, severity: critical }
    for: 15m
    keep_firing_for: 2
    min_samples: 200
    insufficient_data: ok
    stale_after: 30m
    stale_severity: warning
    severity: warning
    labels: { team: risk }
    annotations:
      summary: "PSI of {{feature}} is {{value}}"
      runbook_url: https://runbooks.example.com/psi
    receivers: [oncall, pd, team-mail, retrain]
    repeat_interval: 1h
    send_resolved: true
    group_by: [model, model_version, window]
    group_wait: 30s
    group_interval: 10m
    flapping: { max_episodes: 3, within: 2h }
  - name: ks-p
    when: "p_value < 0.001"
    recover_threshold: 0.01
    receivers: [oncall]
  - name: dataset
    when: "drift_share >= 0.5"
    receivers: [team-mail]
    repeat_interval: 0
  - name: missing
    when: "missing_share > 0.2"
    receivers: [oncall]
`;

  it('checks and compiles every setting', () => {
    const loaded = compileText(text);
    expect(loaded.rules.map((r) => r.name)).toEqual(['psi-high', 'ks-p', 'dataset', 'missing']);
    const [psi] = loaded.rules;
    expect(psi).toMatchObject({
      statistic: 'value',
      op: '>',
      threshold: 0.25,
      recoverThreshold: 0.15,
      escalate: { threshold: 0.5, severity: 'critical' },
      forWindows: { ms: 15 * MINUTE },
      keepFiringFor: 2,
      minSamples: 200,
      insufficientData: 'ok',
      staleAfterMs: 30 * MINUTE,
      staleSeverity: 'warning',
      severity: 'warning',
      labels: { team: 'risk' },
      annotations: {
        summary: 'PSI of {{feature}} is {{value}}',
        runbook_url: 'https://runbooks.example.com/psi',
      },
      receivers: ['oncall', 'pd', 'team-mail', 'retrain'],
      repeatIntervalMs: HOUR,
      sendResolved: true,
      groupBy: ['model', 'model_version', 'window'],
      groupWaitMs: 30 * SECOND,
      groupIntervalMs: 10 * MINUTE,
      flapping: { maxEpisodes: 3, withinMs: 2 * HOUR },
    });
    expect(loaded.policies).toEqual([
      { name: 'oncall', type: 'webhook', sendResolved: undefined },
      { name: 'pd', type: 'webhook', sendResolved: true },
      { name: 'team-mail', type: 'email', sendResolved: false },
      {
        name: 'retrain',
        type: 'retrain',
        sendResolved: false,
        gate: {
          minSeverity: 'warning',
          minDriftedFeatures: 3,
          minFiringForMs: 30 * MINUTE,
          cooldownMs: 12 * HOUR,
        },
      },
    ]);
    expect(Object.keys(loaded.receivers)).toEqual(['oncall', 'pd', 'team-mail', 'retrain']);
  });

  it('compiles match globs and lists', () => {
    const psi = compileText(text).rules[0];
    if (!psi) throw new Error('no rule');
    const m = psi.match;
    expect(['fraud', 'fraud-eu', 'fraud.v2'].map(m.model)).toEqual([true, true, true]);
    expect(['xfraud', 'frau'].map(m.model)).toEqual([false, false]);
    expect(['3', '4', '34', '5'].map(m.modelVersion)).toEqual([true, true, false, false]);
    expect(['amount', 'merchant_a', 'merchant_ab', 'amounts'].map(m.feature)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(['psi', 'ks'].map(m.method)).toEqual([true, false]);
    expect(['5m', '1h'].map(m.window)).toEqual([true, false]);
  });

  it('without match.method, a statistic reads the methods that carry it', () => {
    const [, ks, dataset, missing] = compileText(text).rules;
    if (!ks || !dataset || !missing) throw new Error('missing rules');
    expect(['ks', 'chi_square', 'psi'].map(ks.match.method)).toEqual([true, true, true]);
    expect(['drift_share', 'psi'].map(dataset.match.method)).toEqual([true, false]);
    expect(['summary', 'psi'].map(missing.match.method)).toEqual([true, false]);
    expect(ks).toMatchObject({ statistic: 'p_value', op: '<', threshold: 0.001 });
    expect(ks.recoverThreshold).toBe(0.01);
    expect(dataset).toMatchObject({ statistic: 'drift_share', op: '>=', repeatIntervalMs: 0 });
    expect(missing.match.model('anything')).toBe(true);
  });

  it('fills the defaults', () => {
    const rule = compileText(withRule()).rules[0];
    expect(rule).toMatchObject({
      threshold: 0.25,
      recoverThreshold: 0.25,
      escalate: undefined,
      forWindows: 0,
      keepFiringFor: 0,
      minSamples: 100,
      insufficientData: 'keep_last',
      staleAfterMs: undefined,
      staleSeverity: 'info',
      severity: 'warning',
      labels: {},
      annotations: {},
      repeatIntervalMs: 4 * HOUR,
      sendResolved: true,
      groupBy: ['model', 'model_version'],
      groupWaitMs: 0,
      groupIntervalMs: 5 * MINUTE,
      flapping: { maxEpisodes: 4, withinMs: 6 * HOUR },
    });
    expect(rule?.match.model('x')).toBe(true);
  });

  it('parses condition strings with spacing, >=, <= and exponents', () => {
    const cases: [string, string, number][] = [
      ['value>0.25', '>', 0.25],
      ['  value   >=  1e-3 ', '>=', 0.001],
      ['p_value <= 5E-4', '<=', 0.0005],
      ['unseen_share > .5', '>', 0.5],
      ['value < -1.5', '<', -1.5],
    ];
    for (const [when, op, threshold] of cases) {
      const rule = compileText(withRule('', when)).rules[0];
      expect(rule, when).toMatchObject({ op, threshold });
    }
  });

  it('an empty rules list is valid', () => {
    expect(compileText(RECEIVERS).rules).toEqual([]);
  });
});

describe('problems carry key paths and line numbers', () => {
  it('unknown receiver → rules[0].receivers[1]', () => {
    const text = `${RECEIVERS}rules:
  - name: psi-high
    when: "value > 0.25"
    receivers:
      - oncall
      - pager
`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect(p).toEqual({
      path: 'rules[0].receivers[1]',
      line: lineOf(text, '- pager'),
      message: expect.stringContaining('unknown receiver "pager"') as string,
    });
    expect(p?.message).toContain('oncall, team-mail');
  });

  it('unknown receiver in the first position → rules[0].receivers[0]', () => {
    const text = withRule().replace('receivers: [oncall]', 'receivers: [nobody, oncall]');
    expect(problemsOf(text)).toEqual([
      {
        path: 'rules[0].receivers[0]',
        line: lineOf(text, 'receivers: [nobody'),
        message: expect.stringContaining('"nobody"') as string,
      },
    ]);
  });

  it.each(['value >> 0.25', 'psi > 0.2', 'value > high', 'value 0.25', 'value > 0.25 and more'])(
    'a bad condition string (%s) → rules[0].when',
    (when) => {
      const text = withRule('', when);
      const [p, ...rest] = problemsOf(text);
      expect(rest).toEqual([]);
      expect(p?.path).toBe('rules[0].when');
      expect(p?.line).toBe(lineOf(text, 'when:'));
      expect(p?.message).toMatch(/expected "<statistic> <op> <number>"/);
      expect(p?.message).toContain(JSON.stringify(when));
    },
  );

  it('recover_threshold on the wrong side of ">"', () => {
    const text = withRule('    recover_threshold: 0.3\n');
    expect(problemsOf(text)).toEqual([
      {
        path: 'rules[0].recover_threshold',
        line: lineOf(text, 'recover_threshold'),
        message: 'must be at most the threshold 0.25 of ">"',
      },
    ]);
  });

  it('recover_threshold on the wrong side of "<"', () => {
    const text = withRule('    recover_threshold: 0.0001\n', 'p_value < 0.001');
    const [p] = problemsOf(text);
    expect(p).toMatchObject({
      path: 'rules[0].recover_threshold',
      line: lineOf(text, 'recover_threshold'),
      message: 'must be at least the threshold 0.001 of "<"',
    });
  });

  it('recover_threshold equal to the threshold is fine (no hysteresis)', () => {
    expect(checkRulesText(withRule('    recover_threshold: 0.25\n')).ok).toBe(true);
  });

  it('escalate.threshold not beyond the threshold', () => {
    const text = withRule('    escalate:\n      severity: critical\n      threshold: 0.1\n');
    expect(problemsOf(text)).toEqual([
      {
        path: 'rules[0].escalate.threshold',
        line: lineOf(text, 'threshold: 0.1'),
        message: expect.stringContaining('beyond the threshold 0.25') as string,
      },
    ]);
  });

  it('duplicate rule names → the later one, naming the first', () => {
    const text = `${withRule()}  - name: other
    when: "value > 0.1"
    receivers: [oncall]
  - name: psi-high
    when: "value > 0.5"
    receivers: [oncall]
`;
    const problems = problemsOf(text);
    expect(problems).toEqual([
      {
        path: 'rules[2].name',
        line: text.split('\n').lastIndexOf('  - name: psi-high') + 1,
        message: 'duplicate rule name "psi-high" (also rules[0])',
      },
    ]);
  });

  it('repeat_interval shorter than group_interval', () => {
    const text = withRule('    group_interval: 10m\n    repeat_interval: 5m\n');
    expect(problemsOf(text)).toEqual([
      {
        path: 'rules[0].repeat_interval',
        line: lineOf(text, 'repeat_interval'),
        message: expect.stringContaining('at least group_interval') as string,
      },
    ]);
    expect(checkRulesText(withRule('    group_interval: 10m\n    repeat_interval: 0\n')).ok).toBe(
      true,
    );
    expect(checkRulesText(withRule('    group_interval: 10m\n    repeat_interval: 10m\n')).ok).toBe(
      true,
    );
  });

  it.each([
    ['a rule', '    severty: critical\n', 'rules[0]', '- name: psi-high', 'severty'],
    ['match', '    match:\n      modell: fraud\n', 'rules[0].match', 'modell', 'modell'],
    ['flapping', '    flapping:\n      max: 3\n', 'rules[0].flapping', 'max: 3', 'max'],
    [
      'escalate',
      '    escalate: { threshold: 0.5, severity: critical, x: 1 }\n',
      'rules[0].escalate',
      'escalate',
      'x',
    ],
  ])('unknown keys in %s are rejected (strict objects)', (_where, extra, at, lineNeedle, key) => {
    const text = withRule(extra);
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect(p?.path).toBe(at);
    expect(p?.line).toBe(lineOf(text, lineNeedle));
    expect(p?.message).toContain(`"${key}"`);
  });

  it('unknown keys at the top level and in a receiver', () => {
    const text = `version: 1
receivers:
  oncall:
    type: webhook
    url: https://hooks.example.com/drift
    retries: 3
rule: []
`;
    const problems = problemsOf(text);
    const root = problems.find((p) => p.path === '(root)');
    expect(root?.message).toContain('"rule"');
    expect(root?.line).toBe(1);
    const receiver = problems.find((p) => p.path === 'receivers.oncall');
    expect(receiver?.message).toContain('"retries"');
    expect(receiver?.line).toBe(lineOf(text, 'type: webhook'));
    expect(problems).toHaveLength(2);
  });

  it('bad YAML: "(yaml)" and the line of the error', () => {
    const text = `version: 1
receivers:
  oncall:
    type: webhook
    url: https://hooks.example.com/drift
rules:
  - name: psi-high
    when: "value > 0.25
    receivers: [oncall]
`;
    const [p] = problemsOf(text);
    expect(p?.path).toBe('(yaml)');
    expect(p?.line).toBeGreaterThanOrEqual(lineOf(text, 'when:'));
    expect(p?.message).not.toContain('\n');
  });

  it('bad YAML: unbalanced flow sequence', () => {
    const text = 'receivers: {}\nrules: [\n  a: b\n';
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ path: '(yaml)', line: expect.any(Number) as number }),
    ]);
  });

  it('duplicate YAML keys are an error, not a silent override', () => {
    const text = withRule('    severity: info\n    severity: critical\n');
    const [p] = problemsOf(text);
    expect(p).toMatchObject({ path: '(yaml)', line: lineOf(text, 'severity: critical') });
  });

  it('bad durations, enums and numbers', () => {
    const text = withRule(
      [
        '    group_wait: 5 minutes',
        '    severity: urgent',
        '    min_samples: -1',
        '    insufficient_data: skip',
        '    group_by: [model, team]',
        '    flapping: { max_episodes: 1 }',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(text);
    const at = (p: string) => problems.find((x) => x.path === p);
    expect(at('rules[0].group_wait')).toMatchObject({
      line: lineOf(text, 'group_wait'),
      message: expect.stringContaining('"5 minutes"') as string,
    });
    expect(at('rules[0].severity')?.line).toBe(lineOf(text, 'severity: urgent'));
    expect(at('rules[0].min_samples')?.line).toBe(lineOf(text, 'min_samples'));
    expect(at('rules[0].insufficient_data')?.line).toBe(lineOf(text, 'insufficient_data'));
    expect(at('rules[0].group_by[1]')?.line).toBe(lineOf(text, 'group_by'));
    expect(at('rules[0].flapping.max_episodes')?.line).toBe(lineOf(text, 'flapping'));
    expect(problems).toHaveLength(6);
  });

  it('a missing when and receivers', () => {
    const text = `${RECEIVERS}rules:\n  - name: bare\n`;
    const paths = problemsOf(text).map((p) => [p.path, p.line]);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['rules[0].when', lineOf(text, '- name: bare')],
        ['rules[0].receivers', lineOf(text, '- name: bare')],
      ]),
    );
  });

  it('a bad rule name', () => {
    const text = withRule().replace('name: psi-high', 'name: "psi high!"');
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ path: 'rules[0].name', line: lineOf(text, 'name:') }),
    ]);
  });

  it('receiver problems: bad email, non-http URL, pagerduty without routing key', () => {
    const text = `version: 1
receivers:
  mail:
    type: email
    to: [not-an-address]
  hook:
    type: webhook
    url: ftp://hooks.example.com/x
  sms:
    type: sms
rules: []
`;
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line])).toEqual(
      expect.arrayContaining([
        ['receivers.mail.to[0]', lineOf(text, 'not-an-address')],
        ['receivers.hook.url', lineOf(text, 'ftp://')],
        ['receivers.sms.type', lineOf(text, 'type: sms')],
      ]),
    );
    const pd = `version: 1
receivers:
  pd:
    type: webhook
    format: pagerduty
    url: https://events.pagerduty.com/v2/enqueue
`;
    expect(problemsOf(pd)).toEqual([
      {
        path: 'receivers.pd.routing_key_env',
        line: lineOf(pd, 'type: webhook'),
        message: 'format pagerduty needs routing_key_env',
      },
    ]);
  });

  it('webhook headers: names must be HTTP tokens, values free of CR, LF and NUL', () => {
    const text = `version: 1
receivers:
  hook:
    type: webhook
    url: https://hooks.example.com/drift
    headers:
      authorization: Bearer abc
      "x-ok_1.~": fine
      "bad name": x
      "x-inject": "a\\r\\nx-evil: 1"
      "x-newline": "a\\nb"
  retrain:
    type: retrain
    url: https://ml.example.com/retrain
    headers:
      "x-nul": "a\\0b"
      "x:colon": ok
rules: []
`;
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['receivers.hook.headers.bad name', lineOf(text, '"bad name"')],
      ['receivers.hook.headers.x-inject', lineOf(text, '"x-inject"')],
      ['receivers.hook.headers.x-newline', lineOf(text, '"x-newline"')],
      ['receivers.retrain.headers.x-nul', lineOf(text, '"x-nul"')],
      ['receivers.retrain.headers.x:colon', lineOf(text, '"x:colon"')],
    ]);
    expect(problems[0]?.message).toContain('not a valid HTTP header name');
    expect(problems[1]?.message).toContain('CR, LF or NUL');
    // Valid headers pass.
    const ok = compileText(`version: 1
receivers:
  hook:
    type: webhook
    url: https://hooks.example.com/drift
    headers: { authorization: "Bearer abc", "X-Team": "ml\\tplatform" }
rules: []
`);
    expect(ok.receivers.hook).toMatchObject({
      headers: { authorization: 'Bearer abc', 'X-Team': 'ml\tplatform' },
    });
  });

  it('a runbook_url that is not a URL', () => {
    const text = withRule('    annotations:\n      runbook_url: wiki/psi\n');
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({
        path: 'rules[0].annotations.runbook_url',
        line: lineOf(text, 'runbook_url'),
      }),
    ]);
  });

  it('every problem of a file at once (cross-rule checks once the rules parse)', () => {
    const text = `${RECEIVERS}rules:
  - name: a
    when: "value > 0.25"
    receivers: [x]
  - name: a
    when: "value > 0.25"
    receivers: [y]
    repeat_interval: 1m
`;
    expect(problemsOf(text).map((p) => p.path)).toEqual([
      'rules[0].receivers[0]',
      'rules[1].name',
      'rules[1].receivers[0]',
      'rules[1].repeat_interval',
    ]);
  });

  it('an empty file: receivers are required', () => {
    expect(problemsOf('')).toEqual([expect.objectContaining({ path: 'receivers' })]);
  });

  it('a wrong version', () => {
    const text = RECEIVERS.replace('version: 1', 'version: 2');
    expect(problemsOf(text)).toEqual([expect.objectContaining({ path: 'version', line: 1 })]);
  });

  it('for / keep_firing_for: negative counts are rejected', () => {
    const text = withRule('    for: -1\n');
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({ path: 'rules[0].for', line: lineOf(text, 'for: -1') }),
    ]);
  });

  // BUG (src/rules/rules-schema.ts, windowsOrDuration): a malformed duration in `for` /
  // `keep_firing_for` reports zod's bare "Invalid input" — the union drops the string branch's
  // own message. Remove `.fails` once fixed (see the report).
  it('for: a malformed duration says what is expected', () => {
    const text = withRule('    for: soon\n');
    const [p] = problemsOf(text);
    expect(p?.path).toBe('rules[0].for');
    expect(p?.message).toContain('expected a window count or a duration');
  });
});

describe('formatProblems and loadRulesFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('formats one line per problem with file:line and path', () => {
    expect(
      formatProblems('rules.yaml', [
        { path: 'rules[0].when', line: 9, message: 'bad' },
        { path: 'receivers', line: undefined, message: 'missing' },
      ]),
    ).toBe('  - rules.yaml:9 rules[0].when: bad\n  - rules.yaml receivers: missing');
  });

  it('loads a valid file', () => {
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(file, withRule('    for: 3\n'));
    const loaded = loadRulesFile(file);
    expect(loaded.file).toBe(file);
    expect(loaded.rules.map((r) => [r.name, r.forWindows])).toEqual([['psi-high', 3]]);
    const checked = checkRulesText(withRule('    for: 3\n'));
    if (!checked.ok) throw new Error('invalid');
    expect(compileRules(file, checked.value).policies).toEqual(loaded.policies);
  });

  it('an invalid file throws RULES_INVALID listing every problem with file:line', () => {
    const file = path.join(dir, 'bad.yaml');
    const text = withRule('    recover_threshold: 0.9\n', 'value > 0.25');
    writeFileSync(file, text);
    let caught: unknown;
    try {
      loadRulesFile(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriftwatchError);
    const err = caught as DriftwatchError;
    expect(err.code).toBe('RULES_INVALID');
    expect(err.message).toContain(
      `${file}:${lineOf(text, 'recover_threshold')} rules[0].recover_threshold: must be at most`,
    );
  });

  it('a missing file throws RULES_INVALID', () => {
    expect(() => loadRulesFile(path.join(dir, 'nope.yaml'))).toThrow(
      expect.objectContaining({ code: 'RULES_INVALID' }) as Error,
    );
  });
});
