import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testPkiIn } from './certs.js';
import { request } from './http-request.js';
import { withAlertmanager } from './alertmanager.js';
import {
  ensureAlertmanager,
  ensureAll,
  ensureGrafanaLint,
  ensureKubeconform,
  ensurePromtool,
} from './install.js';
import { startNative, startSecureNative, stopNative, type NativePorts } from './native.js';
import { httpOk, isAlive, portIsFree } from './process.js';
import { startSchemaRegistry } from './schema-registry.js';
import { clearState, endpointsToEnv, readState, writeState } from './state.js';

/** Fixed ports for `up` (the demo and manual runs), away from the services' usual ports. */
function configuredPorts(): NativePorts {
  const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return {
    kafka: port('DRIFTWATCH_KAFKA_PORT', 19092),
    kafkaController: port('DRIFTWATCH_KAFKA_CONTROLLER_PORT', 19093),
    influx: port('DRIFTWATCH_INFLUX_PORT', 18086),
    smtp: port('DRIFTWATCH_SMTP_PORT', 11025),
    mailApi: port('DRIFTWATCH_MAIL_API_PORT', 18025),
    secure: {
      kafka: {
        saslSsl: port('DRIFTWATCH_KAFKA_SECURE_PORT', 19094),
        mtls: port('DRIFTWATCH_KAFKA_MTLS_PORT', 19095),
        plaintext: port('DRIFTWATCH_KAFKA_SECURE_PLAINTEXT_PORT', 19096),
        controller: port('DRIFTWATCH_KAFKA_SECURE_CONTROLLER_PORT', 19097),
      },
      influx: port('DRIFTWATCH_INFLUX_TLS_PORT', 18087),
    },
  };
}

/** Every port with the variable that moves it, e.g. kafkaController → DRIFTWATCH_KAFKA_CONTROLLER_PORT. */
function portList(ports: NativePorts): [string, number][] {
  const { secure, ...plain } = ports;
  return [
    ...Object.entries(plain).map(([name, port]): [string, number] => [
      `DRIFTWATCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_PORT`,
      port,
    ]),
    ['DRIFTWATCH_KAFKA_SECURE_PORT', secure.kafka.saslSsl],
    ['DRIFTWATCH_KAFKA_MTLS_PORT', secure.kafka.mtls],
    ['DRIFTWATCH_KAFKA_SECURE_PLAINTEXT_PORT', secure.kafka.plaintext],
    ['DRIFTWATCH_KAFKA_SECURE_CONTROLLER_PORT', secure.kafka.controller],
    ['DRIFTWATCH_INFLUX_TLS_PORT', secure.influx],
  ];
}

async function checkPortsFree(ports: [string, number][]): Promise<void> {
  for (const [variable, port] of ports) {
    if (!(await portIsFree(port))) {
      throw new Error(`port ${port} is in use; free it or set ${variable}`);
    }
  }
}

