import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { parseRulesFile } from '../../src/rules/rules-file.js';
import { parseConfig } from '../../src/config/load.js';
import { ensureKubeconform } from '../../scripts/services/install.js';
import { VERSIONS } from '../../scripts/services/paths.js';

/**
 * deploy/kubernetes: (a) our own structural checks — the pieces reference each other correctly
 * and the config and rules the pods get pass the daemon's own parsers; (b) kubeconform against
 * the schemas vendored in deploy/kubernetes/schemas (scripts/kubernetes-schemas.ts).
 */

const DIR = path.join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');
const SECRET_TEMPLATE = 'secret.example.yaml';

type Obj = Record<string, unknown>;
interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  resources?: { requests?: Obj; limits?: Obj };
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

function readManifests(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
  return docs.map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    return { ...(doc.toJS() as Manifest), file };
  });
}

const kustomization = readManifests('kustomization.yaml')[0] as unknown as {
  resources: string[];
};
const manifests = kustomization.resources.flatMap(readManifests);
const secret = readManifests(SECRET_TEMPLATE);

function only(kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as Manifest;
}

const deployment = only('Deployment') as Manifest & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; volumes: { name: string; configMap?: { name: string } }[] };
    };
  };
};
const pod = deployment.spec.template;
const container = pod.spec.containers[0] as Container;
const configMap = only('ConfigMap') as Manifest & { data: Record<string, string> };
const secretTemplate = secret[0] as Manifest & { stringData: Record<string, string> };

/** Every key/value pair of `selector` is among `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string> | undefined) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const configPath = (() => {
  const args = container.args ?? [];
  return args[args.indexOf('--config') + 1] ?? '';
})();

/** The env the Deployment gives the container, secrets as placeholders. */
const podEnv = Object.fromEntries(
  (container.env ?? []).map((e) => [e.name, e.value ?? `placeholder-for-${e.name}`]),
);

describe('kubernetes manifests: structure', () => {
  it('every file parses to Kubernetes objects, and the kustomization lists all but the Secret template', () => {
    for (const m of [...manifests, ...secret]) {
      expect(m.apiVersion, m.file).toMatch(/^([a-z0-9.-]+\/)?v\d/);
      expect(m.kind, m.file).toMatch(/^[A-Z]\w+$/);
      expect(m.metadata.name, m.file).toMatch(/^[a-z0-9-]+$/);
    }
    const yamlFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
    expect([...kustomization.resources].sort()).toEqual(
      yamlFiles.filter((f) => f !== 'kustomization.yaml' && f !== SECRET_TEMPLATE).sort(),
    );
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceMonitor'].sort(),
    );
  });

  it('the Deployment, PodDisruptionBudget and Service select the pods; the ServiceMonitor selects the Service', () => {
    expect(deployment.spec).toMatchObject({ replicas: 3 });
    expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const pdb = only('PodDisruptionBudget') as Manifest & {
      spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    };
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const service = only('Service') as Manifest & {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: unknown }[] };
    };
    expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
    const monitor = only('ServiceMonitor') as Manifest & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    };
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    const servicePorts = service.spec.ports.map((p) => p.name);
    for (const e of monitor.spec.endpoints) expect(servicePorts).toContain(e.port);
    const containerPorts = (container.ports ?? []).map((p) => p.name);
    for (const p of service.spec.ports) expect(containerPorts).toContain(p.targetPort);
  });

  it("probes ask /healthz on the container's HTTP port, which is http.port of the ConfigMap's driftwatch.yaml", () => {
    const config = parseConfig(configMap.data['driftwatch.yaml'] ?? '', configPath, podEnv);
    const http = (container.ports ?? []).find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(config.http.port);
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
    ]) {
      expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    }
  });

  it('the --config file and the rules file it names are keys of the ConfigMap mounted at their directory', () => {
    expect(container.args?.slice(0, 2)).toEqual(['run', '--config']);
    const mount = container.volumeMounts?.find((m) => m.mountPath === path.dirname(configPath));
    const volume = pod.spec.volumes.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe(configMap.metadata.name);
    expect(Object.keys(configMap.data)).toContain(path.basename(configPath));
    const config = parseConfig(configMap.data['driftwatch.yaml'] ?? '', configPath, podEnv);
    const rules = config.alerts?.rules ?? '';
    expect(path.dirname(rules)).toBe(path.dirname(configPath));
    expect(Object.keys(configMap.data)).toContain(path.basename(rules));
  });

  it("driftwatch.yaml passes the daemon's config parser and rules.yaml the rules parser, with the pod's env", () => {
    const config = parseConfig(configMap.data['driftwatch.yaml'] ?? '', configPath, podEnv);
    expect(config.secrets.influxToken).toBe(podEnv[config.influx.tokenEnv]);
    expect(config.smtp && podEnv[config.smtp.passwordEnv]).toBeTruthy();
    const rulesFile = config.alerts?.rules ?? '';
    const rules = parseRulesFile(rulesFile, configMap.data[path.basename(rulesFile)] ?? '');
    expect(rules.rules.length).toBeGreaterThan(0);
    // Every variable a receiver reads its secret from is set in the pod.
    for (const [name, spec] of Object.entries(rules.receivers)) {
      for (const [key, value] of Object.entries(spec)) {
        if (key.endsWith('_env'))
          expect(podEnv, `receivers.${name}.${key}`).toHaveProperty([value]);
      }
    }
  });

  it('every secretKeyRef names the Secret template and one of its keys, whose values are placeholders', () => {
    const refs = (container.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef ?? []);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) {
      expect(ref.name).toBe(secretTemplate.metadata.name);
      expect(Object.keys(secretTemplate.stringData)).toContain(ref.key);
    }
    for (const value of Object.values(secretTemplate.stringData)) {
      expect(value).toContain('REPLACE_ME');
    }
  });

  it("V8's heap cap stays below the container's memory limit", () => {
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(podEnv.NODE_OPTIONS ?? '')?.[1]);
    // Binary quantities as Kubernetes writes them: 512Mi, 1Gi.
    const mib = (q: unknown) => {
      const [, n, unit] = /^(\d+)(Mi|Gi)$/.exec(String(q)) ?? [];
      return Number(n) * (unit === 'Gi' ? 1024 : 1);
    };
    const limitMb = mib(container.resources?.limits?.memory);
    const requestMb = mib(container.resources?.requests?.memory);
    expect(heapMb).toBeGreaterThan(0);
    expect(heapMb).toBeLessThan(limitMb);
    expect(requestMb).toBeGreaterThan(0);
    expect(requestMb).toBeLessThanOrEqual(limitMb);
  });
});

