import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { loadRulesFile } from '../../src/rules/rules-file.js';
import { DEMO_SPEC } from '../../scripts/demo-spec.js';
import { producerOptions } from '../../scripts/produce.js';
import { cli } from '../support/cli.js';

const root = path.join(import.meta.dirname, '..', '..');

interface Service {
  image?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  build?: { context: string; target?: string };
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** host path → container path of a service's bind mounts. */
function mounts(name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of services[name]?.volumes ?? []) {
    const [host, container] = v.split(':');
    out.set(container as string, path.join(root, host as string));
  }
  return out;
}

/**
 * No Docker engine runs here, so the compose stack is checked for what makes it work: every
 * file it mounts exists, and the pieces agree with each other (config, rules, baseline,
 * producer, Prometheus target, Grafana provisioning).
 */
describe('docker compose stack', () => {
  it('pins every image to a version and builds the rest from the Dockerfile', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)+/);
    }
  });

  it('declares a healthcheck for every long-running service and waits on conditions', () => {
    // kafka-init runs once; the producer serves nothing to check.
    const withoutHealth = new Set(['kafka-init', 'producer']);
    for (const [name, service] of Object.entries(services)) {
      if (!withoutHealth.has(name))
        expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} → ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(target?.healthcheck, `${name} waits for ${dependency}'s health`).toBeDefined();
        }
        expect(['service_healthy', 'service_started', 'service_completed_successfully']).toContain(
          condition,
        );
      }
    }
  });

  it('mounts only files and directories that exist', () => {
    for (const name of Object.keys(services)) {
      for (const host of mounts(name).values()) expect(existsSync(host), host).toBe(true);
    }
  });

  it("runs the daemon with a valid config, its rules and the producer's baseline", () => {
    const m = mounts('driftwatch');
    const configFile = m.get('/etc/driftwatch/driftwatch.yaml') as string;
    const validated = cli(['config', 'validate', configFile]);
    expect(validated.stderr).toContain('valid');
    expect(validated.status).toBe(0);
    const config = parseConfig(readFileSync(configFile, 'utf8'), configFile, {
      INFLUX_TOKEN: services.driftwatch?.environment?.INFLUX_TOKEN,
    });
    // The rules file sits beside the config in the container, as alerts.rules says.
    const rulesName = config.alerts?.rules;
    expect(rulesName).toBeDefined();
    // (parsed: resolved against the config file's directory, /etc/driftwatch in the container)
    const rulesFile = m.get(
      path.posix.join('/etc/driftwatch', path.basename(rulesName as string)),
    ) as string;
    expect(loadRulesFile(rulesFile).rules.length).toBeGreaterThan(0);
    // The producer writes the topic the daemon reads, of a model the baselines dir holds.
    const producer = producerOptions(services.producer?.command?.slice(1) ?? []);
    expect(producer.topic).toBe(config.kafka.topic);
    expect(producer.brokers).toEqual(config.kafka.brokers);
    const baselines = m.get(config.baselines.dir) as string;
    expect(
      existsSync(path.join(baselines, DEMO_SPEC.model, `${DEMO_SPEC.modelVersion}.json`)),
    ).toBe(true);
    // Drift must begin after a few windows, so the dashboard shows before and after.
    expect(producer.driftAfterMs).toBeGreaterThanOrEqual(3 * config.windows.size);
  });

  it('lets Prometheus scrape the daemon and Grafana load the dashboard it links to', () => {
    const prometheus = parse(
      readFileSync(mounts('prometheus').get('/etc/prometheus/prometheus.yml') as string, 'utf8'),
    ) as { rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] };
    const targets = prometheus.scrape_configs.flatMap((c) =>
      c.static_configs.flatMap((s) => s.targets),
    );
    expect(targets).toContain('driftwatch:9464');
    // The self-monitoring rules are loaded (relative to the config, where they are mounted).
    const loaded = prometheus.rule_files.map((f) => path.posix.join('/etc/prometheus', f));
    for (const f of loaded) expect(mounts('prometheus').get(f), f).toBeDefined();
    expect(loaded).toContain('/etc/prometheus/driftwatch-rules.yaml');
    const grafana = mounts('grafana');
    const provisioning = grafana.get('/etc/grafana/provisioning') as string;
    const providers = parse(
      readFileSync(path.join(provisioning, 'dashboards', 'driftwatch.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    const dashboards = grafana.get(providers.providers[0]?.options.path as string) as string;
    const dashboard = JSON.parse(
      readFileSync(path.join(dashboards, 'driftwatch.json'), 'utf8'),
    ) as { uid: string };
    expect(dashboard.uid).toBe('driftwatch');
    // The datasources read their endpoints from Grafana's environment.
    const env = services.grafana?.environment ?? {};
    for (const name of ['INFLUX_URL', 'INFLUX_ORG', 'INFLUX_TOKEN', 'PROMETHEUS_URL']) {
      expect(env[name], name).toBeTruthy();
    }
  });

  it('builds the producer from the Dockerfile stage that has the scripts', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const target = services.producer?.build?.target as string;
    expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${target}$`, 'm'));
    expect(services.producer?.command?.[0]).toBe('scripts/produce.ts');
  });
});
