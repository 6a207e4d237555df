import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeTestPki } from './certs.js';
import type { SecureEndpoints, ServiceEndpoints } from './endpoints.js';
import { ensureAll } from './install.js';
import { startInflux } from './influx.js';
import { startKafka } from './kafka.js';
import { startSecureKafka, type SecureKafkaPorts } from './kafka-secure.js';
import { startMailpit } from './mailpit.js';
import { artifacts } from './paths.js';
import { freePort, stopProcess, type ServiceProcess } from './process.js';

export interface NativePorts {
  kafka: number;
  kafkaController: number;
  influx: number;
  smtp: number;
  mailApi: number;
  secure: SecurePorts;
}

/** Ports of the secure instances: the SASL_SSL/mTLS broker and the InfluxDB behind TLS. */
export interface SecurePorts {
  kafka: SecureKafkaPorts;
  influx: number;
}

export interface NativeServices {
  endpoints: ServiceEndpoints;
  secure: SecureEndpoints;
  processes: ServiceProcess[];
  dataDir: string;
}

type Binaries = Awaited<ReturnType<typeof ensureAll>>;

export async function freePorts(): Promise<NativePorts> {
  return {
    kafka: await freePort(),
    kafkaController: await freePort(),
    influx: await freePort(),
    smtp: await freePort(),
    mailApi: await freePort(),
    secure: {
      kafka: {
        saslSsl: await freePort(),
        mtls: await freePort(),
        plaintext: await freePort(),
        controller: await freePort(),
      },
      influx: await freePort(),
    },
  };
}

type Started = { proc: ServiceProcess } | { processes: ServiceProcess[] };

/** Waits for every start; if one failed, stops those that started and throws every reason. */
async function allStarted<T extends readonly Promise<Started>[] | []>(
  starts: T,
  cleanUp: () => void,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const started = await Promise.allSettled(starts);
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (ok.length === started.length) return ok as { -readonly [P in keyof T]: Awaited<T[P]> };
  const processes = ok.flatMap((s) => ('proc' in s ? [s.proc] : s.processes));
  await Promise.all(processes.map((p) => stopProcess(p.pid)));
  cleanUp();
  const reasons = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  throw new Error(`native services failed to start:\n${reasons.join('\n')}`);
}

/**
 * Builds what is missing (cached), then starts Kafka, InfluxDB, Mailpit and the secure
 * instances in parallel, each with a fresh temporary data dir, on 127.0.0.1 only.
 */
export async function startNative(opts: {
  ports: NativePorts;
  detached: boolean;
}): Promise<NativeServices> {
  const bins = await ensureAll();
  mkdirSync(artifacts.runDir(), { recursive: true });
  const dataDir = mkdtempSync(path.join(artifacts.runDir(), 'services-'));
  const { ports, detached } = opts;
  const [k, i, m, s] = await allStarted(
    [
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
      startSecureNative({ bins, dir: dataDir, ports: ports.secure, detached }),
    ],
    () => rmSync(dataDir, { recursive: true, force: true }),
  );
  return {
    endpoints: {
      kafkaBrokers: k.brokers,
      influx: i.influx,
      smtp: m.smtp,
      mailApiUrl: m.mailApiUrl,
    },
    secure: s.secure,
    processes: [k.proc, i.proc, m.proc, ...s.processes],
    dataDir,
  };
}

/**
 * The secure instances alone, in `dir` (a running set of services can gain them): certificates
 * made with openssl, then the SASL_SSL/mTLS broker and the TLS InfluxDB in parallel.
 */
export async function startSecureNative(opts: {
  bins: Pick<Binaries, 'kafkaLibs' | 'influxd'>;
  dir: string;
  ports: SecurePorts;
  detached: boolean;
}): Promise<{ secure: SecureEndpoints; processes: ServiceProcess[] }> {
  const { bins, dir, ports, detached } = opts;
  const pki = await makeTestPki(path.join(dir, 'tls'));
  const [k, i] = await allStarted(
    [
      startSecureKafka({
        libs: bins.kafkaLibs,
        dir: path.join(dir, 'kafka-secure'),
        ports: ports.kafka,
        pki,
        detached,
      }),
      startInflux({
        name: 'influxd-tls',
        binary: bins.influxd,
        dir: path.join(dir, 'influx-tls'),
        port: ports.influx,
        tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile },
        detached,
      }),
    ],
    () => undefined,
  );
  return {
    secure: { kafka: k.kafka, influxUrl: i.influx.url, tlsDir: pki.dir },
    processes: [k.proc, i.proc],
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
