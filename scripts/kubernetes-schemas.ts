/**
 * Regenerates deploy/kubernetes/schemas/: the JSON Schemas kubeconform validates our manifests
 * against (tests/unit/kubernetes-manifests.test.ts). kubeconform downloads schemas by default,
 * which the tests cannot, so the few we need are committed, derived here from sources that come
 * through the Go module proxy:
 *   - Kubernetes' own OpenAPI v2 spec (k8s.io/kubernetes, api/openapi-spec/swagger.json) for
 *     Deployment, Service, ConfigMap, Secret and PodDisruptionBudget;
 *   - prometheus-operator's ServiceMonitor CRD (its openAPIV3Schema).
 * Each schema is "standalone strict" like kubeconform's usual ones: every $ref inlined, unknown
 * keys refused (additionalProperties: false), descriptions dropped to keep the files small.
 *
 *   npx tsx scripts/kubernetes-schemas.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const KUBERNETES = 'k8s.io/kubernetes@v1.36.3';
const PROMETHEUS_OPERATOR = 'github.com/prometheus-operator/prometheus-operator@v0.85.0';
const OUT = path.join(import.meta.dirname, '..', 'deploy', 'kubernetes', 'schemas');

/** kubeconform's file name: lower-case kind, then "-<group prefix>-<version>" ("-v1" for core). */
const KINDS = [
  { definition: 'io.k8s.api.apps.v1.Deployment', file: 'deployment-apps-v1.json' },
  { definition: 'io.k8s.api.core.v1.Service', file: 'service-v1.json' },
  { definition: 'io.k8s.api.core.v1.ConfigMap', file: 'configmap-v1.json' },
  { definition: 'io.k8s.api.core.v1.Secret', file: 'secret-v1.json' },
  {
    definition: 'io.k8s.api.policy.v1.PodDisruptionBudget',
    file: 'poddisruptionbudget-policy-v1.json',
  },
];

type Schema = { [key: string]: unknown };
interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const INT_OR_STRING: Schema = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
/** Quantities are strings in the spec, but `cpu: 1` is a valid YAML number too. */
const QUANTITY: Schema = { anyOf: [{ type: 'string' }, { type: 'number' }] };
const KEPT = [
  'type',
  'format',
  'enum',
  'required',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
];

function moduleDir(module: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', module], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

/** Inlines $refs (a cycle becomes "anything": none of our kinds reaches one) and closes objects. */
function standalone(node: Schema, defs: Record<string, Schema>, seen: string[]): Schema {
  const ref = node.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/definitions/', '');
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return QUANTITY;
    const target = defs[name];
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return seen.includes(name) ? {} : standalone(target, defs, [...seen, name]);
  }
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true) {
    return INT_OR_STRING;
  }
  const out: Schema = {};
  for (const key of KEPT) if (node[key] !== undefined) out[key] = node[key];
  const sub = (s: unknown) => standalone(s as Schema, defs, seen);
  if (node.properties) {
    const props = node.properties as Record<string, Schema>;
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sub(v)]));
  }
  if (node.items) out.items = sub(node.items);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map(sub);
  }
  if (typeof node.additionalProperties === 'object') {
    out.additionalProperties = sub(node.additionalProperties);
  } else if (node.additionalProperties !== undefined) {
    out.additionalProperties = node.additionalProperties;
  } else if (node.properties && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** apiVersion and kind pinned, so a schema never validates another kind by accident. */
function pinKind(schema: Schema, apiVersion: string, kind: string): Schema {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  props.apiVersion = { type: 'string', enum: [apiVersion] };
  props.kind = { type: 'string', enum: [kind] };
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema, properties: props };
}

function write(file: string, schema: Schema): void {
  writeFileSync(path.join(OUT, file), `${JSON.stringify(schema)}\n`);
  process.stderr.write(`wrote ${path.join(OUT, file)}\n`);
}

function main(): void {
  mkdirSync(OUT, { recursive: true });
  const swagger = JSON.parse(
    readFileSync(path.join(moduleDir(KUBERNETES), 'api/openapi-spec/swagger.json'), 'utf8'),
  ) as { definitions: Record<string, Schema> };
  for (const { definition, file } of KINDS) {
    const def = swagger.definitions[definition];
    const gvk = (def?.['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined)?.[0];
    if (!def || !gvk) throw new Error(`${KUBERNETES} has no ${definition}`);
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    const schema = standalone(def, swagger.definitions, [definition]);
    write(file, pinKind(schema, apiVersion, gvk.kind));
  }

  const crdFile = path.join(
    moduleDir(PROMETHEUS_OPERATOR),
    'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
  );
  const crd = parseAllDocuments(readFileSync(crdFile, 'utf8'))[0]?.toJS() as {
    spec: { group: string; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  if (!v1) throw new Error(`${crdFile} has no v1 version`);
  const schema = standalone(v1.schema.openAPIV3Schema, {}, []);
  write(
    'servicemonitor-monitoring-v1.json',
    pinKind(schema, `${crd.spec.group}/v1`, 'ServiceMonitor'),
  );
}

main();
