import { describe, expect, it } from 'vitest';
import { fillRunbookBase, withRunbookBase } from '../../alert-engine/template.js';
import { runbookWarnings } from '../../src/rules/runbook-links.js';
import { compileText, engineOf, rule, rulesText, windowOf } from '../support/rules.js';

const BASE = 'https://wiki.internal.test/ml/runbooks';

describe('{{runbook_base}}: alerts.runbookBaseUrl in rule annotations', () => {
  it('is replaced by the base as written, without doubling its trailing slash', () => {
    expect(fillRunbookBase('{{runbook_base}}/feature-drift.md', `${BASE}/`)).toBe(
      `${BASE}/feature-drift.md`,
    );
    expect(fillRunbookBase('{{runbook_base}}/x.md?model={{model}}', BASE)).toBe(
      `${BASE}/x.md?model={{model}}`,
    );
  });

  it('stays visible without a base, and a text without it is returned unchanged', () => {
    expect(fillRunbookBase('{{runbook_base}}/x.md', undefined)).toBe('{{runbook_base}}/x.md');
    expect(fillRunbookBase('https://a.test/x.md', BASE)).toBe('https://a.test/x.md');
  });

  it('fills every annotation of a rule, and returns the same rule when none uses it', () => {
    const [compiled] = compileText(
      rulesText([
        rule({
          annotations: {
            runbook_url: '{{runbook_base}}/feature-drift.md',
            description: 'see {{runbook_base}}/README.md',
          },
        }),
      ]),
    ).rules;
    const filled = withRunbookBase(compiled!, BASE);
    expect(filled.annotations).toEqual({
      runbook_url: `${BASE}/feature-drift.md`,
      description: `see ${BASE}/README.md`,
    });
    expect(compiled!.annotations.runbook_url).toBe('{{runbook_base}}/feature-drift.md');
    const plain = compileText(rulesText([rule()])).rules[0]!;
    expect(withRunbookBase(plain, BASE)).toBe(plain);
  });

  it('reaches the notification links: the base as written, label values percent-encoded', () => {
    const engine = engineOf(
      [rule({ annotations: { runbook_url: '{{runbook_base}}/feature-drift.md?f={{feature}}' } })],
      undefined,
      { runbookBaseUrl: `${BASE}/` },
    );
    const out = engine.evaluate(windowOf(1, { 'a b': 0.9 }));
    const [n] = out.notifications;
    expect(n?.links.runbook).toBe(`${BASE}/feature-drift.md?f=a%20b`);
    expect(n?.alerts[0]?.annotations.runbook_url).toBe(`${BASE}/feature-drift.md?f=a%20b`);
  });
});

describe('rules validate: runbook link warnings', () => {
  const loaded = (runbook: string) =>
    compileText(rulesText([rule({ annotations: { runbook_url: runbook } })]));

  it('warns about a link on an example host, naming the rule key or alerts.runbookBaseUrl', () => {
    const [direct] = runbookWarnings(loaded('https://runbooks.example.com/psi'), undefined);
    expect(direct).toContain('rules.psi-high.annotations.runbook_url');
    expect(direct).toContain('example host runbooks.example.com');
    const viaBase = runbookWarnings(
      loaded('{{runbook_base}}/feature-drift.md'),
      'https://runbooks.example.com/driftwatch',
    );
    expect(viaBase).toEqual([expect.stringContaining('set alerts.runbookBaseUrl')]);
    expect(viaBase[0]).toContain('runbook_url of psi-high');
  });

  it('warns about {{runbook_base}} without a base, and is silent for a real host', () => {
    const [missing] = runbookWarnings(loaded('{{runbook_base}}/x.md'), undefined);
    expect(missing).toContain('no alerts.runbookBaseUrl given');
    expect(runbookWarnings(loaded('{{runbook_base}}/x.md?m={{model}}'), BASE)).toEqual([]);
    expect(runbookWarnings(loaded('https://wiki.internal.test/x'), undefined)).toEqual([]);
  });
});
