/**
 * deploy/prometheus/driftwatch-rules.yaml: Prometheus's own checker and rule unit tests
 * (promtool, from PROMTOOL or built from the Go module proxy into the driftwatch cache), every
 * metric the expressions name exists in the daemon's registry, and every alert carries a
 * severity, a summary, a description and a runbook link to a page (and heading) that exists.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensurePromtool } from '../../scripts/services/install.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { ROOT } from '../support/cli.js';

const run = promisify(execFile);
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'driftwatch-rules.yaml');
const RULE_TESTS = path.join(ROOT, 'tests', 'fixtures', 'prometheus', 'driftwatch-rules.test.yaml');
const RUNBOOKS = path.join(ROOT, 'docs', 'runbooks');
/** The placeholder base the file documents (replaced where the runbooks are published). */
const RUNBOOK_BASE = 'https://runbooks.example.com/driftwatch/';
const HOW_TO_FIX =
  'promtool is built from the Go module proxy (github.com/prometheus/prometheus, scripts/services/build-promtool.sh) into the driftwatch cache. Fix: put Go on PATH with the module proxy reachable, then run `npm run services -- install`; or set PROMTOOL to a promtool binary.';

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const alerts = (
  parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((g) => g.rules);

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchors(page: string): string[] {
  return [...readFileSync(page, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
    (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N} -]/gu, '')
      .replace(/ /g, '-'),
  );
}

/** promtool's output on failure (what it refused and why), else the error itself. */
function refusal(err: Error & { stdout?: string; stderr?: string }): Error {
  return new Error(`${err.stdout ?? ''}${err.stderr ?? ''}` || err.message);
}

describe('deploy/prometheus/driftwatch-rules.yaml', () => {
  let promtool: string | Error;

  beforeAll(async () => {
    const given = process.env.PROMTOOL;
    if (given) {
      promtool = existsSync(given) ? given : new Error(`PROMTOOL=${given} does not exist`);
      return;
    }
    promtool = await ensurePromtool().catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
  }, 1_800_000);

  it('passes `promtool check rules`', async () => {
    if (promtool instanceof Error) throw new Error(`${promtool.message}\n${HOW_TO_FIX}`);
    const { stdout } = await run(promtool, ['check', 'rules', RULES]).catch((err: Error) => {
      throw refusal(err);
    });
    expect(stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('raises the expected alerts from the input series of `promtool test rules`', async () => {
    if (promtool instanceof Error) throw new Error(`${promtool.message}\n${HOW_TO_FIX}`);
    const { stdout } = await run(promtool, ['test', 'rules', RULE_TESTS]).catch((err: Error) => {
      throw refusal(err);
    });
    expect(stdout).toContain('SUCCESS');
  });

  it('every alert is unit-tested by the promtool test file', () => {
    const tested = new Set(
      [...readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
    );
    expect(alerts.map((a) => a.alert).filter((a) => !tested.has(a))).toEqual([]);
  });

  it("names only metrics the daemon's registry has", async () => {
    const names = new Set(
      (await new DaemonMetrics().registry.getMetricsAsJSON()).map((m) => m.name),
    );
    const known = (name: string) =>
      names.has(name) || names.has(name.replace(/_(bucket|sum|count)$/, ''));
    const referenced = alerts.flatMap(
      (a) => a.expr.match(/\b(driftwatch|process|nodejs)_\w+/g) ?? [],
    );
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((name) => !known(name))).toEqual([]);
  });

  it('every alert has a severity, a summary, a description and a runbook page that exists', () => {
    for (const a of alerts) {
      expect(a.labels?.severity, a.alert).toMatch(/^(critical|warning|info)$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      const url = a.annotations?.runbook_url ?? '';
      expect(url.startsWith(RUNBOOK_BASE), `${a.alert}: ${url}`).toBe(true);
      const [page = '', anchor] = url.slice(RUNBOOK_BASE.length).split('#');
      const file = path.join(RUNBOOKS, page);
      expect(existsSync(file), `${a.alert}: ${page} in docs/runbooks`).toBe(true);
      if (anchor) expect(anchors(file), `${a.alert}: #${anchor} in ${page}`).toContain(anchor);
    }
  });
});
