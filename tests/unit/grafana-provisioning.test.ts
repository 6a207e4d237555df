/**
 * deploy/grafana without a Grafana server: the dashboard passes Grafana's own dashboard schema
 * (grafana-lint, built from grafana-foundation-sdk: strict keys, panel options per type), every
 * datasource it names is provisioned, and the alert links of the example config fill only
 * variables the dashboard has. Its queries run against a real InfluxDB in
 * tests/integration/grafana-dashboard.test.ts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureGrafanaLint } from '../../scripts/services/install.js';
import { ROOT } from '../support/cli.js';
import { DASHBOARD_FILE, loadDashboard } from '../support/grafana-dashboard.js';

const run = promisify(execFile);
const GRAFANA = path.join(ROOT, 'deploy', 'grafana');
const HOW_TO_FIX =
  'grafana-lint (scripts/grafana-lint) is built from the Go module proxy into the driftwatch cache. Fix: put Go on PATH with the module proxy reachable, then run `npm run services -- install`.';

interface Provisioned {
  datasources: { uid: string; type: string; jsonData?: { version?: string } }[];
}

describe('deploy/grafana', () => {
  const dashboard = loadDashboard();
  let lint: string | Error;

  beforeAll(async () => {
    lint = await ensureGrafanaLint().catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
  }, 600_000);

  it("the dashboard passes Grafana's dashboard schema", async () => {
    if (lint instanceof Error) throw new Error(`${lint.message}\n${HOW_TO_FIX}`);
    const { stdout } = await run(lint, [DASHBOARD_FILE]).catch(
      (err: Error & { stdout?: string }) => {
        throw new Error(`grafana-lint refused the dashboard:\n${err.stdout ?? err.message}`);
      },
    );
    expect(stdout).toContain(': ok');
  });

  it('grafana-lint refuses what Grafana would not read (an unknown panel key)', async () => {
    if (lint instanceof Error) throw new Error(`${lint.message}\n${HOW_TO_FIX}`);
    const bad = structuredClone(dashboard) as unknown as { panels: Record<string, unknown>[] };
    (bad.panels[1] as Record<string, unknown>).colour = 'red';
    const file = path.join(os.tmpdir(), `driftwatch-bad-dashboard-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(bad));
    const result = await run(lint, [file]).then(
      () => 'accepted',
      (err: { code?: number; stdout?: string }) => `${err.code}: ${err.stdout ?? ''}`,
    );
    expect(result).toMatch(/^1: .*unexpected field 'colour'/s);
  });

  it('names only provisioned datasources, InfluxDB in Flux mode', () => {
    const file = path.join(GRAFANA, 'provisioning', 'datasources', 'driftwatch.yaml');
    const provisioned = parse(readFileSync(file, 'utf8')) as Provisioned;
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    const named = [
      ...dashboard.panels.flatMap((p) => [
        p.datasource,
        ...(p.targets ?? []).map((t) => t.datasource),
      ]),
      ...dashboard.annotations.list.map((a) => a.datasource),
    ]
      .filter((d): d is { uid: string; type: string } => d !== undefined && d.type !== 'grafana')
      .map((d) => d.uid);
    for (const uid of named) expect(uids).toContain(uid);
    const influx = provisioned.datasources.find((d) => d.type === 'influxdb');
    expect(influx?.jsonData?.version).toBe('Flux');
  });

  it('alert links of the example config fill the dashboard uid and its variables', () => {
    const config = parse(readFileSync(path.join(ROOT, 'examples', 'driftwatch.yaml'), 'utf8')) as {
      alerts: { dashboardUrl: string };
    };
    const url = new URL(config.alerts.dashboardUrl.replace(/\{\{\s*\w+\s*\}\}/g, 'x'));
    expect(url.pathname).toBe(`/d/${dashboard.uid}`);
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    const linked = [...url.searchParams.keys()].filter((k) => k.startsWith('var-'));
    expect(linked.sort()).toEqual(['var-feature', 'var-model', 'var-version', 'var-window']);
    for (const k of linked) expect(variables).toContain(k.slice('var-'.length));
    expect([...url.searchParams.keys()]).toEqual(expect.arrayContaining(['from', 'to']));
  });
});
