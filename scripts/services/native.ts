import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ServiceEndpoints } from './endpoints.js';
import { ensureAll } from './install.js';
import { startInflux } from './influx.js';
import { startKafka } from './kafka.js';
import { startMailpit } from './mailpit.js';
import { artifacts } from './paths.js';
import { freePort, stopProcess, type ServiceProcess } from './process.js';

export interface NativePorts {
  kafka: number;
  kafkaController: number;
  influx: number;
  smtp: number;
  mailApi: number;
}

export interface NativeServices {
  endpoints: ServiceEndpoints;
  processes: ServiceProcess[];
  dataDir: string;
}

export async function freePorts(): Promise<NativePorts> {
  return {
    kafka: await freePort(),
    kafkaController: await freePort(),
    influx: await freePort(),
    smtp: await freePort(),
    mailApi: await freePort(),
  };
}

/**
 * Builds what is missing (cached), then starts Kafka, InfluxDB and Mailpit in parallel, each
 * with a fresh temporary data dir, on 127.0.0.1 only.
 */
export async function startNative(opts: {
  ports: NativePorts;
  detached: boolean;
}): Promise<NativeServices> {
  const bins = await ensureAll();
  mkdirSync(artifacts.runDir(), { recursive: true });
  const dataDir = mkdtempSync(path.join(artifacts.runDir(), 'services-'));
  const { ports, detached } = opts;
  const started = await Promise.allSettled([
    startKafka({
      libs: bins.kafkaLibs,
      dir: path.join(dataDir, 'kafka'),
      brokerPort: ports.kafka,
      controllerPort: ports.kafkaController,
      detached,
    }),
    startInflux({
      binary: bins.influxd,
      dir: path.join(dataDir, 'influx'),
      port: ports.influx,
      detached,
    }),
    startMailpit({
      binary: bins.mailpit,
      dir: dataDir,
      smtpPort: ports.smtp,
      httpPort: ports.mailApi,
      detached,
    }),
  ]);
  const [kafka, influx, mail] = started;
  if (
    kafka.status !== 'fulfilled' ||
    influx.status !== 'fulfilled' ||
    mail.status !== 'fulfilled'
  ) {
    const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.proc] : []));
    await stopNative({ processes, dataDir });
    const reasons = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    throw new Error(`native services failed to start:\n${reasons.join('\n')}`);
  }
  return {
    endpoints: {
      kafkaBrokers: kafka.value.brokers,
      influx: influx.value.influx,
      smtp: mail.value.smtp,
      mailApiUrl: mail.value.mailApiUrl,
    },
    processes: [kafka.value.proc, influx.value.proc, mail.value.proc],
    dataDir,
  };
}

/** Stops every process (SIGTERM, then SIGKILL) and removes the temporary data. */
export async function stopNative(services: {
  processes: ServiceProcess[];
  dataDir: string;
}): Promise<void> {
  await Promise.all(services.processes.map((p) => stopProcess(p.pid)));
  rmSync(services.dataDir, { recursive: true, force: true });
}