const HOW_TO_FIX = `kubeconform ${VERSIONS.kubeconform} is built from the Go module proxy into the driftwatch cache (scripts/services/install.ts). Fix: put Go on PATH with the module proxy reachable, then run \`npm run services -- install\` (or set DRIFTWATCH_CACHE to a cache that has kubeconform-${VERSIONS.kubeconform}/bin/kubeconform).`;

interface KubeconformResult {
  code: number;
  stdout: string;
}

describe('kubernetes manifests: kubeconform', () => {
  let kubeconform: string | Error;
  beforeAll(async () => {
    kubeconform = await ensureKubeconform().catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
  }, 900_000);

  async function validate(files: string[]): Promise<KubeconformResult> {
    if (kubeconform instanceof Error) {
      throw new Error(`kubeconform unavailable: ${kubeconform.message}\n${HOW_TO_FIX}`);
    }
    const args = [
      '-strict',
      '-summary',
      '-output',
      'json',
      // Local files only: no download is attempted, and a kind without a schema is an error.
      '-schema-location',
      path.join(DIR, 'schemas', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      ...files,
    ];
    try {
      const { stdout } = await promisify(execFile)(kubeconform, args);
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '' };
    }
  }

  it('accepts every manifest and the Secret template against the vendored schemas', async () => {
    const files = [...kustomization.resources, SECRET_TEMPLATE].map((f) => path.join(DIR, f));
    const result = await validate(files);
    expect(result.stdout).toContain('"summary"');
    const summary = (JSON.parse(result.stdout) as { summary: Obj }).summary;
    expect({ code: result.code, summary }).toEqual({
      code: 0,
      summary: { valid: files.length, invalid: 0, errors: 0, skipped: 0 },
    });
  });

  it('rejects a field the Deployment schema does not have (the schemas are real and strict)', async () => {
    const bad = structuredClone(deployment) as Obj & { spec: { template: { spec: Obj } } };
    delete bad.file;
    bad.spec.template.spec.containerz = [];
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'driftwatch-k8s-')), 'bad.yaml');
    writeFileSync(file, stringify(bad));
    const result = await validate([file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('containerz');
  });
});