function printEnv(): void {
  const state = readState();
  if (!state) return;
  const env = endpointsToEnv(state.endpoints, state.secure);
  if (state.schemaRegistry) env.SCHEMA_REGISTRY_URL = state.schemaRegistry.url;
  if (state.alertmanager) env.ALERTMANAGER_URL = state.alertmanager.url;
  for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${v}\n`);
}

/** Kafka, InfluxDB, Mailpit and the secure instances (see upCore), the test Schema Registry, then Alertmanager. */
export async function up(): Promise<void> {
  await upCore();
  await ensureSchemaRegistry();
  const state = readState();
  const added = state && (await withAlertmanager(state));
  if (added) {
    writeState(added);
    process.stderr.write(`[services] Alertmanager up at ${added.alertmanager?.url}\n`);
  }
}

/**
 * The test Schema Registry (scripts/services/schema-registry-server.ts), added to running
 * services that lack it; the others are left alone (tests of other work may be using them).
 */
async function ensureSchemaRegistry(): Promise<void> {
  const state = readState();
  if (!state) return;
  const running = state.processes.find((p) => p.name === 'schema-registry');
  if (state.schemaRegistry && running && isAlive(running.pid)) return;
  const variable = 'DRIFTWATCH_SCHEMA_REGISTRY_PORT';
  const port = Number(process.env[variable] ?? 18081);
  await checkPortsFree([[variable, port]]);
  const registry = await startSchemaRegistry({
    dir: path.join(state.dataDir, 'schema-registry'),
    port,
    detached: true,
  });
  writeState({
    ...state,
    schemaRegistry: { url: registry.url },
    processes: [...state.processes.filter((p) => p !== running), registry.proc],
  });
  process.stderr.write(`[services] schema registry up at ${registry.url}\n`);
}

async function upCore(): Promise<void> {
  const existing = readState();
  const ports = configuredPorts();
  if (existing && existing.processes.every((p) => isAlive(p.pid))) {
    if (existing.secure) {
      process.stderr.write('[services] already running\n');
      return;
    }
    // Started by a version without the secure instances: add them, leave the others alone
    // (tests of other work may be using them right now).
    await checkPortsFree(portList(ports).filter(([v]) => /SECURE|MTLS|TLS/.test(v)));
    const started = Date.now();
    const bins = await ensureAll();
    const { secure, processes } = await startSecureNative({
      bins,
      dir: path.join(existing.dataDir, 'secure'),
      ports: ports.secure,
      detached: true,
    });
    writeState({ ...existing, secure, processes: [...existing.processes, ...processes] });
    process.stderr.write(
      `[services] already running; secure Kafka and TLS InfluxDB added in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
    );
    return;
  }
  if (existing) await down();
  await checkPortsFree(portList(ports));
  const started = Date.now();
  const services = await startNative({ ports, detached: true });
  writeState({ ...services, startedAt: new Date().toISOString() });
  process.stderr.write(
    `[services] Kafka, InfluxDB, Mailpit, secure Kafka and TLS InfluxDB up in ${((Date.now() - started) / 1000).toFixed(1)}s; logs in ${services.dataDir}\n`,
  );
}

export async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    process.stderr.write('[services] nothing running\n');
    return;
  }
  await stopNative(state);
  clearState();
  process.stderr.write('[services] stopped\n');
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    process.stdout.write('not running (npm run services -- up)\n');
    return 1;
  }
  let ok = true;
  for (const p of state.processes) {
    const alive = isAlive(p.pid);
    ok &&= alive;
    process.stdout.write(
      `${p.name.padEnd(12)} pid ${p.pid} ${alive ? 'running' : 'DEAD'}  log ${p.logFile}\n`,
    );
  }
  const influxOk = await httpOk(`${state.endpoints.influx.url}/health`).catch(() => false);
  process.stdout.write(`influx /health ${influxOk ? 'pass' : 'FAIL'}\n`);
  let tlsOk = true;
  if (state.secure) {
    const ca = readFileSync(testPkiIn(state.secure.tlsDir).caFile);
    tlsOk = await request(`${state.secure.influxUrl}/health`, { ca })
      .then((r) => r.status === 200)
      .catch(() => false);
    process.stdout.write(`influx-tls /health ${tlsOk ? 'pass' : 'FAIL'}\n`);
  }
  let registryOk = true;
  if (state.schemaRegistry) {
    registryOk = await httpOk(`${state.schemaRegistry.url}/config`).catch(() => false);
    process.stdout.write(`schema-registry /config ${registryOk ? 'pass' : 'FAIL'}\n`);
  }
  printEnv();
  return ok && influxOk && tlsOk && registryOk ? 0 : 1;
}

const USAGE = 'usage: npm run services -- up|down|status|env|install\n';

async function main(verb: string | undefined): Promise<number> {
  switch (verb) {
    case 'up':
      await up();
      printEnv();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status':
      return status();
    case 'env':
      printEnv();
      return 0;
    case 'install':
      await Promise.all([
        ensureAll(),
        ensureKubeconform(),
        ensureAlertmanager(),
        ensureGrafanaLint(),
        ensurePromtool(),
      ]);
      return 0;
    default:
      process.stderr.write(USAGE);
      return 2;
  }
}

if (process.argv[1]?.endsWith('cli.ts')) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[services] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
