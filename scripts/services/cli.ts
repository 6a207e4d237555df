import { ensureAll, ensureKubeconform } from './install.js';
import { startNative, stopNative, type NativePorts } from './native.js';
import { httpOk, isAlive, portIsFree } from './process.js';
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
  };
}

function printEnv(): void {
  const state = readState();
  if (!state) return;
  for (const [k, v] of Object.entries(endpointsToEnv(state.endpoints)))
    process.stdout.write(`export ${k}=${v}\n`);
}

export async function up(): Promise<void> {
  const existing = readState();
  if (existing && existing.processes.every((p) => isAlive(p.pid))) {
    process.stderr.write('[services] already running\n');
    return;
  }
  if (existing) await down();
  const ports = configuredPorts();
  for (const [name, port] of Object.entries(ports) as [string, number][]) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} (${name}) is in use; free it or set DRIFTWATCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_PORT`,
      );
    }
  }
  const started = Date.now();
  const services = await startNative({ ports, detached: true });
  writeState({ ...services, startedAt: new Date().toISOString() });
  process.stderr.write(
    `[services] Kafka, InfluxDB and Mailpit up in ${((Date.now() - started) / 1000).toFixed(1)}s; logs in ${services.dataDir}\n`,
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
      `${p.name.padEnd(8)} pid ${p.pid} ${alive ? 'running' : 'DEAD'}  log ${p.logFile}\n`,
    );
  }
  const influxOk = await httpOk(`${state.endpoints.influx.url}/health`).catch(() => false);
  process.stdout.write(`influx /health ${influxOk ? 'pass' : 'FAIL'}\n`);
  printEnv();
  return ok && influxOk ? 0 : 1;
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
      await Promise.all([ensureAll(), ensureKubeconform()]);
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
